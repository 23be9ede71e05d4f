// Where applied rules came from in git: the commit checked out where the rule files are, and
// whether those files differ from it. Recorded by `salesflow apply` so `status` and `history` can
// say which commit runs; rules outside git (or no git installed) simply record nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface GitState {
  commit: string;
  /** `git status --porcelain` lists something under the rule paths (edited, added, deleted, untracked). */
  dirty: boolean;
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return null;
  }
}

/** The git state of the rule paths (relative to `cwd`), or null when they are not in a git work tree. */
export function gitStateOf(paths: string[], cwd = process.cwd()): GitState | null {
  const absolute = paths.map((p) => resolve(cwd, p)).filter((p) => existsSync(p));
  if (absolute.length === 0) return null;
  const first = absolute[0];
  const folder = statSync(first).isDirectory() ? first : dirname(first);
  const commit = git(['rev-parse', '--verify', '--quiet', 'HEAD'], folder)?.trim();
  if (!commit) return null;
  const status = git(['status', '--porcelain', '--untracked-files=all', '--', ...absolute], folder);
  if (status === null) return null;
  return { commit, dirty: status.trim().length > 0 };
}
