import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportLedger } from '../../src/data/ledger.js';
import { recordAppliedPlan } from '../../src/data/plans.js';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { SequenceRule } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { dispatchWorkflow } from '../../src/workflows/dispatch.js';
import { payoutWorkflow } from '../../src/workflows/payout.js';
import { bin, field, specRule, str } from '../payouts/spec-rule.js';
import { startHarness, type Harness } from './support/harness.js';
import { goalRule, sequenceRule, step, template, to } from './support/rules.js';

let h: Harness;

const rep = (id: string, role: string, team = 'EMEA AEs'): RepRecord => ({
  id, name: `Rep ${id}`, email: `${id}@acme.example`, team, role, region: 'EMEA', manager: null, timezone: 'Europe/Berlin', start_date: null,
});

beforeAll(async () => {
  h = await startHarness('dispatch');
  for (const r of [rep('ae-1', 'AE'), rep('ae-2', 'AE'), rep('ae-3', 'AE'), rep('sdr-1', 'SDR', 'US SDRs')]) {
    await upsertRep(h.db, r);
    await upsertDeal(h.db, {
      id: `${r.id}-deal`, rep: r.id, name: 'Deal', amount: '50000', currency: 'USD', stage: 'won', product: 'Core',
      type: 'new', source: null, closed_at: '2026-02-10', contact: null,
    });
  }
});
afterAll(async () => {
  await h?.close();
});

function dispatch(input: Parameters<typeof dispatchWorkflow>[0], id: string) {
  return h.testEnv.client.workflow.execute(dispatchWorkflow, { taskQueue: h.taskQueue, workflowId: id, args: [input] });
}

