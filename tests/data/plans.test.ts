// The applied-plans store on real SQLite files and a real PostgreSQL (one table of cases):
// re-applying the applied plan records nothing, a different plan gets the next version, history
// is newest first and says what each version changed (rules and CRM mappings), and applies from
// several processes at once neither lose a version nor record one twice. The processes run the
// built store (dist/, `npm run build` first), as the `salesflow apply` processes would.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { appliedPlanHead, appliedPlanHistory, latestAppliedPlan, recordAppliedPlan, type NewAppliedPlan } from '../../src/data/plans.js';
import { appliedTemporal, recordAppliedTemporal } from '../../src/data/applied-temporal.js';
import { recordPlan } from '../../src/runtime/applied-plan.js';
import { compileRules } from '../../src/runtime/compile-rules.js';
import { forEachDialect } from '../support/dialects.js';
import { salesflow } from './cli.js';
import { tempDir } from './tmp.js';

const plan = (hash: string, rules = 1): NewAppliedPlan => ({
  hash, planJson: JSON.stringify({ hash }), ruleCount: rules,
  ruleHashes: { r: { name: 'R', kind: 'goal', version: `v-${hash}` } },
  gitCommit: null, gitDirty: null, rulePaths: ['rules/'],
});

const commission = (rate: string) => `incentive "AE commission FY26" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission marginal {
    up to 100% pay ${rate}
    above pay 12%
  }
}
`;
const nurture = '\nsequence "Old nurture" {\n  on lead.created\n  send "welcome" to lead\n}\n';
const sdrGoal = `goal "Q3 \\"SDR\\" goal" {
  for reps where rep.role = "SDR"
  measure revenue
  target 10_000 USD per month
  at end of period {
    send "welcome" to rep
  }
}
`;
const hubspotMapping = (stage: string) => `preset: hubspot\ndeal:\n  stages:\n    "${stage}": won\n`;

