// A rule renamed between two applies, through the built CLI against a real Temporal dev server and
// a SQLite file. A rule's id is a slug of its name, so the new name is a new rule to salesflow:
// `status` and `plan` say "renamed" (not an unrelated "+ added" and "- removed") with what that does
// to each kind, and `apply` starts no second set of runs for a renamed goal's period under way (the
// old name's runs of that period go on; before, every rep got each check-in and the review twice).
// A goal whose content changed as well as its name is a new goal, and starts as one; `status` and
// `plan` say that the removed name's runs of the period go on beside it, and how to rename instead.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRenames } from '../../src/renames/pairing.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'salesflow.js');
let server: DevServerProcess;
let connection: Connection;
let temporal: Client;
let work: string;

function salesflow(args: string[]) {
  const env = { PATH: process.env.PATH, TEMPORAL_ADDRESS: server.address, DATABASE_URL: join(work, 'salesflow.db'), TEMPORAL_TASK_QUEUE: 'apply-rename' };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function edit(file: string, from: string, to: string): void {
  const path = join(work, 'rules', file);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

beforeAll(async () => {
  expect(readFileSync(join(root, 'dist', 'cli', 'main.js')).length, 'run `npm run build` first').toBeGreaterThan(0);
  work = mkdtempSync(join(tmpdir(), 'salesflow-apply-rename-'));
  cpSync(join(root, 'rules'), join(work, 'rules'), { recursive: true });
  server = await spawnDevServer({ dbFile: null });
  connection = await Connection.connect({ address: server.address });
  temporal = new Client({ connection });
}, 240_000);

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a renamed rule', () => {
  it('status and plan say renamed and what it does; apply starts no second run of a renamed goal\'s period under way', async () => {
    expect(salesflow(['import', '--kind', 'reps', 'rules/demo/reps.csv']).code).toBe(0);
    const first = salesflow(['apply']);
    expect(first.code, first.stderr).toBe(0);
    const month = /Started goal "SDR monthly wins" for the month under way \((\d{4}-\d{2})\)/.exec(first.stdout)?.[1];
    const quarter = /Started goal "Q4 new business" for the quarter under way \((\d{4}-Q\d)\)/.exec(first.stdout)?.[1];
    expect(month, first.stdout).toBeDefined();
    expect(quarter, first.stdout).toBeDefined();
    expect(await exists(`dispatch:sdr-monthly-wins:goal-period-start:${month}`)).toBe(true);

    edit('goals.rules', 'goal "SDR monthly wins"', 'goal "SDR wins per month"');
    edit('commission.rules', 'incentive "Account managers FY26"', 'incentive "AM renewals FY26"');
    edit('sequences.rules', 'sequence "CSAT after close"', 'sequence "CSAT survey after close"');
    // Renamed and changed: a new goal, not a rename.
    edit('goals.rules', 'goal "Q4 new business"', 'goal "Q1 new business"');
    edit('goals.rules', 'target 120_000 EUR per quarter', 'target 125_000 EUR per quarter');

    const status = salesflow(['status']);
    expect(status.code, status.stderr).toBe(0);
    const lines = status.stdout.split('\n');
    expect(lines).toContain('  + goal "Q1 new business"  (added)');
    expect(lines).toContain('  - goal "Q4 new business"  (removed)');
    // Renamed and changed is a new goal: both sets of runs go on this quarter, and status says so.
    expect(lines).toContain(
      '  ! goal "Q1 new business": goal "Q4 new business" (removed in this plan) keeps its runs of the period under way to its end: ' +
        'a rep selected by "Q1 new business" and "Q4 new business" gets the check-ins and review of both for that period. ' +
        'If "Q1 new business" is "Q4 new business" renamed and changed, apply the rename alone first ' +
        '(a rename starts no second run; the new name\'s runs begin with the next period), then the change',
    );
    expect(lines).toContainEqual(expect.stringMatching(
      /^ {2}> goal "SDR monthly wins" renamed to "SDR wins per month" {2}\(otherwise the same rule; a new rule id, sdr-wins-per-month: runs already started go on under the old name .*the new name's runs begin with the next period\)$/,
    ));
    expect(lines).toContainEqual(expect.stringMatching(
      /^ {2}> incentive "Account managers FY26" renamed to "AM renewals FY26" .*"payouts run" of a period run under the old name leaves its reps alone, but draw balances, clawbacks and dispute adjustments do not carry over/,
    ));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}> sequence "CSAT after close" renamed to "CSAT survey after close" /));
    expect(lines.filter((l) => /SDR monthly wins|SDR wins per month|Account managers|AM renewals|CSAT/.test(l))).toHaveLength(3);
    const json = JSON.parse(salesflow(['status', '--format', 'json']).stdout) as { workingCopy: { renamed: unknown[] } };
    expect(json.workingCopy.renamed).toEqual([
      { kind: 'incentive', from: { id: 'account-managers-fy26', name: 'Account managers FY26' }, to: { id: 'am-renewals-fy26', name: 'AM renewals FY26' } },
      { kind: 'sequence', from: { id: 'csat-after-close', name: 'CSAT after close' }, to: { id: 'csat-survey-after-close', name: 'CSAT survey after close' } },
      { kind: 'goal', from: { id: 'sdr-monthly-wins', name: 'SDR monthly wins' }, to: { id: 'sdr-wins-per-month', name: 'SDR wins per month' } },
    ]);

    const plan = salesflow(['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /\+ salesflow:sdr-wins-per-month:goal-period-start\n.*\n {6}renamed from "SDR monthly wins" \(salesflow:sdr-monthly-wins:goal-period-start\), otherwise the same rule: runs already started go on/,
    );
    expect(plan.stdout).toMatch(
      /\+ salesflow:q1-new-business:goal-period-start\n.*\n {6}and the quarter under way at once, for each matching rep\n {6}goal "Q4 new business" \(removed in this plan\) keeps its runs of the period under way to its end: a rep selected by "Q1 new business" and "Q4 new business" gets the check-ins and review of both/,
    );
    // A goal renamed alone is not one of them.
    expect(plan.stdout).not.toMatch(/goal "SDR monthly wins" \(removed in this plan\)/);
    expect(plan.stdout).toMatch(/- salesflow:sdr-monthly-wins:goal-period-start\n.*\(renamed to "SDR wins per month"\)/);

    const apply = salesflow(['apply']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).not.toContain('Started goal "SDR wins per month"');
    expect(apply.stdout).toMatch(/Started goal "Q1 new business" for the quarter under way/);
    expect(await exists(`dispatch:sdr-wins-per-month:goal-period-start:${month}`)).toBe(false);
    expect(await exists(`dispatch:q1-new-business:goal-period-start:${quarter}`)).toBe(true);
    expect(salesflow(['status']).stdout).toMatch(/Working copy \(rules\/\): plan [0-9a-f]{12}, the same as the applied plan\./);
  }, 300_000);

  it('two identical new rules for one removed: which one is the rename is a guess, so neither is paired', () => {
    const seen = (id: string, body = 'b') => ({ id, name: id, kind: 'goal', body });
    expect(findRenames([seen('old')], [seen('new-1'), seen('new-2')])).toEqual([]);
    expect(findRenames([seen('old')], [seen('new-1'), seen('new-2', 'other')]))
      .toEqual([{ kind: 'goal', from: { id: 'old', name: 'old' }, to: { id: 'new-1', name: 'new-1' } }]);
  });
});