describe('dispatch workflow', () => {
  test('period-end payouts: one run per matching rep, never a second for the same rule, rep and period', async () => {
    const rule = specRule({ id: 'fanout', cap: null });
    // `payouts run` already started one of them.
    const early = await h.testEnv.client.workflow.start(payoutWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.payout(rule.id, 'ae-2', '2026-Q1'), args: [{ rule, repId: 'ae-2', period: '2026-Q1' }],
    });
    await early.result();
    const first = await dispatch({ rule, action: 'incentive-period-end', period: '2026-Q1' }, 'dispatch-fanout-1');
    expect(first).toMatchObject({
      period: '2026-Q1', startedCount: 2, skippedCount: 1,
      started: [workflowIds.payout(rule.id, 'ae-1', '2026-Q1'), workflowIds.payout(rule.id, 'ae-3', '2026-Q1')],
      skipped: [workflowIds.payout(rule.id, 'ae-2', '2026-Q1')],
    });
    for (const id of first.started) await h.testEnv.client.workflow.getHandle(id).result();
    const again = await dispatch({ rule, action: 'incentive-period-end', period: '2026-Q1' }, 'dispatch-fanout-2');
    expect(again).toMatchObject({ startedCount: 0, skippedCount: 3 });
    const ledger = (await exportLedger(h.db, '2026-Q1')).filter((e) => e.ruleId === rule.id);
    expect(ledger.map((e) => [e.rep, e.amount])).toEqual([['ae-1', '4000.00'], ['ae-2', '4000.00'], ['ae-3', '4000.00']]);
  });

  test('without a period, payouts are for the period that just ended and goals for the one that just started, in the rule\'s zone', async () => {
    // An explicit instant, never the clock's (the period read off the real clock changed between
    // the test's reading and the dispatch's at a month's last second, and the time-skipping
    // server's clock can jump years while the test awaits a result): the tick the dispatch acts
    // for is 00:30 on 1 January in Berlin, still 31 December 23:30 in UTC.
    const year = 2028;
    const firedAt = new Date(Date.UTC(year, 0, 1) - 30 * 60_000).toISOString();
    const incentive = specRule({ id: 'derived', effective: { from: null, to: null }, approval: null, period: 'month', timezone: 'Europe/Berlin' });
    const ended = await dispatch({ rule: incentive, action: 'incentive-period-end', firedAt }, 'dispatch-derived-1');
    // December has ended in Berlin.
    expect(ended.period).toBe(`${year - 1}-12`);
    expect(ended.startedCount).toBe(3);

    // The goal's zone is UTC, where the fourth quarter is still under way.
    const goal = goalRule({ id: 'derived-goal', period: 'quarter', target: '100000', checkpoints: [], templates: [] });
    const started = await dispatch({ rule: goal, action: 'goal-period-start', firedAt }, 'dispatch-derived-2');
    expect(started.period).toBe(`${year - 1}-Q4`);
    expect(started.started).toEqual(['ae-1', 'ae-2', 'ae-3', 'sdr-1'].map((r) => workflowIds.goal(goal.id, r, started.period!)));
  });

  test('a scheduled run records the applied plan of the moment on its runs: statements and ledger rows carry its hash', async () => {
    const rule = specRule({ id: 'planned', cap: null, approval: null });
    const plan = { formatVersion: 1 as const, hash: 'applied-plan-hash-0001', metrics: [], rules: [rule] };
    await recordAppliedPlan(h.db, {
      hash: plan.hash, planJson: JSON.stringify(plan), ruleHashes: {}, ruleCount: 1, gitCommit: null, gitDirty: null, rulePaths: ['rules/'],
    });
    const result = await dispatch({ rule, action: 'incentive-period-end', period: '2026-Q1' }, 'dispatch-planned');
    expect(result.startedCount).toBe(3);
    for (const id of result.started) await h.testEnv.client.workflow.getHandle(id).result();
    const ledger = (await exportLedger(h.db, '2026-Q1')).filter((e) => e.ruleId === rule.id);
    expect(ledger.map((e) => [e.rep, e.planHash])).toEqual(['ae-1', 'ae-2', 'ae-3'].map((r) => [r, plan.hash]));
    const statements = await h.db.kysely.selectFrom('statements').select(['rep', 'plan_hash']).where('rule_id', '=', 'planned').orderBy('rep').execute();
    expect(statements).toEqual(['ae-1', 'ae-2', 'ae-3'].map((r) => ({ rep: r, plan_hash: plan.hash })));
  });

  test('an incentive outside its effective dates starts nothing and says why', async () => {
    const rule = specRule({ id: 'expired' });
    const result = await dispatch({ rule, action: 'incentive-period-end', period: '2027-Q1' }, 'dispatch-expired');
    expect(result).toMatchObject({ startedCount: 0, skippedCount: 0 });
    expect(result.note).toMatch(/effective 2026-01-01 to 2026-12-31/);
  });

  test('a weekly sequence tick starts one run per rep and tick, continuing as new between pages', async () => {
    const base = sequenceRule({ id: 'weekly-prep', templates: [template('one-on-one-prep', '1:1 prep for {{rep.name}}', 'See you Friday.')], steps: [step.send('one-on-one-prep', to.rep)] });
    const rule: SequenceRule = {
      ...base,
      subject: 'rep',
      trigger: { kind: 'schedule', schedule: { days: ['friday'], at: '15:00' }, reps: bin('=', field('rep', 'team'), str('EMEA AEs')) },
    };
    const handle = await h.testEnv.client.workflow.start(dispatchWorkflow, {
      taskQueue: h.taskQueue, workflowId: 'dispatch-tick-1', args: [{ rule, action: 'sequence-tick', childrenPerRun: 2 }],
    });
    const result = await handle.result();
    expect(result.startedCount).toBe(3);
    const firstRun = await h.testEnv.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    expect(result.started[0]).toMatch(new RegExp(`^seq:weekly-prep:rep:ae-1:\\d{4}-\\d{2}-\\d{2}$`));
    for (const id of result.started) await h.testEnv.client.workflow.getHandle(id).result();
    for (const r of ['ae-1', 'ae-2', 'ae-3']) expect(h.mail.to(`${r}@acme.example`).filter((m) => m.subject.startsWith('1:1 prep'))).toHaveLength(1);
    expect(h.mail.to('sdr-1@acme.example').filter((m) => m.subject.startsWith('1:1 prep'))).toHaveLength(0);
    const again = await dispatch({ rule, action: 'sequence-tick' }, 'dispatch-tick-2');
    expect(again).toMatchObject({ startedCount: 0, skippedCount: 3 });
  });

  test('a goal period starts no run for a rep who left before it or joins after it', async () => {
    const team = 'Leavers and joiners';
    const employed = (id: string, start_date: string | null, end_date: string | null) => upsertRep(h.db, { ...rep(id, 'AE', team), start_date, end_date });
    await employed('gone-before', '2024-01-01', '2026-12-31');
    await employed('gone-during', '2024-01-01', '2027-01-15');
    await employed('joins-during', '2027-03-31', null);
    await employed('joins-after', '2027-04-01', null);
    const goal = { ...goalRule({ id: 'employment-goal', period: 'quarter', target: '100000', checkpoints: [], templates: [] }), reps: bin('=', field('rep', 'team'), str(team)) };
    const result = await dispatch({ rule: goal, action: 'goal-period-start', period: '2027-Q1' }, 'dispatch-employment');
    expect(result.started).toEqual(['gone-during', 'joins-during'].map((r) => workflowIds.goal(goal.id, r, '2027-Q1')));
  });
});
