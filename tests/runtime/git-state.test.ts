// What `salesflow apply` records of the rules' git checkout, with real git repositories: the commit
// and the dirty flag; nothing, quietly, for rules outside git; and nothing with a reason when the
// rules are in git but git cannot read the commit (a CI checkout owned by another user, no git
// installed, a broken repository), so the apply can say why history will show no commit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitStateOf } from '../../src/runtime/git-state.js';

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
  delete process.env.GIT_TEST_ASSUME_DIFFERENT_OWNER;
});

function checkout(): { dir: string; head: string } {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-git-state-'));
  folders.push(dir);
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'a.rules'), 'metric m = count(deal) where deal.stage = "won"\n');
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  git('init', '-q');
  git('add', 'rules');
  git('commit', '-q', '-m', 'rules');
  return { dir, head: git('rev-parse', 'HEAD') };
}

describe('the git state apply records', () => {
  it('a clean checkout: its commit, not dirty; an edited rule: dirty', () => {
    const { dir, head } = checkout();
    expect(gitStateOf(['rules/'], dir)).toEqual({ state: { commit: head, dirty: false }, problem: null });
    writeFileSync(join(dir, 'rules', 'a.rules'), 'metric m = count(deal) where deal.stage = "lost"\n');
    expect(gitStateOf(['rules/'], dir)).toEqual({ state: { commit: head, dirty: true }, problem: null });
  });

  it('rules outside any git work tree: no commit and no complaint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'salesflow-git-none-'));
    folders.push(dir);
    mkdirSync(join(dir, 'rules'));
    expect(gitStateOf(['rules/'], dir)).toEqual({ state: null, problem: null });
    expect(gitStateOf(['rules/'], dir, join(dir, 'no-such-git'))).toEqual({ state: null, problem: null });
  });

  it('a checkout owned by another user (CI containers): no commit, and the reason with git\'s safe.directory advice', () => {
    const { dir } = checkout();
    // git's own switch for "this repository belongs to someone else", the check CI runners trip on.
    process.env.GIT_TEST_ASSUME_DIFFERENT_OWNER = '1';
    const lookup = gitStateOf(['rules/'], dir);
    expect(lookup.state).toBeNull();
    expect(lookup.problem).toBe(
      `git cannot read the commit of the rules in ${dir}: fatal: detected dubious ownership in repository at '${dir}' ` +
        `(the checkout belongs to another user: run "git config --global --add safe.directory ${dir}" first)`,
    );
  });

  it('rules in a checkout but no git to ask: no commit, and the reason', () => {
    const { dir } = checkout();
    const missing = join(dir, 'no-such-git');
    expect(gitStateOf(['rules/'], dir, missing)).toEqual({
      state: null,
      problem: `git (${missing}) is not installed or not on PATH, so the commit of the rules in ${dir} cannot be read`,
    });
  });

  it('a repository git cannot read: no commit, and git\'s message naming the folder', () => {
    const { dir } = checkout();
    writeFileSync(join(dir, '.git', 'config'), '[core\n');
    const lookup = gitStateOf(['rules/'], dir);
    expect(lookup.state).toBeNull();
    expect(lookup.problem).toBe(`git cannot read the commit of the rules in ${dir}: fatal: bad config line 1 in file .git/config`);
  });

  it('a repository with no commit yet: nothing to record, no complaint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'salesflow-git-empty-'));
    folders.push(dir);
    mkdirSync(join(dir, 'rules'));
    spawnSync('git', ['init', '-q'], { cwd: dir });
    expect(gitStateOf(['rules/'], dir)).toEqual({ state: null, problem: null });
  });
});
