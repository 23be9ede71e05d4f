// Where applied rules came from in git: the commit checked out where the rule files are, and
// whether those files differ from it. Recorded by `salesflow apply` so `status` and `history` can
// say which commit runs. Rules outside git record nothing, quietly; rules inside a git work tree
// whose commit cannot be read (git refusing a checkout owned by another user, the CI container's
// "dubious ownership"; no git installed; a broken repository) record nothing either, but say why:
// otherwise history shows "-" for every CI apply and nobody learns which commit runs.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface GitState {
  commit: string;
  /** `git status --porcelain` lists something under the rule paths (edited, added, deleted, untracked). */
  dirty: boolean;
}

export interface GitLookup {
  /** Null when the rules are not in git, or git could not tell (then `problem` says why). */
  state: GitState | null;
  /** Why the commit of rules that are in a git work tree could not be read; null otherwise. */
  problem: string | null;
}

type GitAnswer = { ok: true; stdout: string } | { ok: false; missing: boolean; stderr: string };

function git(command: string, args: string[], cwd: string): GitAnswer {
  try {
    return { ok: true, stdout: execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }) };
  } catch (err) {
    const failed = err as NodeJS.ErrnoException & { stderr?: string };
    return { ok: false, missing: failed.code === 'ENOENT', stderr: String(failed.stderr ?? failed.message ?? '') };
  }
}

/** The folder holding `.git` at or above `folder`, or null. */
function gitFolderAbove(folder: string): string | null {
  for (let dir = folder; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** git's own words, without its advice lines: the first `fatal:`/`error:` line, else the first line. */
function gitMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? 'git failed without a message';
}

/** Why git could not answer about `folder`; null when `folder` is simply not in a git work tree. */
function problemOf(answer: Extract<GitAnswer, { ok: false }>, folder: string, command: string): string | null {
  const repository = gitFolderAbove(folder);
  if (answer.missing) {
    return repository ? `git (${command}) is not installed or not on PATH, so the commit of the rules in ${repository} cannot be read` : null;
  }
  if (/not a git repository/i.test(answer.stderr) && !repository) return null;
  const message = gitMessage(answer.stderr);
  const advice = /dubious ownership/i.test(message)
    ? ` (the checkout belongs to another user: run "git config --global --add safe.directory ${repository ?? folder}" first)`
    : '';
  return `git cannot read the commit of the rules in ${repository ?? folder}: ${message}${advice}`;
}

/**
 * The git state of the rule paths (relative to `cwd`): the state when they are in a git work tree,
 * with a problem when they are but git cannot tell. `command` is the git executable.
 */
export function gitStateOf(paths: string[], cwd = process.cwd(), command = 'git'): GitLookup {
  const absolute = paths.map((p) => resolve(cwd, p)).filter((p) => existsSync(p));
  if (absolute.length === 0) return { state: null, problem: null };
  const first = absolute[0];
  const folder = statSync(first).isDirectory() ? first : dirname(first);
  const head = git(command, ['rev-parse', '--verify', '--quiet', 'HEAD'], folder);
  if (!head.ok) {
    // A repository without a commit yet answers HEAD with nothing on stderr: not in git, as far as
    // a commit goes. Every other failure is git refusing or missing.
    if (!head.missing && head.stderr.trim() === '') return { state: null, problem: null };
    return { state: null, problem: problemOf(head, folder, command) };
  }
  const status = git(command, ['status', '--porcelain', '--untracked-files=all', '--', ...absolute], folder);
  if (!status.ok) return { state: null, problem: problemOf(status, folder, command) };
  return { state: { commit: head.stdout.trim(), dirty: status.stdout.trim().length > 0 }, problem: null };
}
