import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { parsePeriod, type Period } from '../../src/payouts/period.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import {
  closingLines, describePayoutRuns, interruptedMessage, type PayoutRun, PayoutsInterrupted, ruleHeading, runLine, selectIncentives, startPayouts,
} from '../../src/runtime/payouts-run.js';
import { spawnDevServer } from '../../src/temporal/index.js';
import { decideStatement, getStatement, recordStatement } from '../../src/data/statements.js';
import { decideUpdate, payoutStatusQuery, type PayoutResult } from '../../src/workflows/api.js';
import { fieldEquals, incentiveRule, planOf } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';
import { rows, sql } from '../../src/data/db.js';
import type { NativeConnection } from '@temporalio/worker';
import { createWorker } from '../../src/runtime/worker.js';
import { Context } from '@temporalio/activity';
import { recordAppliedPlan } from '../../src/data/plans.js';
import { formerNames } from '../../src/renames/former-names.js';
import { salesflow } from '../data/cli.js';
import { withEnv } from './support/with-env.js';

let h: Harness;
const q1 = (parsePeriod('2026-Q1') as { ok: true; period: Period }).period;
const commission = { ...incentiveRule('ae-commission'), name: 'AE commission', reps: fieldEquals('rep', 'role', 'AE') };
const plan = planOf([commission]);
const afterQ1 = new Date('2026-04-02T12:00:00Z');

function rep(id: string, role: string): RepRecord {
  return {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'NA AEs', role, region: 'NA',
    manager: 'boss@acme.example', timezone: 'America/New_York', start_date: null,
  };
}

beforeAll(async () => {
  h = await startHarness('payouts');
  for (const r of [rep('r-1', 'AE'), rep('r-2', 'AE'), rep('r-3', 'SDR')]) await upsertRep(h.db, r);
  await upsertDeal(h.db, {
    id: 'D-1', rep: 'r-1', name: 'Big one', amount: '50000', currency: 'USD', stage: 'won', product: 'Platform',
    type: 'new', source: null, closed_at: '2026-02-10', contact: null,
  });
});
afterAll(async () => {
  await h?.close();
});

test('payouts run starts one payout per matching rep, and a second run starts none', async () => {
  const selection = selectIncentives(plan, q1, 'AE commission', afterQ1);
  expect(selection.ok).toBe(true);
  if (!selection.ok) return;
  const deps = { client: h.client, db: h.db, config: h.config };

  const first = await startPayouts(deps, selection.rules, q1);
  expect(first.map((r) => [r.workflowId, r.outcome])).toEqual([
    ['payout:ae-commission:r-1:2026-Q1', 'started'],
    ['payout:ae-commission:r-2:2026-Q1', 'started'],
  ]);
  const results = await Promise.all(first.map((r) => h.client.workflow.getHandle(r.workflowId).result() as Promise<PayoutResult>));
  expect(results.map((r) => r.phase)).toEqual(['approved', 'recorded']);

  const second = await startPayouts(deps, selection.rules, q1);
  expect(second.map((r) => r.outcome)).toEqual(['already-run', 'already-run']);
  expect(describePayoutRuns(selection.rules, q1, second)).toContain('already run  Rep r-1 (r-1)  payout:ae-commission:r-1:2026-Q1');

  const ledger = await rows(h.db, sql`SELECT rep, amount FROM ledger ORDER BY rep`);
  expect(ledger).toEqual([{ rep: 'r-1', amount: '5000.00' }]);
});

test('a statement whose run Temporal no longer keeps (past its retention) is not run again: the data source decides', async () => {
  const q2 = (parsePeriod('2026-Q2') as { ok: true; period: Period }).period;
  const selection = selectIncentives(plan, q2, 'AE commission', new Date('2026-07-02T12:00:00Z'));
  expect(selection.ok).toBe(true);
  if (!selection.ok) return;
  // Approved and paid long ago; Temporal has forgotten the run (no workflow with its id exists).
  const gone = 'payout:ae-commission:r-1:2026-Q2';
  const statement = {
    rule: 'AE commission', ruleId: 'ae-commission', ruleVersion: commission.version, rep: 'r-1', repName: 'Rep r-1', period: '2026-Q2', currency: 'USD',
    measureMetric: 'revenue', measure: '0', target: '100000.00', attainment: '0.00', lines: [], capped: false, total: '0.00', rewards: [], warnings: [],
  };
  await recordStatement(h.db, gone, statement, 'pending');
  await decideStatement(h.db, gone, { status: 'approved', by: 'boss@acme.example' });
  const runs = await startPayouts({ client: h.client, db: h.db, config: h.config }, selection.rules, q2);
  expect(runs.map((r) => [r.workflowId, r.outcome, r.state])).toEqual([
    [gone, 'already-run', 'approved'],
    ['payout:ae-commission:r-2:2026-Q2', 'started', undefined],
  ]);
  await expect(h.client.workflow.getHandle(gone).describe()).rejects.toThrow(/not found/i);
});

test('a pending statement whose run Temporal no longer has (its data lost, or past retention) is started again, and the output says so', async () => {
  await upsertRep(h.db, rep('r-lost', 'Lost'));
  const lost = { ...incentiveRule('lost'), name: 'Lost commission', reps: fieldEquals('rep', 'role', 'Lost') };
  const selection = selectIncentives(planOf([lost]), q1, undefined, afterQ1);
  if (!selection.ok) throw new Error(selection.message);
  const gone = 'payout:lost:r-lost:2026-Q1';
  const statement = {
    rule: 'Lost commission', ruleId: 'lost', ruleVersion: lost.version, rep: 'r-lost', repName: 'Rep r-lost', period: '2026-Q1', currency: 'USD',
    measureMetric: 'revenue', measure: '0', target: '100000.00', attainment: '0.00', lines: [], capped: false, total: '0.00', rewards: [], warnings: [],
  };
  await recordStatement(h.db, gone, statement, 'pending');
  const runs = await startPayouts({ client: h.client, db: h.db, config: { temporal: { ...h.config.temporal, taskQueue: 'payouts-lost' } } }, selection.rules, q1);
  expect(runs.map((r) => [r.workflowId, r.outcome])).toEqual([[`${gone}:attempt-2`, 'started-again']]);
  expect(describePayoutRuns(selection.rules, q1, runs)).toContain(`(a new statement; the last run, ${gone}, ended before a decision (Temporal no longer has the run: past its retention, or its data was lost), so no approval link can decide it`);
});

