// Where applied rules came from in git: the commit checked out where the rule files are, and
// whether those files differ from it. Recorded by `salesflow apply` so `status` and `history` can
// say which commit runs. Rules outside git record nothing, quietly; rules inside a git work tree
// whose commit cannot be read (git refusing a checkout owned by another user, the CI container's
// "dubious ownership"; no git installed; a broken repository) record nothing either, but say why:
// otherwise history shows "-" for every CI apply and nobody learns which commit runs.
// A file the plan was compiled from that the commit does not hold (ignored by .gitignore, never
// added, or outside the checkout) makes the rules dirty and is named: `git status` says nothing
// of ignored files, and a clean commit in history would claim the plan is exactly that commit.
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A file the plan was compiled from that the recorded commit does not hold, and why. */
export interface FileNotInCommit {
  /** As shown to people: relative to the working directory. */
  path: string;
  why: 'ignored' | 'untracked' | 'outside';
}

export interface GitState {
  commit: string;
  /**
   * The rules differ from the commit: `git status --porcelain` lists something under the rule
   * paths or the files read (edited, added, deleted, untracked), or a file read is not in it.
   */
  dirty: boolean;
  /** Files the plan was compiled from that the commit does not hold; in name order. */
  notInCommit: FileNotInCommit[];
}

export interface GitLookup {
  /** Null when the rules are not in git, or git could not tell (then `problem` says why). */
  state: GitState | null;
  /** Why the commit of rules that are in a git work tree could not be read; null otherwise. */
  problem: string | null;
}

type GitAnswer = { ok: true; stdout: string } | { ok: false; missing: boolean; stderr: string };

function git(command: string, args: string[], cwd: string, input?: string): GitAnswer {
  try {
    const stdin = input === undefined ? 'ignore' : 'pipe';
    return { ok: true, stdout: execFileSync(command, args, { cwd, encoding: 'utf8', input, stdio: [stdin, 'pipe', 'pipe'], timeout: 10_000 }) };
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

/** Whether the real path `path` is `top` or inside it (real paths: a link to the checkout is inside). */
function inside(top: string, path: string): boolean {
  const rel = relative(top, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

const display = (path: string, cwd: string) => (relative(cwd, path) || '.').split(sep).join('/');

/** A file the plan was read from: as given, and its real path (each realpath costs: taken once). */
interface ReadFile { file: string; real: string }

/**
 * Which of `files` (inside `top`) the commit holds, by `git ls-files` over `scope` (pathspecs
 * relative to `top` that cover them); the others with why not.
 */
function filesNotInCommit(
  files: ReadFile[], scope: string[], top: string, command: string,
): Extract<GitAnswer, { ok: false }> | Map<string, 'ignored' | 'untracked'> {
  const missing = new Map<string, 'ignored' | 'untracked'>();
  if (files.length === 0) return missing;
  const relativeOf = new Map(files.map((f) => [relative(top, f.real).split(sep).join('/'), f.file]));
  const tracked = git(command, ['ls-files', '-z', '--full-name', '--', ...scope], top);
  if (!tracked.ok) return tracked;
  const held = new Set(tracked.stdout.split('\0').filter(Boolean));
  const notHeld = [...relativeOf.keys()].filter((rel) => !held.has(rel));
  if (notHeld.length === 0) return missing;
  // check-ignore exits 1 when none is ignored: an answer, not a failure.
  const ignored = git(command, ['check-ignore', '-z', '--stdin', '--no-index'], top, notHeld.map((rel) => `${rel}\0`).join(''));
  const ignoredSet = new Set(ignored.ok ? ignored.stdout.split('\0').filter(Boolean) : []);
  for (const rel of notHeld) missing.set(relativeOf.get(rel)!, ignoredSet.has(rel) ? 'ignored' : 'untracked');
  return missing;
}

/**
 * The git state of the rule paths (relative to `cwd`): the state when they are in a git work tree,
 * with a problem when they are but git cannot tell. `files` are the files the plan was compiled
 * from (rule files, templates, CRM mappings), which may lie beyond the paths (a template folder
 * above a rules subfolder). `command` is the git executable.
 */
export function gitStateOf(paths: string[], cwd = process.cwd(), command = 'git', files: string[] = []): GitLookup {
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
  const topAnswer = git(command, ['rev-parse', '--show-toplevel'], folder);
  if (!topAnswer.ok) return { state: null, problem: problemOf(topAnswer, folder, command) };
  const top = realOrSelf(topAnswer.stdout.trim());
  const read = [...new Set(files.map((f) => resolve(cwd, f)))].map((file) => ({ file, real: realOrSelf(file) }));
  const inCheckout = read.filter((f) => inside(top, f.real));
  const notInCommit: FileNotInCommit[] = read.filter((f) => !inside(top, f.real)).map((f) => ({ path: display(f.file, cwd), why: 'outside' }));
  // The rule paths, and the files read beyond them (one pathspec per rule file made git status
  // take seconds on a few thousand files).
  const ruleFolders = absolute.map(realOrSelf).filter((p) => inside(top, p));
  const beyond = inCheckout.filter((f) => !ruleFolders.some((p) => inside(p, f.real)));
  const scope = [...new Set([...ruleFolders, ...beyond.map((f) => f.real)])].map((p) => relative(top, p) || '.');
  // No pathspec would mean the whole checkout: with nothing of the rules inside it, nothing to ask.
  const status = scope.length > 0 ? git(command, ['status', '--porcelain', '--untracked-files=all', '--', ...scope], top) : { ok: true as const, stdout: '' };
  if (!status.ok) return { state: null, problem: problemOf(status, folder, command) };
  const missing = filesNotInCommit(inCheckout, scope, top, command);
  if (!(missing instanceof Map)) return { state: null, problem: problemOf(missing, folder, command) };
  for (const [file, why] of missing) notInCommit.push({ path: display(file, cwd), why });
  notInCommit.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    state: { commit: head.stdout.trim(), dirty: status.stdout.trim().length > 0 || notInCommit.length > 0, notInCommit },
    problem: null,
  };
}

/** How many of the files the commit lacks the warning names. */
const NAMED_FILES = 5;

/** The warning `apply` and `dev` print when the recorded commit does not hold every file read. */
export function notInCommitWarning(state: GitState): string | null {
  if (state.notInCommit.length === 0) return null;
  const reasons = { ignored: 'ignored by git', untracked: 'not added to git', outside: 'outside the git checkout' };
  // A whole rules folder left out of git would be dozens of names: the first few say enough.
  const shown = state.notInCommit.slice(0, NAMED_FILES).map((f) => `${f.path} (${reasons[f.why]})`);
  const more = state.notInCommit.length - shown.length;
  const listed = shown.join(', ') + (more > 0 ? ` and ${more} more file(s)` : '');
  return `git commit ${state.commit.slice(0, 12)} does not hold ${listed}: the applied plan is recorded as that commit ` +
    'with uncommitted changes, as the commit alone does not reproduce it';
}
