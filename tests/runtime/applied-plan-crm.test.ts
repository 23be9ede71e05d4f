// The CRM mappings in the plan's hash and in the applied plan, as `apply`, `status`, `history` and
// `import --source` see them: a mapping-only change is a new plan, the same mapping applied from
// another folder is not, and a plan applied before salesflow recorded mappings still loads, still
// compares equal to rules without mappings, serves the built-in presets, and reads in history as
// the version before a mapping was added.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { recordAppliedPlan } from '../../src/data/plans.js';
import { upsertRep } from '../../src/data/reps.js';
import { loadRules } from '../../src/dsl/index.js';
import { readAppliedPlan, recordPlan, ruleHashesOf } from '../../src/runtime/applied-plan.js';
import { compileRules } from '../../src/runtime/compile-rules.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';

const rules = 'sequence "Thanks after win" {\n  on deal.won\n  send "thanks" to deal.contact\n}\n';
const thanks = '---\nsubject: Thank you\n---\nThanks, {{deal.name}}.\n';
const hubspot = (stage: string) => `preset: hubspot\ndeal:\n  stages:\n    "${stage}": won\n`;

function writeAt(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

function checkout(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [path, text] of Object.entries({ 'rules/won.rules': rules, 'rules/templates/thanks.md': thanks, ...files })) writeAt(dir, path, text);
  return dir;
}

/** compileRules(paths) as a command started in `cwd` runs it. */
async function compiledIn(cwd: string, paths: string[]) {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const { plan, diagnostics } = await compileRules(paths);
    if (!plan) throw new Error(JSON.stringify(diagnostics));
    return plan;
  } finally {
    process.chdir(previous);
  }
}

describe('the plan hash covers the CRM mappings', () => {
  it('a mapping-only change is a new plan; the rules keep their versions', async () => {
    const before = await compiledIn(checkout({ 'rules/crm/hubspot.yaml': hubspot('98765432') }), ['rules']);
    const after = await compiledIn(checkout({ 'rules/crm/hubspot.yaml': hubspot('98765439') }), ['rules']);
    expect(before.crm?.map((m) => [m.name, m.file, m.deal.stages['98765432']])).toEqual([['hubspot', 'rules/crm/hubspot.yaml', 'won']]);
    expect(after.hash).not.toBe(before.hash);
    expect(ruleHashesOf(after)).toEqual(ruleHashesOf(before));
  });

  it('the same mapping applied from another folder (another path in messages) is the same plan', async () => {
    const dir = checkout({ 'rules/crm/hubspot.yaml': hubspot('98765432') });
    const here = await compiledIn(dir, ['rules']);
    const elsewhere = await compiledIn(tempDir(), [join(dir, 'rules')]);
    expect(elsewhere.crm?.[0].file).not.toBe(here.crm?.[0].file);
    expect(elsewhere.hash).toBe(here.hash);
  });

  it('without mapping files the hash is the rules-only hash an earlier salesflow recorded', async () => {
    const dir = checkout({});
    const plan = await compiledIn(dir, ['rules']);
    const { plan: rulesOnly } = await loadRules([join(dir, 'rules')]);
    expect(plan.crm).toEqual([]);
    expect(plan.hash).toBe(rulesOnly!.hash);
  });
});

describe('apply refuses a mapping with errors', () => {
  it('says where, as check does, and records nothing', async () => {
    const path = join(tempDir(), 'salesflow.db');
    const run = await salesflow(['apply', 'bad'], path, join(import.meta.dirname, '..', 'fixtures', 'crm-connectors'));
    expect(run.code).toBe(1);
    // At the start of its line (was glued to a `salesflow: ` prefix), where editors and CI look for it.
    expect(run.stderr).toMatch(/^bad\/crm\/hubspot\.yaml:5:5: error: deal has no field "amout" \[SF1203\]$/m);
    expect(run.stderr).toContain('rules or CRM mappings have errors; fix them first (salesflow check)');
    const diagnosticLines = run.stderr.split('\n').filter((l) => /: (error|warning): /.test(l));
    expect(diagnosticLines.length).toBeGreaterThan(0);
    expect(diagnosticLines.filter((l) => !/^[^\s:]+:\d+:\d+: /.test(l))).toEqual([]);
    const history = await salesflow(['history'], path);
    expect(history.stdout).toMatch(/^No applied plans:/);
  });
});