// Was: run with a TEMPORAL_NAMESPACE (or TEMPORAL_ADDRESS) other than the workers', every waiting
// statement's run looked lost, and each was started again there: every approver asked a second time.
test('payouts run refuses when Temporal has none of the waiting statements\' runs (another namespace), and --restart-lost starts them', async () => {
  // A period no other test uses: export looks at every statement of it.
  const fs = await import('node:fs');
  const rules = path.join(h.dir, 'ns-rules');
  fs.mkdirSync(rules, { recursive: true });
  fs.writeFileSync(path.join(rules, 'ns.rules'), [
    'settings {', '  timezone "UTC"', '  currency USD', '}', '',
    'incentive "Ns commission" {', '  for reps where rep.role = "NsRole"', '  period quarter', '  effective 2025-01-01 to 2026-12-31',
    '  measure revenue', '  target 100_000 USD', '  commission marginal {', '    above pay 5%', '  }', '}', '',
  ].join('\n'));
  await upsertRep(h.db, rep('r-ns', 'NsRole'));
  const waiting = 'payout:ns-commission:r-ns:2025-Q3';
  await recordStatement(h.db, waiting, {
    rule: 'Ns commission', ruleId: 'ns-commission', ruleVersion: 'v', rep: 'r-ns', repName: 'Rep r-ns', period: '2025-Q3', currency: 'USD',
    measureMetric: 'revenue', measure: '0', target: '100000.00', attainment: '0.00', lines: [], capped: false, total: '0.00', rewards: [], warnings: [],
  }, 'pending');
  const env = { TEMPORAL_ADDRESS: h.server.address, TEMPORAL_NAMESPACE: h.server.namespace, TEMPORAL_TASK_QUEUE: 'payouts-ns' };
  const dbPath = h.config.databasePath;
  const refused = await withEnv(env, () => salesflow(['payouts', 'run', '--period', '2025-Q3', rules], dbPath));
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`payouts run: the statement of 2025-Q3 waiting for approval (${waiting}) has no run in Temporal at ${h.server.address}, namespace "${h.server.namespace}", not even an ended one.`);
  expect(refused.stderr).toContain('Nothing was started.');
  await expect(h.client.workflow.getHandle(`${waiting}:attempt-2`).describe()).rejects.toThrow(/not found/i);
  // Export, in the same namespace, told payroll the statement could no longer be approved.
  const exported = await withEnv(env, () => salesflow(['payouts', 'export', '--period', '2025-Q3'], dbPath));
  expect(exported.code).toBe(0);
  expect(exported.stderr).toContain(`note: Temporal at ${h.server.address}, namespace "${h.server.namespace}", has none of their runs, not even ended ones: most likely not the namespace or cluster they were started in`);
  expect(exported.stderr).toContain('still awaits approval and is not in this export: Ns commission / r-ns');
  expect(exported.stderr).not.toContain('can no longer be approved');

  const restarted = await withEnv(env, () => salesflow(['payouts', 'run', '--period', '2025-Q3', '--restart-lost', rules], dbPath));
  expect(restarted.code).toBe(0);
  expect(restarted.stdout).toContain(`started again  Rep r-ns (r-ns)  ${waiting}:attempt-2`);
  await h.client.workflow.getHandle(`${waiting}:attempt-2`).terminate('test done');
});

test('a period that has not ended is refused with a clear message', async () => {
  const q2 = (parsePeriod('2026-Q2') as { ok: true; period: Period }).period;
  const selection = selectIncentives(plan, q2, undefined, new Date('2026-06-30T12:00:00Z'));
  expect(selection).toEqual({
    ok: false,
    message: '2026-Q2 has not ended yet (its last day is 2026-06-30, Europe/Berlin); payouts run only for a closed period',
  });
});

test('a period of another kind than the rule pays, or an unknown rule, is refused', async () => {
  const march = (parsePeriod('2026-03') as { ok: true; period: Period }).period;
  expect(selectIncentives(plan, march, 'AE commission', afterQ1)).toMatchObject({ ok: false, message: expect.stringContaining('pays per quarter, not per month') });
  expect(selectIncentives(plan, q1, 'Nope', afterQ1)).toMatchObject({ ok: false, message: 'no incentive named "Nope" (incentives: "AE commission")' });
  // A near-miss name gets the same "did you mean" as simulate; the case of a name does not matter.
  expect(selectIncentives(plan, q1, 'AE comission', afterQ1)).toEqual({
    ok: false, message: 'no incentive named "AE comission"; did you mean "AE commission"? (incentives: "AE commission")',
  });
  expect(selectIncentives(plan, q1, 'ae commission', afterQ1)).toMatchObject({ ok: true, rules: [{ id: 'ae-commission' }] });
});