/** What `apply` compiles and records (its Temporal half aside). */
async function compiledPlan(rules: string) {
  const { plan, diagnostics } = await compileRules([rules]);
  if (!plan) throw new Error(JSON.stringify(diagnostics));
  return plan;
}

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

  it('records the Temporal the plan was applied to as one row, each apply replacing it (migration 14)', async () => {
    const db = await openDatabase(await target.fresh());
    expect(await appliedTemporal(db)).toBeNull();
    await recordAppliedTemporal(db, { address: 'localhost:7233', namespace: 'default', namespaceId: null, planVersion: 1, appliedAt: '2026-01-01T00:00:00.000Z' });
    expect(await appliedTemporal(db)).toEqual({ address: 'localhost:7233', namespace: 'default', namespaceId: null, planVersion: 1, appliedAt: '2026-01-01T00:00:00.000Z' });
    await recordAppliedTemporal(db, { address: 'temporal.prod:7233', namespace: 'sales', namespaceId: 'ns-id-1', planVersion: 2, appliedAt: '2026-02-01T00:00:00.000Z' });
    expect(await appliedTemporal(db)).toEqual({ address: 'temporal.prod:7233', namespace: 'sales', namespaceId: 'ns-id-1', planVersion: 2, appliedAt: '2026-02-01T00:00:00.000Z' });
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
    expect(history.stdout.split('\n').slice(1, 5)).toEqual([
      expect.stringMatching(/^2 +\S+ +second-plan- +- +3 +\(applied\)$/),
      '         ~ "R"',
      expect.stringMatching(/^1 +\S+ +first-plan-h +c0ffee000000 +2$/),
      '         + "R"',
    ]);
    const status = cli(['status', '--format', 'json', 'no-such-rules']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ applied: { version: 2, hash: 'second-plan-hash' }, workingCopy: { hash: null } });
    expect(status.stdout + history.stdout).not.toContain('hunter2');
  });

  it('history says what each version changed: rules and CRM mappings added, changed, removed; --limit still compares with the version before', async () => {
    const url = await target.fresh();
    const checkout = tempDir();
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(checkout, path)), { recursive: true });
      writeFileSync(join(checkout, path), text);
    };
    const rules = join(checkout, 'rules');
    const applied: Awaited<ReturnType<typeof compiledPlan>>[] = [];
    const apply = async () => {
      const plan = await compiledPlan(rules);
      const db = await openDatabase(url);
      try {
        expect((await recordPlan(db, plan, [rules])).recorded).toBe(true);
      } finally {
        await db.close();
      }
      applied.push(plan);
    };
    write('rules/templates/welcome.md', '---\nsubject: Welcome\n---\nHello.\n');
    write('rules/plan.rules', commission('8%') + nurture);
    write('rules/crm/hubspot.yaml', hubspotMapping('98765432'));
    write('rules/crm/salesforce.yaml', 'preset: salesforce\n');
    await apply();
    // A rule added (its name carries quotes, written back as the rule file writes them).
    write('rules/sdr.rules', sdrGoal);
    await apply();
    // One rule and one CRM mapping changed.
    write('rules/plan.rules', commission('9%') + nurture);
    write('rules/crm/hubspot.yaml', hubspotMapping('98765439'));
    await apply();
    // A rule removed.
    write('rules/plan.rules', commission('9%'));
    await apply();

    const text = await salesflow(['history'], url);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^VERSION +APPLIED AT +PLAN +GIT +RULES$/),
      expect.stringMatching(new RegExp(`^4 +\\S+ +${applied[3].hash.slice(0, 12)} +- +2 +\\(applied\\)$`)),
      '         - "Old nurture"',
      expect.stringMatching(/^3 +\S+ +[0-9a-f]{12} +- +3$/),
      '         ~ "AE commission FY26"; crm ~ hubspot',
      expect.stringMatching(/^2 +\S+ +[0-9a-f]{12} +- +3$/),
      '         + "Q3 \\"SDR\\" goal"',
      expect.stringMatching(new RegExp(`^1 +\\S+ +${applied[0].hash.slice(0, 12)} +- +2$`)),
      '         + "AE commission FY26"; + "Old nurture"; crm + hubspot; crm + salesforce',
    ]);

    type Names = { rules: Record<'added' | 'changed' | 'removed', { name: string }[]>; crm: Record<'added' | 'changed' | 'removed', { name: string }[]> };
    const names = (changes: Names) => ({
      rules: Object.fromEntries(Object.entries(changes.rules).map(([k, list]) => [k, list.map((r) => r.name)])),
      crm: Object.fromEntries(Object.entries(changes.crm).map(([k, list]) => [k, list.map((m) => m.name)])),
    });
    const json = await salesflow(['history', '--format', 'json'], url);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as { version: number; current: boolean; changes: Names & { metricsChanged: boolean } }[];
    expect(rows.map((r) => [r.version, r.current, names(r.changes), r.changes.metricsChanged])).toEqual([
      [4, true, { rules: { added: [], changed: [], removed: ['Old nurture'] }, crm: { added: [], changed: [], removed: [] } }, false],
      [3, false, { rules: { added: [], changed: ['AE commission FY26'], removed: [] }, crm: { added: [], changed: ['hubspot'], removed: [] } }, false],
      [2, false, { rules: { added: ['Q3 "SDR" goal'], changed: [], removed: [] }, crm: { added: [], changed: [], removed: [] } }, false],
      [1, false, { rules: { added: ['AE commission FY26', 'Old nurture'], changed: [], removed: [] }, crm: { added: ['hubspot', 'salesforce'], changed: [], removed: [] } }, false],
    ]);
    // The rule hashes on either side of a change are the versions those applies recorded.
    const ruleVersion = (plan: (typeof applied)[number], name: string) => plan.rules.find((r) => r.name === name)!.version;
    expect(rows[1].changes.rules.changed).toEqual([{
      id: expect.any(String), name: 'AE commission FY26', kind: 'incentive',
      before: ruleVersion(applied[1], 'AE commission FY26'), after: ruleVersion(applied[2], 'AE commission FY26'),
    }]);
    expect(ruleVersion(applied[1], 'AE commission FY26')).not.toBe(ruleVersion(applied[2], 'AE commission FY26'));

    // --limit 1 shows only version 4, still compared with version 3 (not "everything added").
    const limited = await salesflow(['history', '--limit', '1'], url);
    expect(limited.stdout.trimEnd().split('\n').slice(1)).toEqual([expect.stringMatching(/^4 +\S+/), '         - "Old nurture"']);
    const limitedJson = JSON.parse((await salesflow(['history', '--format', 'json', '--limit', '1'], url)).stdout) as typeof rows;
    expect(limitedJson.map((r) => [r.version, names(r.changes)])).toEqual([[4, names(rows[0].changes)]]);

    // A metric definition no rule uses changes the plan, not a rule: history says so rather than "no change".
    write('rules/metrics.rules', 'metric big_wins = count(deal) where deal.stage = "won"\n');
    await apply();
    expect((await salesflow(['history', '--limit', '1'], url)).stdout.trimEnd().split('\n').slice(1))
      .toEqual([expect.stringMatching(/^5 +\S+ +[0-9a-f]{12} +- +2 +\(applied\)$/), '         plan-wide metric definitions changed']);
    const metricsOnly = JSON.parse((await salesflow(['history', '--format', 'json', '--limit', '1'], url)).stdout) as typeof rows;
    expect(metricsOnly.map((r) => [names(r.changes), r.changes.metricsChanged])).toEqual([[
      { rules: { added: [], changed: [], removed: [] }, crm: { added: [], changed: [], removed: [] } }, true,
    ]]);

    // A rule renamed and otherwise the same: one "renamed" item, not an unrelated + and -.
    write('rules/plan.rules', commission('9%').replace('"AE commission FY26"', '"AE commission FY26 (NA)"'));
    await apply();
    expect((await salesflow(['history', '--limit', '1'], url)).stdout.trimEnd().split('\n').slice(1))
      .toEqual([expect.stringMatching(/^6 +\S+ +[0-9a-f]{12} +- +2 +\(applied\)$/), '         > "AE commission FY26" → "AE commission FY26 (NA)"']);
    const renamed = JSON.parse((await salesflow(['history', '--format', 'json', '--limit', '1'], url)).stdout) as (typeof rows[number] & { changes: { renamed: unknown } })[];
    expect(renamed.map((r) => [names(r.changes), r.changes.renamed])).toEqual([[
      { rules: { added: ['AE commission FY26 (NA)'], changed: [], removed: ['AE commission FY26'] }, crm: { added: [], changed: [], removed: [] } },
      [{ kind: 'incentive', from: { id: 'ae-commission-fy26', name: 'AE commission FY26' }, to: { id: 'ae-commission-fy26-na', name: 'AE commission FY26 (NA)' } }],
    ]]);

    // A comment above the metric moves its line, not its definition: with a rule changed beside
    // it, history names the rule only (the plan hash, too, leaves out where things are written).
    write('rules/metrics.rules', '# Wins of any size\n\nmetric big_wins = count(deal) where deal.stage = "won"\n');
    write('rules/plan.rules', commission('10%').replace('"AE commission FY26"', '"AE commission FY26 (NA)"'));
    await apply();
    expect((await salesflow(['history', '--limit', '1'], url)).stdout.trimEnd().split('\n').slice(1))
      .toEqual([expect.stringMatching(/^7 +\S+ +[0-9a-f]{12} +- +2 +\(applied\)$/), '         ~ "AE commission FY26 (NA)"']);
    rmSync(checkout, { recursive: true, force: true });
  });

  it('a long list of changes wraps between items, never inside a rule name, and stays within 100 columns', async () => {
    const url = await target.fresh();
    const names = Array.from({ length: 14 }, (_, i) => `Territory ${String(i + 1).padStart(2, '0')} quarterly bonus`);
    const db = await openDatabase(url);
    await recordAppliedPlan(db, {
      ...plan('wide-plan', names.length),
      ruleHashes: Object.fromEntries(names.map((name, i) => [`r${i}`, { name, kind: 'incentive', version: `v${i}` }])),
    });
    await db.close();
    const text = await salesflow(['history'], url);
    const changeLines = text.stdout.trimEnd().split('\n').slice(2);
    expect(changeLines.length).toBeGreaterThan(1);
    for (const line of changeLines) {
      expect(line.length).toBeLessThanOrEqual(100);
      expect(line).toMatch(/^ {9}\+ "/);
    }
    expect(changeLines.map((line) => line.trim()).join(' ')).toBe(names.map((name) => `+ "${name}"`).join('; '));
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