describe('a plan applied before mappings were part of the plan', () => {
  /** The data source with the rules-only plan recorded as an earlier `apply` wrote it: no `crm` key. */
  async function appliedBefore(dir: string): Promise<string> {
    const path = join(tempDir(), 'salesflow.db');
    const { plan } = await loadRules([join(dir, 'rules')]);
    const db = await openDatabase(path);
    await recordAppliedPlan(db, {
      hash: plan!.hash, planJson: JSON.stringify(plan), ruleHashes: ruleHashesOf(plan!), ruleCount: 1,
      gitCommit: null, gitDirty: null, rulePaths: ['rules/'],
    });
    await db.close();
    return path;
  }

  it('still loads, and CRM imports without --rules use the built-in presets', async () => {
    const dir = checkout({});
    const path = await appliedBefore(dir);
    const db = await openDatabase(path);
    const read = await readAppliedPlan(db);
    expect(read?.plan.crm).toBeUndefined();
    await upsertRep(db, { id: 'r-ada', name: 'Ada Byron', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await db.close();
    const zoho = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors', 'exports', 'zoho-deals.csv');
    const run = await salesflow(['import', '--source', 'zoho', zoho], path, tempDir());
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('zoho deals 1 inserted');
    const after = await openDatabase(path);
    expect(await getDeal(after, 'zcrm_4150868000001234001')).toMatchObject({ stage: 'won', rep: 'r-ada' });
    await after.close();
  });

  it('status: the same as rules without mappings; a mapping added since is a difference that apply records', async () => {
    const dir = checkout({});
    const path = await appliedBefore(dir);
    const same = await salesflow(['status'], path, dir);
    expect(same.stdout).toContain('  CRM mappings: none (built-in presets only)');
    expect(same.stdout).toMatch(/Working copy \(rules\/\): plan [0-9a-f]{12}, the same as the applied plan\./);

    writeAt(dir, 'rules/crm/hubspot.yaml', hubspot('98765432'));
    const added = await salesflow(['status'], path, dir);
    expect(added.stdout).toMatch(/differs from the applied plan:\n {2}\+ CRM mapping "hubspot" {2}\(added\)\n {2}1 rule\(s\) unchanged\./);

    // What `apply` records (its Temporal half aside): version 2, carrying the mapping.
    const db = await openDatabase(path);
    const { recorded, applied } = await recordPlan(db, await compiledIn(dir, ['rules']), ['rules/']);
    expect([recorded, applied.version]).toEqual([true, 2]);
    expect((await readAppliedPlan(db))?.plan.crm?.map((m) => m.name)).toEqual(['hubspot']);
    await db.close();
    expect((await salesflow(['status'], path, dir)).stdout).toContain('  CRM mappings: hubspot\n');

    // History: the mapping is what version 2 added; the presets-only version before it lost nothing.
    const history = await salesflow(['history'], path, dir);
    expect(history.stdout.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(/^2 +\S+ +[0-9a-f]{12} +.+ +1 +\(applied\)$/),
      '         crm + hubspot',
      expect.stringMatching(/^1 +\S+ +[0-9a-f]{12} +- +1$/),
      '         + "Thanks after win"',
    ]);
    const json = JSON.parse((await salesflow(['history', '--format', 'json'], path, dir)).stdout) as { changes: unknown }[];
    expect(json.map((v) => v.changes)).toEqual([
      {
        rules: { added: [], changed: [], removed: [] },
        crm: { added: [{ name: 'hubspot', version: expect.stringMatching(/^[0-9a-f]{64}$/) }], changed: [], removed: [] },
        metricsChanged: false,
        renamed: [],
      },
      {
        rules: { added: [expect.objectContaining({ name: 'Thanks after win', kind: 'sequence' })], changed: [], removed: [] },
        crm: { added: [], changed: [], removed: [] },
        metricsChanged: false,
        renamed: [],
      },
    ]);
  });
});
