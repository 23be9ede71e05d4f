// A rep imported while a goal's period is under way gets a run for that period (SPEC §5: one run
// per goal, rep and period; docs/language.md "When the runs start"): the goal's schedule passes
// every day at 00:00 UTC+14 and starts the runs still missing. Before, it fired only on a period's
// first day, so a rep hired mid-quarter heard nothing for up to 13 weeks, review included.
// Dev server, real worker and SMTP catcher; the schedule's daily pass is replayed as a backfill at
// an explicit instant in November 2026 (never today's clock).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { recordAppliedPlan } from '../../src/data/plans.js';
import { upsertRep } from '../../src/data/reps.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { GoalRule } from '../../src/plan/schema.js';
import { renderPeriodStarts } from '../../src/runtime/schedule-diff.js';
import { applySchedules, planSchedules } from '../../src/runtime/schedules.js';
import { workflowIds, type DispatchResult, type GoalInput } from '../../src/workflows/api.js';
import { goalRule, template, to } from '../workflows/support/rules.js';
import { planOf } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';
import { eventually } from './support/eventually.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('goal-rep-added');
});
afterAll(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };
const weekly: GoalRule = goalRule({
  id: 'weekly-bookings',
  period: 'week',
  target: '10000',
  templates: [template('goal-review', 'Review of {{progress.period}} for {{rep.name}}', '{{progress.measure}} of {{progress.target}}.')],
  checkpoints: [{ id: 'review', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-review', template: 'goal-review', to: [to.rep], source }] }],
});

const rep = (id: string): RepRecord => ({
  id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'AEs', role: 'AE', region: 'EMEA', manager: null, timezone: 'Europe/Berlin', start_date: null,
});

// Apply's clock: Wednesday 2026-11-18, 17:00 in UTC+14 (ISO week 2026-W47).
const APPLIED_AT = new Date('2026-11-18T03:00:00Z');
// The schedule's next pass: Thursday 2026-11-19 00:00 in UTC+14, still week 2026-W47 everywhere.
const NEXT_DAILY_PASS = new Date('2026-11-18T10:00:00Z');

test('a rep imported mid-week gets that week\'s run at the schedule\'s next daily pass (its review arrives once); reps with a run are not started again', async () => {
  await upsertRep(h.db, rep('r-first'));
  const [started] = await applySchedules(h.client, await planSchedules(h.client, planOf([weekly]), h.config.temporal.taskQueue), { now: APPLIED_AT });
  expect(started).toMatchObject({ period: '2026-W47', outcome: 'started' });
  expect(await h.client.workflow.getHandle(started.workflowId).result()).toMatchObject({ startedCount: 1 });

  // Hired on Thursday of that week, imported then.
  await upsertRep(h.db, { ...rep('r-new'), start_date: '2026-11-19' });
  const schedule = h.client.schedule.getHandle('salesflow:weekly-bookings:goal-period-start');
  await schedule.backfill([{ start: new Date(NEXT_DAILY_PASS.getTime() - 60_000), end: new Date(NEXT_DAILY_PASS.getTime() + 60_000), overlap: 'ALLOW_ALL' }]);
  const pass = await eventually(async () => {
    const { info } = await schedule.describe();
    const action = info.recentActions.find((a) => a.scheduledAt.getTime() === NEXT_DAILY_PASS.getTime());
    if (!action) throw new Error('the daily pass has not fired');
    return action;
  });
  const dispatched = (await h.client.workflow.getHandle(pass.action.workflow.workflowId, pass.action.workflow.firstExecutionRunId).result()) as DispatchResult;
  // r-first's run has begun (recorded by its first activity): no start is even tried for it.
  expect(dispatched).toMatchObject({ period: '2026-W47', startedCount: 1, skippedCount: 0 });
  expect(dispatched.started).toEqual([workflowIds.goal('weekly-bookings', 'r-new', '2026-W47')]);

  // The week is long over on the server's real clock: the new rep's run sends the review at once.
  const handle = h.client.workflow.getHandle(workflowIds.goal('weekly-bookings', 'r-new', '2026-W47'));
  const history = await handle.fetchHistory();
  const input = JSON.parse(Buffer.from(history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0].data!).toString('utf8')) as GoalInput;
  expect(input).toMatchObject({ repId: 'r-new', period: '2026-W47', rule: { version: weekly.version } });
  await handle.result();
  const reviews = await h.waitForMail('r-new@acme.example');
  expect(reviews.map((m) => m.subject)).toEqual(['Review of 2026-W47 for Rep r-new']);
  expect(await h.caught('r-first@acme.example')).toHaveLength(1);
});

test('a goal\'s daily pass tries to start only the reps without a run: none on the day after the period\'s first pass for a handful of reps', async () => {
  const rule = { ...weekly, id: 'weekly-handful', name: 'weekly handful', version: 'v-weekly-handful' };
  const reps = ['h-1', 'h-2', 'h-3', 'h-4', 'h-5'];
  for (const id of reps) await upsertRep(h.db, { ...rep(id), team: 'Handful' });
  const onlyHandful: GoalRule = {
    ...rule,
    reps: {
      kind: 'binary', type: 'bool', op: '=',
      left: { kind: 'field', type: 'string', entity: 'rep', field: 'team' },
      right: { kind: 'literal', type: 'string', value: { type: 'string', value: 'Handful' } },
    },
  };
  const pass = async (firedAt: Date, id: string) => h.client.workflow.execute('dispatchWorkflow', {
    taskQueue: h.config.temporal.taskQueue, workflowId: id,
    args: [{ rule: onlyHandful, action: 'goal-period-start', inRepZones: true, firedAt: firedAt.toISOString() }],
  }) as Promise<DispatchResult>;
  const attempts = (r: DispatchResult) => r.startedCount + r.skippedCount;

  const first = await pass(APPLIED_AT, 'handful-pass-1');
  expect(first).toMatchObject({ period: '2026-W47', startedCount: 5 });
  for (const id of first.started) await h.client.workflow.getHandle(id).result();
  // The next day's pass: before, 5 start attempts, each refused by Temporal as a duplicate; now none.
  const second = await pass(NEXT_DAILY_PASS, 'handful-pass-2');
  expect({ attempts: attempts(second), startedCount: second.startedCount }).toEqual({ attempts: 0, startedCount: 0 });

  // A run with no row (begun before this salesflow recorded them, or a row lost): the pass tries
  // that one rep, Temporal refuses the duplicate, and the rep still has one run and one review.
  await h.db.kysely.deleteFrom('goal_runs_started').where('rule_id', '=', rule.id).where('rep_id', '=', 'h-3').execute();
  const third = await pass(new Date(NEXT_DAILY_PASS.getTime() + 86_400_000), 'handful-pass-3');
  expect(third).toMatchObject({ startedCount: 0, skippedCount: 1, skipped: [workflowIds.goal(rule.id, 'h-3', '2026-W47')] });
  for (const id of reps) expect((await h.waitForMail(`${id}@acme.example`)).map((m) => m.subject)).toEqual([`Review of 2026-W47 for Rep ${id}`]);
});

/** `for reps where rep.team = "<name>"`, as the checker compiles it. */
function teamIs(name: string): GoalRule['reps'] {
  return {
    kind: 'binary', type: 'bool', op: '=',
    left: { kind: 'field', type: 'string', entity: 'rep', field: 'team' },
    right: { kind: 'literal', type: 'string', value: { type: 'string', value: name } },
  };
}

/** One daily pass of a goal's period start, fired at `firedAt`, as the goal's schedule starts it. */
function dailyPass(rule: GoalRule, firedAt: Date, id: string): Promise<DispatchResult> {
  return h.client.workflow.execute('dispatchWorkflow', {
    taskQueue: h.config.temporal.taskQueue, workflowId: id,
    args: [{ rule, action: 'goal-period-start', inRepZones: true, firedAt: firedAt.toISOString() }],
  }) as Promise<DispatchResult>;
}

test('a goal renamed mid-week (otherwise the same): its daily pass starts no second run for the reps the old name\'s runs cover, only for a rep imported since', async () => {
  const team = teamIs('Renamed');
  const before: GoalRule = { ...weekly, id: 'weekly-before', name: 'weekly before', version: 'v-weekly-renamed', reps: team };
  const after: GoalRule = { ...before, id: 'weekly-after', name: 'weekly after' };
  const record = (rule: GoalRule) => {
    const plan = planOf([rule]);
    return recordAppliedPlan(h.db, { hash: plan.hash + rule.id, planJson: JSON.stringify(plan), ruleHashes: {}, ruleCount: 1, gitCommit: null, gitDirty: null, rulePaths: ['rules/'] });
  };
  const pass = (rule: GoalRule, firedAt: Date, id: string) => dailyPass(rule, firedAt, id);
  for (const id of ['n-1', 'n-2']) await upsertRep(h.db, { ...rep(id), team: 'Renamed' });

  await record(before);
  const first = await pass(before, APPLIED_AT, 'renamed-pass-1');
  expect(first).toMatchObject({ period: '2026-W47', startedCount: 2 });
  for (const id of first.started) await h.client.workflow.getHandle(id).result();

  // Renamed and applied; then a rep joins the team.
  await record(after);
  await upsertRep(h.db, { ...rep('n-3'), team: 'Renamed' });
  const next = await pass(after, NEXT_DAILY_PASS, 'renamed-pass-2');
  // Before: 3 started, n-1 and n-2 each with a second run and a second review of the week.
  expect(next).toMatchObject({ startedCount: 1, skippedCount: 0, started: [workflowIds.goal('weekly-after', 'n-3', '2026-W47')] });
  await h.client.workflow.getHandle(next.started[0]).result();
  for (const id of ['n-1', 'n-2', 'n-3']) expect(await h.waitForMail(`${id}@acme.example`)).toHaveLength(1);
  expect(await h.caught('n-1@acme.example')).toHaveLength(1);
});

test('a rep imported on the last day of a week west of UTC+14 gets that week\'s run (and review) at the next week\'s first pass, a rep whose week is over does not', async () => {
  const team = teamIs('West');
  const rule: GoalRule = { ...weekly, id: 'weekly-west', name: 'weekly west', version: 'v-weekly-west', reps: team };
  const pass = (firedAt: Date, id: string) => dailyPass(rule, firedAt, id);
  await upsertRep(h.db, { ...rep('w-berlin'), team: 'West' });
  const first = await pass(APPLIED_AT, 'west-pass-1');
  expect(first).toMatchObject({ period: '2026-W47', startedCount: 1 });
  await h.client.workflow.getHandle(first.started[0]).result();

  // Both hired in W47, imported on its Sunday: in Los Angeles that is the week's last day, in
  // Kiritimati already Monday of W48.
  await upsertRep(h.db, { ...rep('w-la'), team: 'West', timezone: 'America/Los_Angeles', start_date: '2026-11-16' });
  await upsertRep(h.db, { ...rep('w-kiri'), team: 'West', timezone: 'Pacific/Kiritimati', start_date: '2026-11-16' });
  // W48's first pass: Monday 2026-11-23 00:00 in UTC+14, Sunday 02:00 in Los Angeles.
  const next = await pass(new Date('2026-11-22T10:00:00Z'), 'west-pass-2');
  // Before: W48's three runs only; w-la never heard about W47 (no review of it).
  expect(next.period).toBe('2026-W48');
  expect([...next.started].sort()).toEqual([
    workflowIds.goal('weekly-west', 'w-berlin', '2026-W48'),
    workflowIds.goal('weekly-west', 'w-kiri', '2026-W48'),
    workflowIds.goal('weekly-west', 'w-la', '2026-W47'),
    workflowIds.goal('weekly-west', 'w-la', '2026-W48'),
  ].sort());
  await h.client.workflow.getHandle(workflowIds.goal('weekly-west', 'w-la', '2026-W47')).result();
  expect((await h.waitForMail('w-la@acme.example')).map((m) => m.subject)).toContain('Review of 2026-W47 for Rep w-la');
  // The next day's pass (Monday 10:00 UTC, still W47's Sunday in UTC−12) starts no W47 run again.
  const third = await pass(new Date('2026-11-23T10:00:00Z'), 'west-pass-3');
  expect(third.started.filter((id) => id.endsWith('2026-W47'))).toEqual([]);
});

test('apply says when a rep imported later gets the run: at the next daily pass, not the next period', () => {
  const text = renderPeriodStarts([{
    ruleId: 'weekly-bookings', ruleName: 'weekly bookings', kind: 'week', period: '2026-W47',
    workflowId: workflowIds.goalPeriodStart('weekly-bookings', '2026-W47'), outcome: 'started', matchingReps: 0,
  }]);
  expect(text).toContain('a rep imported later gets the run at the schedule\'s next daily pass (00:00 Pacific/Kiritimati)');
  expect(text).not.toContain('next week');
});
