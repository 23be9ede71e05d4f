// The applied-plans store on real SQLite files and a real PostgreSQL (one table of cases):
// re-applying the applied plan records nothing, a different plan gets the next version, history
// is newest first, and applies from several processes at once neither lose a version nor record
// one twice. The processes run the built store (dist/, `npm run build` first), as the
// `salesflow apply` processes would.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { appliedPlanHead, appliedPlanHistory, latestAppliedPlan, recordAppliedPlan, type NewAppliedPlan } from '../../src/data/plans.js';
import { forEachDialect } from '../support/dialects.js';

const plan = (hash: string, rules = 1): NewAppliedPlan => ({
  hash, planJson: JSON.stringify({ hash }), ruleCount: rules,
  ruleHashes: { r: { name: 'R', kind: 'goal', version: `v-${hash}` } },
  gitCommit: null, gitDirty: null, rulePaths: ['rules/'],
});

forEachDialect('applied plans', (target) => {
  it('records a plan once; re-applying it records nothing; another plan is the next version; history is newest first', async () => {
    const db = await openDatabase(await target.fresh());
    expect(await appliedPlanHead(db)).toBeNull();
    expect((await recordAppliedPlan(db, { ...plan('a'), gitCommit: 'abc', gitDirty: true, appliedAt: '2026-01-01T00:00:00.000Z' })).recorded).toBe(true);
    const again = await recordAppliedPlan(db, plan('a'));
    expect(again).toMatchObject({ recorded: false, applied: { version: 1, hash: 'a', gitCommit: 'abc', gitDirty: true, appliedAt: '2026-01-01T00:00:00.000Z' } });
    expect((await recordAppliedPlan(db, plan('b', 2))).applied).toMatchObject({ version: 2, hash: 'b', ruleCount: 2, gitCommit: null, gitDirty: null });
    // Going back to an earlier plan is a new version: history shows what ran when.
    expect((await recordAppliedPlan(db, plan('a'))).applied.version).toBe(3);
    expect((await appliedPlanHistory(db)).map((v) => [v.version, v.hash])).toEqual([[3, 'a'], [2, 'b'], [1, 'a']]);
    expect(await latestAppliedPlan(db)).toMatchObject({ version: 3, hash: 'a', planJson: '{"hash":"a"}', ruleHashes: { r: { version: 'v-a' } } });
    await db.close();
  });

  it('status and history through the built CLI show the applied versions, and never a password', async () => {
    // trust authentication ignores the password, so it can be any text that must not be printed.
    const url = (await target.fresh()).replace('postgres://postgres@', 'postgres://postgres:hunter2-secret@');
    const db = await openDatabase(url);
    await recordAppliedPlan(db, { ...plan('first-plan-hash', 2), gitCommit: 'c0ffee0000000000000000000000000000000000', gitDirty: false });
    await recordAppliedPlan(db, plan('second-plan-hash', 3));
    await db.close();
    const cli = (args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'salesflow.js'), ...args], {
      cwd: import.meta.dirname, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8',
    });
    const history = cli(['history']);
    expect(history.status, history.stderr).toBe(0);
    expect(history.stdout.split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(/^2 +\S+ +second-plan- +- +3 +\(applied\)$/),
      expect.stringMatching(/^1 +\S+ +first-plan-h +c0ffee000000 +2$/),
    ]);
    const status = cli(['status', '--format', 'json', 'no-such-rules']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ applied: { version: 2, hash: 'second-plan-hash' }, workingCopy: { hash: null } });
    expect(status.stdout + history.stdout).not.toContain('hunter2');
  });

  it('applies from three processes at once: every plan recorded once, versions 1..N without gaps; the same plan at once is recorded once', async () => {
    const file = await target.fresh();
    await (await openDatabase(file)).close();
    const store = pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'data')).href;
    const script = (tag: string, count: number) => `
      const { openDatabase } = await import('${store}/db.js');
      const { recordAppliedPlan } = await import('${store}/plans.js');
      const db = await openDatabase(${JSON.stringify(file)});
      const hashes = process.argv[1] === 'same' ? ['same'] : Array.from({ length: ${count} }, (_, i) => '${tag}-' + i);
      for (const hash of hashes) {
        await recordAppliedPlan(db, { hash, planJson: '{}', ruleHashes: {}, ruleCount: 0, gitCommit: null, gitDirty: null, rulePaths: [] });
      }
      await db.close();`;
    const run = (tag: string, mode = 'distinct') => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script(tag, 60), mode], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c) => { err += String(c); });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`recorder ${tag} exited ${code}: ${err}`))));
    });
    await Promise.all([run('a'), run('b'), run('c')]);
    await Promise.all([run('x', 'same'), run('y', 'same'), run('z', 'same')]);

    const db = await openDatabase(file);
    const history = await appliedPlanHistory(db);
    await db.close();
    expect(history.map((v) => v.version)).toEqual(Array.from({ length: 181 }, (_, i) => 181 - i));
    const hashes = history.map((v) => v.hash);
    expect(hashes[0]).toBe('same');
    expect(hashes.filter((h) => h === 'same')).toHaveLength(1);
    expect(new Set(hashes).size).toBe(181);
  });
});