describe('a rejected statement, after the data is corrected', () => {
  const reviewed = {
    ...incentiveRule('reviewed'), name: 'Reviewed commission', reps: fieldEquals('rep', 'role', 'Closer'),
    approval: {
      approver: { kind: 'field' as const, entity: 'rep' as const, field: 'manager', holds: 'email' as const },
      within: { amount: '5', unit: 'days' as const }, escalations: [], otherwise: 'reject' as const,
    },
  };
  const reviewedPlan = planOf([reviewed]);

  /** Decides the run's open round as the rep's manager, once it is asking. */
  async function decideAsManager(workflowId: string, decision: 'approve' | 'reject', reason?: string) {
    const handle = h.client.workflow.getHandle(workflowId);
    for (let i = 0; (await handle.query(payoutStatusQuery)).phase !== 'awaiting-approval'; i++) {
      if (i > 200) throw new Error(`${workflowId} never asked for approval`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await handle.executeUpdate(decideUpdate, { args: [{ approver: 'boss@acme.example', round: 0, decision, ...(reason ? { reason } : {}) }] });
    return (await handle.result()) as PayoutResult;
  }

  test('is run again only with --rerun-rejected: a new statement is asked for, paid once, and an approved one never runs again', async () => {
    await upsertRep(h.db, rep('r-9', 'Closer'));
    await upsertDeal(h.db, {
      id: 'D-9', rep: 'r-9', name: 'Typo deal', amount: '500000', currency: 'USD', stage: 'won', product: 'Platform',
      type: 'new', source: null, closed_at: '2026-03-10', contact: null,
    });
    const selection = selectIncentives(reviewedPlan, q1, 'Reviewed commission', afterQ1);
    if (!selection.ok) throw new Error(selection.message);
    const deps = { client: h.client, db: h.db, config: h.config };
    const first = await startPayouts(deps, selection.rules, q1);
    expect(first.map((r) => [r.workflowId, r.outcome])).toEqual([['payout:reviewed:r-9:2026-Q1', 'started']]);
    const rejected = await decideAsManager(first[0].workflowId, 'reject', 'D-9 is 50,000, not 500,000');
    expect(rejected).toMatchObject({ phase: 'rejected', ledgerEntryCreated: false });

    // Without the flag: nothing starts, and the output says why and how to ask again.
    const plain = await startPayouts(deps, selection.rules, q1);
    expect(plain.map((r) => [r.workflowId, r.outcome, r.state])).toEqual([['payout:reviewed:r-9:2026-Q1', 'already-run', 'rejected']]);
    const said = describePayoutRuns(selection.rules, q1, plain, 'Reviewed commission');
    expect(said).toContain('rejected by boss@acme.example: "D-9 is 50,000, not 500,000"');
    expect(said).toContain('salesflow payouts run --period 2026-Q1 --rule "Reviewed commission" --rerun-rejected');

    // The data is corrected; two runs of the command at once start the new attempt once.
    await upsertDeal(h.db, {
      id: 'D-9', rep: 'r-9', name: 'Typo deal', amount: '50000', currency: 'USD', stage: 'won', product: 'Platform',
      type: 'new', source: null, closed_at: '2026-03-10', contact: null,
    });
    const again = (await Promise.all([1, 2].map(() => startPayouts(deps, selection.rules, q1, { rerunRejected: true })))).flat();
    expect(again.map((r) => r.outcome).sort()).toEqual(['already-run', 'started-again']);
    const rerun = again.find((r) => r.outcome === 'started-again')!;
    expect(rerun.workflowId).toBe('payout:reviewed:r-9:2026-Q1:attempt-2');
    expect(describePayoutRuns(selection.rules, q1, [rerun])).toContain('started again  Rep r-9 (r-9)  payout:reviewed:r-9:2026-Q1:attempt-2  (a new statement; the last was rejected by boss@acme.example');
    const approved = await decideAsManager(rerun.workflowId, 'approve');
    expect(approved).toMatchObject({ phase: 'approved', ledgerEntryCreated: true, statement: { total: '5000.00' } });
    // The rejected statement stays on record as it was.
    expect(await getStatement(h.db, 'payout:reviewed:r-9:2026-Q1')).toMatchObject({ status: 'rejected', statement: { total: '50000.00' } });

    // A later plain run reports the attempt that stands (approved), not the rejection before it.
    const plainAfter = await startPayouts(deps, selection.rules, q1);
    expect(plainAfter.map((r) => [r.workflowId, r.outcome, r.state])).toEqual([['payout:reviewed:r-9:2026-Q1:attempt-2', 'already-run', 'approved']]);
    expect(describePayoutRuns(selection.rules, q1, plainAfter)).not.toContain('--rerun-rejected');

    const after = await startPayouts(deps, selection.rules, q1, { rerunRejected: true });
    expect(after.map((r) => [r.workflowId, r.outcome, r.state])).toEqual([['payout:reviewed:r-9:2026-Q1:attempt-2', 'already-run', 'approved']]);
    expect(describePayoutRuns(selection.rules, q1, after)).toContain('(approved and paid; never run again)');
    expect(await rows(h.db, sql`SELECT rep, amount, workflow_id FROM ledger WHERE rule_id = 'reviewed'`)).toEqual([
      { rep: 'r-9', amount: '5000.00', workflow_id: 'payout:reviewed:r-9:2026-Q1:attempt-2' },
    ]);
  });

  test('a re-run terminated and started again still tells the approver what was rejected before, and why', async () => {
    const twice = { ...reviewed, id: 'reviewed-twice', name: 'Reviewed twice', reps: fieldEquals('rep', 'role', 'Closer3') };
    await upsertRep(h.db, rep('r-10', 'Closer3'));
    await upsertDeal(h.db, {
      id: 'D-10', rep: 'r-10', name: 'Deal', amount: '40000', currency: 'USD', stage: 'won', product: 'Platform',
      type: 'new', source: null, closed_at: '2026-03-11', contact: null,
    });
    const selection = selectIncentives(planOf([twice]), q1, undefined, afterQ1);
    if (!selection.ok) throw new Error(selection.message);
    const deps = { client: h.client, db: h.db, config: h.config };
    await startPayouts(deps, selection.rules, q1);
    await decideAsManager('payout:reviewed-twice:r-10:2026-Q1', 'reject', 'D-10 was counted twice');
    await startPayouts(deps, selection.rules, q1, { rerunRejected: true });
    const second = 'payout:reviewed-twice:r-10:2026-Q1:attempt-2';
    const approvalOf = async (workflowId: string) => {
      for (let i = 0; ; i++) {
        const [row] = await rows(h.db, sql`SELECT text FROM outbox WHERE workflow_id = ${workflowId} AND key LIKE '%:approval-0:%' AND status = 'sent'`);
        if (row) return (row as { text: string }).text;
        if (i > 200) throw new Error(`${workflowId} sent no approval email`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    expect(await approvalOf(second)).toContain('D-10 was counted twice');
    await h.client.workflow.getHandle(second).terminate('ops cleanup');
    const third = await startPayouts(deps, selection.rules, q1);
    expect(third.map((r) => [r.workflowId, r.outcome])).toEqual([['payout:reviewed-twice:r-10:2026-Q1:attempt-3', 'started-again']]);
    expect(await approvalOf('payout:reviewed-twice:r-10:2026-Q1:attempt-3')).toContain('D-10 was counted twice');
    await h.client.workflow.getHandle('payout:reviewed-twice:r-10:2026-Q1:attempt-3').terminate('test: done');
  });
});

test('a run that ended without a statement (terminated before it computed one) is started again, and the output says which run ended and how', async () => {
  await upsertRep(h.db, rep('r-8', 'Closer8'));
  const rule = { ...incentiveRule('ended'), name: 'Ended commission', reps: fieldEquals('rep', 'role', 'Closer8') };
  const selection = selectIncentives(planOf([rule]), q1, 'Ended commission', afterQ1);
  if (!selection.ok) throw new Error(selection.message);
  // Started where no worker listens, then terminated: Temporal has the run, the data source no statement.
  const handle = await h.client.workflow.start('payoutWorkflow', {
    workflowId: 'payout:ended:r-8:2026-Q1', taskQueue: 'nobody-listens-here', args: [{ rule, repId: 'r-8', period: '2026-Q1' }],
  });
  await handle.terminate('test: ended before computing');
  const runs = await startPayouts({ client: h.client, db: h.db, config: h.config }, selection.rules, q1);
  expect(runs.map((r) => [r.workflowId, r.outcome])).toEqual([['payout:ended:r-8:2026-Q1:attempt-2', 'started-again']]);
  const said = describePayoutRuns(selection.rules, q1, runs);
  expect(said).toMatch(/started again {2}Rep r-8 \(r-8\) {2}payout:ended:r-8:2026-Q1:attempt-2 {2}\(a new statement; the last run, payout:ended:r-8:2026-Q1, ended before recording a statement \(terminated \d{4}-\d\d-\d\d \d\d:\d\d UTC\), so no approval link can decide it; its history in Temporal says why\)/);
  expect(said).toContain('1 payout run(s) started, 0 already run\n1 of them follows a run that ended (terminated or failed in Temporal) without a decision');
  // The new run computes its statement (nothing to pay here: r-8 closed nothing) and is not started a third time.
  expect(((await h.client.workflow.getHandle('payout:ended:r-8:2026-Q1:attempt-2').result()) as PayoutResult).phase).toBe('recorded');
  const again = await startPayouts({ client: h.client, db: h.db, config: h.config }, selection.rules, q1);
  expect(again.map((r) => [r.workflowId, r.outcome, r.state])).toEqual([['payout:ended:r-8:2026-Q1:attempt-2', 'already-run', 'recorded']]);
});

describe('a rep with nobody to ask for approval (no manager on record, or only themselves)', () => {
  const byManager = (otherwise: 'approve' | 'reject') => ({
    approver: { kind: 'field' as const, entity: 'rep' as const, field: 'manager', holds: 'email' as const },
    within: { amount: '5', unit: 'days' as const }, escalations: [], otherwise,
  });
  const paidUnseen = { ...incentiveRule('unseen'), name: 'Unseen commission', reps: fieldEquals('rep', 'role', 'Solo'), approval: byManager('approve') };
  const rejectedUnseen = { ...incentiveRule('unseen-reject'), name: 'Strict commission', reps: fieldEquals('rep', 'role', 'Solo2'), approval: byManager('reject') };
  const won = (id: string, repId: string) => upsertDeal(h.db, {
    id, rep: repId, name: id, amount: '20000', currency: 'USD', stage: 'won', product: 'Platform', type: 'new', source: null, closed_at: '2026-02-12', contact: null,
  });

  test('payouts run says which reps no one will be asked about and what `otherwise` does with them; a later run says so again', async () => {
    await upsertRep(h.db, { ...rep('r-solo', 'Solo'), manager: null });
    await upsertRep(h.db, { ...rep('r-self', 'Solo'), manager: 'r-self@acme.example' });
    await upsertRep(h.db, rep('r-asked', 'Solo'));
    await upsertRep(h.db, { ...rep('r-strict', 'Solo2'), manager: null });
    for (const id of ['r-solo', 'r-self', 'r-asked', 'r-strict']) await won(`D-${id}`, id);
    const selection = selectIncentives(planOf([paidUnseen, rejectedUnseen]), q1, undefined, afterQ1);
    if (!selection.ok) throw new Error(selection.message);
    const deps = { client: h.client, db: h.db, config: h.config };

    const first = await startPayouts(deps, selection.rules, q1);
    const said = describePayoutRuns(selection.rules, q1, first);
    expect(said).toContain('started      Rep r-solo (r-solo)  payout:unseen:r-solo:2026-Q1  (nobody to ask: rep.manager is empty)');
    expect(said).toContain(
      "warning: Unseen commission: nobody to ask for approval for 2 rep(s), so no approval email goes out; if a statement has anything to pay, the rule's `otherwise approve` pays it without anyone's approval when the approval window (5 days) ends:\n" +
      '  Rep r-self (r-self): the approver r-self@acme.example is the rep being paid\n' +
      '  Rep r-solo (r-solo): rep.manager is empty\n',
    );
    expect(said).toContain("warning: Strict commission: nobody to ask for approval for 1 rep(s), so no approval email goes out; if a statement has anything to pay, the rule's `otherwise reject` rejects it at once");
    expect(said).not.toMatch(/Rep r-asked \(r-asked\)[^\n]*nobody/);

    // The runs go on: the unasked one waits out its window, the strict one is rejected at once.
    await h.waitForMail('boss@acme.example');
    const strict = (await h.client.workflow.getHandle('payout:unseen-reject:r-strict:2026-Q1').result()) as PayoutResult;
    expect(strict.phase).toBe('rejected');
    const solo = h.client.workflow.getHandle('payout:unseen:r-solo:2026-Q1');
    for (let i = 0; !(await solo.query(payoutStatusQuery)).nobodyToAsk; i++) {
      if (i > 200) throw new Error('the r-solo run never reached its nobody-to-ask wait');
      await new Promise((r) => setTimeout(r, 50));
    }

    // Run again (a colleague checking on the period): the status says nobody was asked, not "waiting for approval".
    const again = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
    expect(again).toContain('already run  Rep r-solo (r-solo)  payout:unseen:r-solo:2026-Q1  (waiting for approval, but nobody was asked: rep.manager is empty)');
    expect(again).toContain('already run  Rep r-asked (r-asked)  payout:unseen:r-asked:2026-Q1  (waiting for approval)');
    expect(again).toContain("already run  Rep r-strict (r-strict)  payout:unseen-reject:r-strict:2026-Q1  (rejected by the rule's `otherwise reject`: nobody could be asked)");
    expect(again).toContain('warning: Unseen commission: nobody to ask for approval for 2 rep(s)');

    // r-strict gets a manager and is asked again: the output says why the last one was rejected.
    await upsertRep(h.db, rep('r-strict', 'Solo2'));
    const strictOnly = selectIncentives(planOf([rejectedUnseen]), q1, undefined, afterQ1);
    if (!strictOnly.ok) throw new Error(strictOnly.message);
    const redo = describePayoutRuns(strictOnly.rules, q1, await startPayouts(deps, strictOnly.rules, q1, { rerunRejected: true }));
    expect(redo).toContain("started again  Rep r-strict (r-strict)  payout:unseen-reject:r-strict:2026-Q1:attempt-2  (a new statement; the last was rejected by the rule's `otherwise reject`: nobody could be asked)");
    expect(redo).not.toContain('warning:');
  });

  test('a run terminated after its approval email went out is started again: a new statement, a new email, the old link decides nothing, paid once; export says it ended meanwhile', async () => {
    const asked = { ...incentiveRule('asked-ended'), name: 'Asked then ended', reps: fieldEquals('rep', 'role', 'Asked'), approval: byManager('reject') };
    await upsertRep(h.db, { ...rep('r-ended', 'Asked'), manager: 'ended-boss@acme.example' });
    await won('D-r-ended', 'r-ended');
    const selection = selectIncentives(planOf([asked]), q1, undefined, afterQ1);
    if (!selection.ok) throw new Error(selection.message);
    const deps = { client: h.client, db: h.db, config: h.config };
    await startPayouts(deps, selection.rules, q1);
    await h.waitForMail('ended-boss@acme.example');
    const first = 'payout:asked-ended:r-ended:2026-Q1';
    const handle = h.client.workflow.getHandle(first);
    for (let i = 0; (await handle.query(payoutStatusQuery)).approver === null; i++) {
      if (i > 200) throw new Error('the run never recorded its approver');
      await new Promise((r) => setTimeout(r, 50));
    }
    const waiting = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
    expect(waiting).toContain(`already run  Rep r-ended (r-ended)  ${first}  (waiting for approval)\n`);
    // An operator ends the run in Temporal: its statement stays pending, and no link can decide it now.
    await handle.terminate('ops cleanup');

    // Payroll exporting now hears the run ended (how and when), not that the statement still awaits approval.
    const env = { TEMPORAL_ADDRESS: h.server.address, TEMPORAL_NAMESPACE: h.server.namespace };
    const exported = await withEnv(env, () => salesflow(['payouts', 'export', '--period', '2026-Q1'], h.config.databasePath));
    expect(exported.code).toBe(0);
    // (Other tests of this file leave runs of 2026-Q1 ended too: the note names each.)
    expect(exported.stderr).toMatch(/note: \d+ statements? of 2026-Q1 (is|are) not in this export and can no longer be approved: [^\n]*Asked then ended \/ r-ended \(terminated \d{4}-\d\d-\d\d \d\d:\d\d UTC\)[^\n]*; `salesflow payouts run --period 2026-Q1` starts/);
    expect(exported.stderr).not.toMatch(/still await[^\n]*r-ended/);

    const restarted = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
    const second = `${first}:attempt-2`;
    expect(restarted).toMatch(new RegExp(`started again {2}Rep r-ended \\(r-ended\\) {2}${second} {2}\\(a new statement; the last run, ${first}, ended before a decision \\(terminated [^)]+\\), so no approval link can decide it`));
    // The new attempt asks again with a link of its own; the old link names the ended run and decides nothing.
    await h.waitForMail('ended-boss@acme.example', 2);
    expect((await rows(h.db, sql`SELECT key FROM outbox WHERE to_addr = 'ended-boss@acme.example' ORDER BY id`)).map((r) => (r as { key: string }).key))
      .toEqual([`${first}:approval-0:ended-boss@acme.example`, `${second}:approval-0:ended-boss@acme.example`]);
    const again = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
    expect(again).toContain(`already run  Rep r-ended (r-ended)  ${second}  (waiting for approval)`);
    await expect(handle.executeUpdate(decideUpdate, { args: [{ approver: 'ended-boss@acme.example', round: 0, decision: 'approve' }] })).rejects.toThrow();
    const next = h.client.workflow.getHandle(second);
    await next.executeUpdate(decideUpdate, { args: [{ approver: 'ended-boss@acme.example', round: 0, decision: 'approve' }] });
    expect(((await next.result()) as PayoutResult).ledgerEntryCreated).toBe(true);
    expect(await rows(h.db, sql`SELECT workflow_id FROM ledger WHERE rule_id = 'asked-ended'`)).toEqual([{ workflow_id: second }]);
    // Decided: neither attempt is pending in the export any more, and the payout is in the file.
    const paid = await withEnv(env, () => salesflow(['payouts', 'export', '--period', '2026-Q1'], h.config.databasePath));
    expect(paid.stdout).toContain('Asked then ended,r-ended,2026-Q1,USD,2000.00,ended-boss@acme.example');
    expect(paid.stderr).not.toContain('r-ended');
    const last = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
    expect(last).toContain(`already run  Rep r-ended (r-ended)  ${second}  (approved and paid; never run again)`);
  });
});

describe('a second `payouts run` while the first one\'s approval emails are going out', () => {
  test('says the email is being sent, with no "nobody to ask" warning, for a rep whose manager is on record', async () => {
    // A worker on its own task queue whose approval request is held at a gate: the state between
    // the statement being recorded and its approval email being recorded, which a second run (a
    // colleague, or the schedule) hits when it comes moments after the first.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    const taskQueue = 'runtime-payouts-gated';
    const gated = await createWorker({ ...h.config, temporal: { ...h.config.temporal, taskQueue } }, {
      connection: h.worker.worker.options.connection as NativeConnection, db: h.db, taskQueue,
      // r-stuck's request never goes out: its run is terminated while it waits.
      activities: (real) => ({ ...real, requestApproval: async (input) => { await (input.repId === 'r-stuck' ? Context.current().cancelled : gate); return real.requestApproval(input); } }),
    });
    const running = gated.run();
    try {
      const rule = {
        ...incentiveRule('gated'), name: 'Gated commission', reps: fieldEquals('rep', 'role', 'Gated'),
        approval: {
          approver: { kind: 'field' as const, entity: 'rep' as const, field: 'manager', holds: 'email' as const },
          within: { amount: '5', unit: 'days' as const }, escalations: [], otherwise: 'reject' as const,
        },
      };
      await upsertRep(h.db, { ...rep('r-gated', 'Gated'), manager: 'gated-boss@acme.example' });
      await upsertDeal(h.db, {
        id: 'D-gated', rep: 'r-gated', name: 'Gated', amount: '20000', currency: 'USD', stage: 'won', product: 'Platform',
        type: 'new', source: null, closed_at: '2026-02-12', contact: null,
      });
      const selection = selectIncentives(planOf([rule]), q1, undefined, afterQ1);
      if (!selection.ok) throw new Error(selection.message);
      const deps = { client: h.client, db: h.db, config: { ...h.config, temporal: { ...h.config.temporal, taskQueue } } };
      await startPayouts(deps, selection.rules, q1);
      const workflowId = 'payout:gated:r-gated:2026-Q1';
      for (let i = 0; (await getStatement(h.db, workflowId))?.status !== 'pending'; i++) {
        if (i > 400) throw new Error('the gated run never recorded its statement');
        await new Promise((r) => setTimeout(r, 50));
      }

      const again = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
      expect(again).toContain(`already run  Rep r-gated (r-gated)  ${workflowId}  (waiting for approval; the approval email is being sent)`);
      expect(again).not.toContain('warning:');
      expect(again).not.toContain('nobody');

      open();
      await h.waitForMail('gated-boss@acme.example');
      const later = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
      expect(later).toContain(`already run  Rep r-gated (r-gated)  ${workflowId}  (waiting for approval)`);

      // A run that ended (terminated, failed) with its statement pending will ask no one: said so,
      // not "the email is being sent" (a closed run still answers queries with its last state).
      await upsertRep(h.db, { ...rep('r-stuck', 'Gated'), manager: 'gated-boss@acme.example' });
      await upsertDeal(h.db, {
        id: 'D-stuck', rep: 'r-stuck', name: 'Stuck', amount: '20000', currency: 'USD', stage: 'won', product: 'Platform',
        type: 'new', source: null, closed_at: '2026-02-12', contact: null,
      });
      await startPayouts(deps, selection.rules, q1);
      const stuck = 'payout:gated:r-stuck:2026-Q1';
      for (let i = 0; (await getStatement(h.db, stuck))?.status !== 'pending'; i++) {
        if (i > 400) throw new Error('the stuck run never recorded its statement');
        await new Promise((r) => setTimeout(r, 50));
      }
      await h.client.workflow.getHandle(stuck).terminate('test: the run is gone');
      // A run that ended (terminated, failed) with its statement pending will ask no one: it is started again.
      const ended = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
      expect(ended).toContain(`started again  Rep r-stuck (r-stuck)  ${stuck}:attempt-2  (a new statement; the last run, ${stuck}, ended before a decision (terminated `);
      await h.client.workflow.getHandle(`${stuck}:attempt-2`).terminate('test: done');
    } finally {
      open();
      await gated.shutdown();
      await running.catch(() => {});
    }
  });
});

// A statement with nothing to pay is recorded without asking anyone: its warnings reach no email.
test('payouts run names the warnings of statements with nothing to pay (a deal left out for its currency), when started and when run again', async () => {
  const euro = { ...incentiveRule('euro-deals'), name: 'Euro deals', reps: fieldEquals('rep', 'role', 'Euro') };
  await upsertRep(h.db, rep('r-eu', 'Euro'));
  await upsertRep(h.db, rep('r-us', 'Euro'));
  await upsertDeal(h.db, {
    id: 'D-eu', rep: 'r-eu', name: 'Berlin', amount: '7000', currency: 'EUR', stage: 'won', product: 'Platform',
    type: 'new', source: null, closed_at: '2026-02-11', contact: null,
  });
  const selection = selectIncentives(planOf([euro]), q1, 'Euro deals', afterQ1);
  if (!selection.ok) throw new Error(selection.message);
  const deps = { client: h.client, db: h.db, config: h.config };
  const warning = 'warning: Euro deals: 1 statement(s) with nothing to pay carry warnings; a statement with nothing to pay is recorded without asking anyone, so no email tells anyone of these:\n' +
    '  Rep r-eu (r-eu): deal D-eu (won, 7,000.00 EUR) is left out: it is in EUR, the statement is in USD (no currency conversion)\n';

  const first = await startPayouts(deps, selection.rules, q1);
  expect(first.map((r) => r.outcome)).toEqual(['started', 'started']);
  expect(describePayoutRuns(selection.rules, q1, first)).toContain(warning);
  const results = await Promise.all(first.map((r) => h.client.workflow.getHandle(r.workflowId).result() as Promise<PayoutResult>));
  expect(results.map((r) => r.phase)).toEqual(['recorded', 'recorded']);

  const again = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1));
  expect(again).toContain('already run  Rep r-eu (r-eu)  payout:euro-deals:r-eu:2026-Q1  (recorded, nothing to pay)');
  expect(again).toContain(warning);
  // Bob's zero statement has no warning: nothing to tell.
  expect(again).not.toContain('Rep r-us (r-us): ');
});

test('payouts run names, as an error, a run whose statement total is more than payouts can record (its run stops without it)', async () => {
  const huge: IncentiveRule = {
    ...incentiveRule('huge-totals'), name: 'Huge totals', reps: fieldEquals('rep', 'role', 'Huge'),
    commission: { method: 'marginal', bands: [{ upTo: null, rate: '15' }] },
  };
  await upsertRep(h.db, rep('r-huge', 'Huge'));
  await upsertRep(h.db, rep('r-fine', 'Huge'));
  // Ten deals of 9 trillion USD: 90 trillion of revenue, 15% of it 13.5 trillion, past 9,223,372,036,854.77 USD.
  for (let i = 1; i <= 10; i++) {
    await upsertDeal(h.db, {
      id: `D-huge-${i}`, rep: 'r-huge', name: 'Huge', amount: '9000000000000', currency: 'USD', stage: 'won', product: 'Platform',
      type: 'new', source: null, closed_at: '2026-02-12', contact: null,
    });
  }
  const selection = selectIncentives(planOf([huge]), q1, 'Huge totals', afterQ1);
  if (!selection.ok) throw new Error(selection.message);
  const runs = await startPayouts({ client: h.client, db: h.db, config: h.config }, selection.rules, q1);
  const text = describePayoutRuns(selection.rules, q1, runs);
  expect(text).toMatch(new RegExp(
    '\\nerror: Huge totals: 1 run\\(s\\) stop without recording a statement, nothing paid or asked:\\n' +
    '  Rep r-huge \\(r-huge\\): the total [\\d,]+\\.\\d\\d USD is more than payouts can record \\(at most 9,223,372,036,854\\.77 USD\\)',
  ));
  expect(text).not.toContain('Rep r-fine (r-fine): the total');
  const failed = await h.client.workflow.getHandle('payout:huge-totals:r-huge:2026-Q1').result().then(() => null, (err: Error) => err);
  expect(failed).not.toBeNull();
  expect(await getStatement(h.db, 'payout:huge-totals:r-huge:2026-Q1')).toBeNull();
});

test('an incentive renamed since a period ran: payouts run of that period finds the reps run under the old name and neither asks nor pays them again', async () => {
  const q3 = (parsePeriod('2026-Q3') as { ok: true; period: Period }).period;
  await upsertDeal(h.db, {
    id: 'D-q3', rep: 'r-1', name: 'Summer deal', amount: '40000', currency: 'USD', stage: 'won', product: 'Platform',
    type: 'new', source: null, closed_at: '2026-08-10', contact: null,
  });
  const deps = { client: h.client, db: h.db, config: h.config };
  // Q3 ran under the old name: r-1 paid, r-2 recorded with nothing to pay.
  const before = await startPayouts(deps, [commission], q3);
  const results = await Promise.all(before.map((r) => h.client.workflow.getHandle(r.workflowId).result() as Promise<PayoutResult>));
  expect(results.map((r) => r.phase)).toEqual(['approved', 'recorded']);

  // Then the rule was renamed and applied (same content, so `history` pairs the two names).
  const renamed = { ...commission, id: 'ae-commission-na', name: 'AE commission NA', version: `${commission.version}-na` };
  const record = (p: ReturnType<typeof planOf>) => recordAppliedPlan(h.db, {
    hash: p.hash, planJson: JSON.stringify(p), ruleHashes: {}, ruleCount: p.rules.length, gitCommit: null, gitDirty: null, rulePaths: ['rules/'],
  });
  await record(planOf([commission]));
  await record(planOf([renamed]));
  const former = await formerNames(h.db, planOf([renamed]));
  expect(former.get('ae-commission-na')).toEqual([{ id: 'ae-commission', name: 'AE commission' }]);

  const runs = await startPayouts(deps, [renamed], q3, { formerNames: former });
  expect(runs.map((r) => [r.workflowId, r.outcome, r.state, r.formerName])).toEqual([
    ['payout:ae-commission:r-1:2026-Q3', 'already-run', 'approved', 'AE commission'],
    ['payout:ae-commission:r-2:2026-Q3', 'already-run', 'recorded', 'AE commission'],
  ]);
  expect(describePayoutRuns([renamed], q3, runs)).toContain(
    'already run  Rep r-1 (r-1)  payout:ae-commission:r-1:2026-Q3  (run under the rule\'s former name "AE commission": approved and paid; never run again; not run again under its new name)',
  );
  expect(await rows(h.db, sql`SELECT rule_id, rep, amount FROM ledger WHERE period = '2026-Q3'`)).toEqual([{ rule_id: 'ae-commission', rep: 'r-1', amount: '4000.00' }]);
  for (const id of ['payout:ae-commission-na:r-1:2026-Q3', 'payout:ae-commission-na:r-2:2026-Q3']) {
    await expect(h.client.workflow.getHandle(id).describe()).rejects.toThrow();
  }
});

// Temporal going away part-way (a restart, a network cut) stopped `payouts run` with a bare
// "ServiceError: Failed to start Workflow" stack trace, and printed none of the runs it had started.
test('Temporal lost part-way: the runs started so far are listed, the message says where it stopped, and running again starts only the rest', async () => {
  const interrupted = { ...incentiveRule('ae-interrupted'), name: 'AE interrupted', reps: fieldEquals('rep', 'role', 'Night closer') };
  for (const id of ['r-c1', 'r-c2', 'r-c3']) await upsertRep(h.db, rep(id, 'Night closer'));
  const selection = selectIncentives(planOf([interrupted]), q1, undefined, afterQ1);
  if (!selection.ok) throw new Error(selection.message);
  // A Temporal of its own, persisted to a file, so it can go away and come back with its runs.
  const dbFile = path.join(h.dir, 'interrupted-temporal.db');
  const server = await spawnDevServer({ dbFile });
  // Without the client's retries the lost server is noticed at once, not after half a minute.
  const connect = async () => new Client({ connection: await Connection.connect({ address: server.address, interceptors: [] }), namespace: server.namespace });
  const client = await connect();
  const start = client.workflow.start.bind(client.workflow);
  let starts = 0;
  client.workflow.start = (async (...args: Parameters<typeof start>) => {
    const handle = await start(...args);
    if (++starts === 1) await server.kill();
    return handle;
  }) as typeof client.workflow.start;
  // No worker polls this queue: the runs only need to exist.
  const deps = { client, db: h.db, config: { temporal: { ...h.config.temporal, taskQueue: 'payouts-interrupted' } } };

  // What `payouts run` prints as it goes: the rule's heading, then each rep's line once handled.
  const printed: string[] = [];
  const report = { onRule: (rule: IncentiveRule, reps: number) => printed.push(ruleHeading(rule, q1, reps)), onRun: (run: PayoutRun) => printed.push(runLine(run)) };
  const failure = await startPayouts(deps, selection.rules, q1, report).then(() => null, (err: unknown) => err);
  expect(failure).toBeInstanceOf(PayoutsInterrupted);
  const err = failure as PayoutsInterrupted;
  expect(printed).toEqual(['AE interrupted 2026-Q1:', '  started      Rep r-c1 (r-c1)  payout:ae-interrupted:r-c1:2026-Q1']);
  expect(closingLines(err.rules, q1, err.runs)).toEqual(['1 payout run(s) started, 0 already run']);
  expect(describePayoutRuns(err.rules, q1, err.runs)).toBe(`${[...printed, '1 payout run(s) started, 0 already run'].join('\n')}\n`);
  const message = interruptedMessage(err, q1, { rule: 'AE interrupted' });
  expect(message).toContain('stopped at AE interrupted / Rep r-c2 (r-c2), with 2 rep(s) of that rule not handled yet: Temporal did not answer (');
  expect(message).toContain('UNAVAILABLE');
  expect(message).toContain('The 1 run(s) listed as started go on; once Temporal answers, run `salesflow payouts run --period 2026-Q1 --rule "AE interrupted"` again');
  await client.connection.close();

  // Temporal is back: the same command starts the two left and leaves the first alone.
  const back = await spawnDevServer({ dbFile, port: server.port });
  const again = new Client({ connection: await Connection.connect({ address: back.address }), namespace: back.namespace });
  try {
    const runs = await startPayouts({ ...deps, client: again }, selection.rules, q1);
    expect(runs.map((r) => [r.repId, r.outcome])).toEqual([['r-c1', 'already-run'], ['r-c2', 'started'], ['r-c3', 'started']]);
  } finally {
    await again.connection.close();
    await back.stop();
  }
});

// A quoted CSV cell may hold a line break, and a rep's name imported so split their line of the
// report in two: the second half read like a line of its own.
test('a rep name with a line break stays on its rep\'s one line', async () => {
  const twoLines = { ...incentiveRule('two-lines'), name: 'Two lines', reps: fieldEquals('rep', 'role', 'Two-line') };
  await upsertRep(h.db, { ...rep('r-nl', 'Two-line'), name: 'Eve Adams\r\n  (EMEA)' });
  const selection = selectIncentives(planOf([twoLines]), q1, undefined, afterQ1);
  if (!selection.ok) throw new Error(selection.message);
  const deps = { client: h.client, db: h.db, config: { temporal: { ...h.config.temporal, taskQueue: 'payouts-two-lines' } } };
  const said = describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1)).split('\n');
  expect(said.slice(0, 3)).toEqual(['Two lines 2026-Q1:', '  started      Eve Adams (EMEA) (r-nl)  payout:two-lines:r-nl:2026-Q1', '1 payout run(s) started, 0 already run']);
});

// `payouts run` used to start one rep after another (~66 ms each: 10,000 reps took 11 minutes). It
// now starts up to 16 at once; what it prints must still read in rep order, and a failure part-way
// must still name where it stopped and list every run it started, so running it again starts only the rest.
describe('many reps, started several at once', () => {
  const many = { ...incentiveRule('ae-many'), name: 'AE many', reps: fieldEquals('rep', 'role', 'Many') };
  const ids = Array.from({ length: 30 }, (_, i) => `r-m${String(i).padStart(2, '0')}`);
  beforeAll(async () => {
    for (const id of ids) await upsertRep(h.db, rep(id, 'Many'));
  });

  /** A client whose starts finish out of order (later reps sooner), and fail for `failing`. */
  function shuffledClient(failing: Set<string>): Client {
    const client = new Client({ connection: h.client.connection, namespace: h.server.namespace });
    const start = client.workflow.start.bind(client.workflow);
    client.workflow.start = (async (...args: Parameters<typeof start>) => {
      const workflowId = args[1].workflowId;
      const index = ids.findIndex((id) => workflowId.includes(`:${id}:`));
      await new Promise((r) => setTimeout(r, (ids.length - index) * 3));
      if ([...failing].some((id) => workflowId.includes(`:${id}:`))) throw new Error(`test: Temporal refused ${workflowId}`);
      return start(...args);
    }) as typeof client.workflow.start;
    return client;
  }

  test('the lines come in rep order; a failure part-way lists every run started, names the rep it stopped at, and a second run starts only the rest', async () => {
    const selection = selectIncentives(planOf([many]), q1, undefined, afterQ1);
    if (!selection.ok) throw new Error(selection.message);
    // No worker polls this queue: the runs only need to exist.
    const deps = { client: shuffledClient(new Set(['r-m07'])), db: h.db, config: { temporal: { ...h.config.temporal, taskQueue: 'payouts-many' } } };
    const printed: string[] = [];
    const failure = await startPayouts(deps, selection.rules, q1, { onRun: (run) => printed.push(run.repId) }).then(() => null, (err: unknown) => err);
    expect(failure).toBeInstanceOf(PayoutsInterrupted);
    const err = failure as PayoutsInterrupted;
    const started = err.runs.map((r) => r.repId);
    // Printed as handled, in rep order, and nothing started left out of the list.
    expect(printed).toEqual(started);
    expect(started).toEqual([...started].sort());
    expect(started).toContain('r-m06');
    expect(started).not.toContain('r-m07');
    expect(err.at.rep?.id).toBe('r-m07');
    expect(err.at.repsLeft).toBe(ids.length - started.length);
    expect(interruptedMessage(err, q1)).toContain(`stopped at AE many / Rep r-m07 (r-m07), with ${ids.length - started.length} rep(s) of that rule not handled yet`);
    for (const run of err.runs) await expect(h.client.workflow.getHandle(run.workflowId).describe()).resolves.toBeTruthy();

    const again = await startPayouts({ ...deps, client: shuffledClient(new Set()) }, selection.rules, q1);
    expect(again.map((r) => r.repId)).toEqual(ids);
    expect(again.filter((r) => r.outcome === 'already-run').map((r) => r.repId)).toEqual(started);
    expect(again.filter((r) => r.outcome === 'started').length).toBe(ids.length - started.length);
  });
});
