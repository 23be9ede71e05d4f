// What `salesflow apply` records of the rules' git checkout, with real git repositories: the commit
// and the dirty flag; nothing, quietly, for rules outside git; and nothing with a reason when the
// rules are in git but git cannot read the commit (a CI checkout owned by another user, no git
// installed, a broken repository), so the apply can say why history will show no commit. A rule
// file, template or CRM mapping the plan is compiled from that the commit does not hold (ignored,
// never added, outside the checkout) is dirty too, and named: else history would claim the plan
// is exactly a commit that cannot reproduce it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { appliedPlanHistory } from '../../src/data/plans.js';
import { describeApplied, recordPlan } from '../../src/runtime/applied-plan.js';
import { compileRules, planSourceFiles } from '../../src/runtime/compile-rules.js';
import { gitStateOf } from '../../src/runtime/git-state.js';

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
  delete process.env.GIT_TEST_ASSUME_DIFFERENT_OWNER;
});

function checkout(files: Record<string, string> = {}): { dir: string; head: string } {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-git-state-'));
  folders.push(dir);
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'a.rules'), 'metric m = count(deal) where deal.stage = "won"\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'rules');
  return { dir, head: git('rev-parse', 'HEAD') };
}

const welcomeRule = 'sequence "Welcome" {\n  on lead.created\n  send "welcome" to lead\n}\n';
const welcome = '---\nsubject: Welcome {{lead.name}}\n---\nHello {{lead.name}}\n';

describe('the git state apply records', () => {
  it('a clean checkout: its commit, not dirty; an edited rule: dirty', () => {
    const { dir, head } = checkout();
    expect(gitStateOf(['rules/'], dir)).toEqual({ state: { commit: head, dirty: false, notInCommit: [] }, problem: null });
    writeFileSync(join(dir, 'rules', 'a.rules'), 'metric m = count(deal) where deal.stage = "lost"\n');
    expect(gitStateOf(['rules/'], dir)).toEqual({ state: { commit: head, dirty: true, notInCommit: [] }, problem: null });
  });

  it('a rule file .gitignore hides, or one never added: dirty, and named with why the commit lacks it', async () => {
    const { dir, head } = checkout({ '.gitignore': 'rules/local-*.rules\n', 'rules/templates/welcome.md': welcome });
    writeFileSync(join(dir, 'rules', 'local-override.rules'), welcomeRule);
    // git status alone calls this checkout clean: it never lists ignored files.
    expect(spawnSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).stdout).toBe('');
    const files = await planSourceFiles(['rules/'], dir);
    expect(gitStateOf(['rules/'], dir, 'git', files)).toEqual({
      state: { commit: head, dirty: true, notInCommit: [{ path: 'rules/local-override.rules', why: 'ignored' }] },
      problem: null,
    });
    rmSync(join(dir, '.gitignore'));
    spawnSync('git', ['rm', '-q', '--cached', '.gitignore'], { cwd: dir });
    spawnSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'no ignore'], { cwd: dir });
    const lookup = gitStateOf(['rules/'], dir, 'git', await planSourceFiles(['rules/'], dir));
    expect(lookup.state?.notInCommit).toEqual([{ path: 'rules/local-override.rules', why: 'untracked' }]);
    expect(lookup.state?.dirty).toBe(true);
  });

  it('an ignored template in the folder above a rules subfolder, and a CRM mapping: named though beyond the path given', async () => {
    const { dir, head } = checkout({
      '.gitignore': 'rules/templates/\n*.yaml\n', 'rules/emea/welcome.rules': welcomeRule, 'rules/emea/crm/acme.yaml': 'preset: hubspot\n',
    });
    writeFileSync(join(dir, 'rules', 'a.rules'), 'metric m = count(deal) where deal.stage = "won"\n');
    mkdirSync(join(dir, 'rules', 'templates'));
    writeFileSync(join(dir, 'rules', 'templates', 'welcome.md'), welcome);
    const files = await planSourceFiles(['rules/emea'], dir);
    expect(gitStateOf(['rules/emea'], dir, 'git', files)).toEqual({
      state: {
        commit: head, dirty: true,
        notInCommit: [{ path: 'rules/emea/crm/acme.yaml', why: 'ignored' }, { path: 'rules/templates/welcome.md', why: 'ignored' }],
      },
      problem: null,
    });
  });

  it('a rule file from outside the checkout: dirty, named as outside it', () => {
    const { dir, head } = checkout();
    const other = mkdtempSync(join(tmpdir(), 'salesflow-git-outside-'));
    folders.push(other);
    writeFileSync(join(other, 'shared.rules'), welcomeRule);
    const lookup = gitStateOf(['rules/', join(other, 'shared.rules')], dir, 'git', [join(dir, 'rules', 'a.rules'), join(other, 'shared.rules')]);
    expect(lookup).toEqual({
      state: { commit: head, dirty: true, notInCommit: [{ path: join('..', other.split('/').pop()!, 'shared.rules'), why: 'outside' }] },
      problem: null,
    });
  });

  it('apply in a checkout with an ignored rule file records the commit as dirty and warns naming the file', async () => {
    const { dir, head } = checkout({ '.gitignore': 'rules/local-*.rules\nvar/\n', 'rules/templates/welcome.md': welcome });
    writeFileSync(join(dir, 'rules', 'local-welcome.rules'), welcomeRule);
    const previous = process.cwd();
    process.chdir(dir);
    const db = await openDatabase(join(dir, 'var', 'salesflow.db'));
    try {
      const compiled = await compileRules([]);
      expect(compiled.plan?.rules.map((r) => r.name)).toEqual(['Welcome']);
      const result = await recordPlan(db, compiled.plan!, []);
      expect(result.recorded).toBe(true);
      expect(result.gitWarning).toBe(
        `git commit ${head.slice(0, 12)} does not hold rules/local-welcome.rules (ignored by git): the applied plan is recorded ` +
          'as that commit with uncommitted changes, as the commit alone does not reproduce it',
      );
      // A whole folder git does not hold: the first few files named, and how many more.
      for (const name of ['b', 'c', 'd', 'e', 'f', 'g']) writeFileSync(join(dir, 'rules', `local-${name}.rules`), `metric ${name}_wins = count(deal) where deal.stage = "won"\n`);
      const many = await recordPlan(db, (await compileRules([])).plan!, []);
      expect(many.gitWarning).toMatch(/does not hold rules\/local-b\.rules \(ignored by git\), .*, rules\/local-f\.rules \(ignored by git\) and 2 more file\(s\): /);
      const [recorded] = await appliedPlanHistory(db);
      expect([recorded.gitCommit, recorded.gitDirty]).toEqual([head, true]);
      expect(describeApplied(recorded)).toContain(`git ${head.slice(0, 12)} with uncommitted changes`);
    } finally {
      await db.close();
      process.chdir(previous);
    }
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
    expect(gitStateOf(['rules/'], dir, missing, [join(dir, 'rules', 'a.rules')])).toEqual({
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
