// Schedules made by apply start the real dispatch workflow with the rule object they carry.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertRep } from '../../src/data/reps.js';
import type { GoalRule } from '../../src/plan/schema.js';
import { countMatchingReps } from '../../src/runtime/goal-period-start.js';
import { renderChanges, renderPeriodStarts } from '../../src/runtime/schedule-diff.js';
import { applySchedules, planSchedules } from '../../src/runtime/schedules.js';
import { workflowIds } from '../../src/workflows/api.js';
import type { DispatchResult, GoalInput } from '../../src/workflows/api.js';
import { EARLIEST_ZONE, localDate, previousWeekly } from '../../src/workflows/calendar.js';
import { fieldEquals, goalRule, planOf, scheduledSequence } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';
import { eventually } from './support/eventually.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('schedules-dispatch');
  for (const [id, timezone] of [['r-1', 'Europe/Berlin'], ['r-2', 'Europe/Berlin'], ['r-la', 'America/Los_Angeles'], ['r-none', null]]) {
    await upsertRep(h.db, {
      id: id!, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
      manager: null, timezone, start_date: null,
    });
  }
});
afterAll(async () => {
  await h?.close();
});

/** The input a workflow was started with (its first history event). */
async function startInput<T>(workflowId: string): Promise<T> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  return JSON.parse(Buffer.from(payload!).toString('utf8')) as T;
}

const ALL_REPS = ['r-1', 'r-2', 'r-la', 'r-none'];
// Apply's clock, passed in: Wednesday 2026-11-18, 17:00 in UTC+14 (ISO week 2026-W47, Q4).
const NOW = new Date('2026-11-18T03:00:00Z');

test('a goal added mid-period starts for the period under way at once, one run per rep, also when two applies run at once; a re-apply starts nothing more', async () => {
  const rule = goalRule('q-goal');
  // Both planned before either applied, as two CI jobs would.
  const [one, two] = await Promise.all([0, 1].map(() => planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue)));
  expect(one.added.map((s) => s.goalPeriod)).toEqual(['quarter']);
  const starts = (await Promise.all([one, two].map((changes) => applySchedules(h.client, changes, { now: NOW })))).flat();
  expect(starts.map((s) => s.outcome).sort()).toEqual(['already', 'started']);
  expect(starts.map((s) => s.period)).toEqual(['2026-Q4', '2026-Q4']);

  const dispatch = (await h.client.workflow.getHandle(workflowIds.goalPeriodStart('q-goal', '2026-Q4')).result()) as DispatchResult;
  expect(dispatch).toMatchObject({ period: '2026-Q4', startedCount: 4, skippedCount: 0 });
  expect([...dispatch.started].sort()).toEqual(ALL_REPS.map((rep) => workflowIds.goal('q-goal', rep, '2026-Q4')));
  const run = await h.client.workflow.getHandle(workflowIds.goal('q-goal', 'r-1', '2026-Q4')).describe();
  expect(run.type).toBe('goalWorkflow');

  const again = await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue);
  expect(again.unchanged).toHaveLength(1);
  expect(await applySchedules(h.client, again, { now: NOW })).toEqual([]);
});

test('a goal switched from week to month starts the month under way with the monthly rule at once (once, with two applies at once); the week\'s runs stay; other edits start nothing', async () => {
  const weekly: GoalRule = { ...goalRule('switch-goal'), period: 'week', version: 'v-switch-week' };
  const [week] = await applySchedules(h.client, await planSchedules(h.client, planOf([weekly]), h.config.temporal.taskQueue), { now: NOW });
  expect(week).toMatchObject({ period: '2026-W47', outcome: 'started' });
  await h.client.workflow.getHandle(week.workflowId).result();

  const monthly: GoalRule = { ...weekly, period: 'month', version: 'v-switch-month' };
  const [one, two] = await Promise.all([0, 1].map(() => planSchedules(h.client, planOf([monthly]), h.config.temporal.taskQueue)));
  expect(one.changed.map((c) => c.existing.goalPeriod)).toEqual(['week']);
  expect(renderChanges(one, 'test')).toContain("and the month under way at once, for each matching rep; the week's runs already started finish as they began");
  const starts = (await Promise.all([one, two].map((changes) => applySchedules(h.client, changes, { now: NOW })))).flat();

  // Every rep has a run for November, started with the monthly rule (not the weekly one the
  // schedule carried until this apply).
  for (const rep of ALL_REPS) {
    const input = await eventually(() => startInput<GoalInput>(workflowIds.goal('switch-goal', rep, '2026-11')));
    expect(input.period, rep).toBe('2026-11');
    expect(input.rule).toMatchObject({ period: 'month', version: 'v-switch-month' });
  }
  expect(starts.map((s) => s.outcome).sort()).toEqual(['already', 'started']);
  const dispatch = (await h.client.workflow.getHandle(workflowIds.goalPeriodStart('switch-goal', '2026-11')).result()) as DispatchResult;
  expect(dispatch).toMatchObject({ startedCount: 4, skippedCount: 0 });
  // The week's runs go on with the weekly rule (their review still comes at the week's end).
  const weekRun = await startInput<GoalInput>(workflowIds.goal('switch-goal', 'r-1', '2026-W47'));
  expect(weekRun.rule).toMatchObject({ period: 'week', version: 'v-switch-week' });
  // The schedule carries the monthly rule for the months after this one.
  const schedule = await h.client.schedule.getHandle('salesflow:switch-goal:goal-period-start').describe();
  expect(schedule.action.type === 'startWorkflow' && schedule.action.args?.[0]).toMatchObject({ rule: { period: 'month', version: 'v-switch-month' } });

  // An edit that keeps the period (here the reps it is for) changes the schedule and starts nothing now.
  const narrowed: GoalRule = { ...monthly, version: 'v-switch-month-emea', reps: fieldEquals('rep', 'region', 'EMEA') };
  const edit = await planSchedules(h.client, planOf([narrowed]), h.config.temporal.taskQueue);
  expect(edit.changed).toHaveLength(1);
  expect(renderChanges(edit, 'test')).not.toContain('under way');
  expect(await applySchedules(h.client, edit, { now: NOW })).toEqual([]);
});

/** "Friday 2026-11-27 15:00" as a zone's clock shows an instant. */
function wallClock(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

test("a sequence tick fired by its schedule starts each rep's run for that Friday at 15:00 in the rep's zone; firing it again that week starts nothing", async () => {
  const rule = scheduledSequence('weekly-prep-zones');
  await applySchedules(h.client, await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue), { now: NOW });
  const schedule = h.client.schedule.getHandle('salesflow:weekly-prep-zones:sequence-tick');
  // The schedule's latest Friday 15:00 in UTC+14, replayed as a backfill: the nominal fire time decides the week.
  const fired = previousWeekly({ days: ['friday'], at: '15:00' }, EARLIEST_ZONE, Date.now());
  const friday = localDate(fired, EARLIEST_ZONE);
  await schedule.backfill([{ start: new Date(fired - 60_000), end: new Date(fired + 60_000), overlap: 'ALLOW_ALL' }]);

  const zones: Record<string, string> = { 'r-1': 'Europe/Berlin', 'r-2': 'Europe/Berlin', 'r-la': 'America/Los_Angeles', 'r-none': 'Europe/Berlin' };
  for (const [rep, zone] of Object.entries(zones)) {
    const input = await eventually(() => startInput<{ startAt: string; occurrence: string }>(workflowIds.sequenceTick(rule.id, rep, friday)));
    expect(input.occurrence).toBe(friday);
    expect(wallClock(new Date(input.startAt), zone), rep).toBe(`Friday ${friday} 15:00`);
  }

  // A manual trigger now is still this week's tick: every rep's run already exists. Its week is
  // read off the trigger's own time, as the dispatch reads it: if a Friday 15:00 in UTC+14 came
  // between the backfill and the trigger (seconds, once a week), it is that new week's tick.
  await schedule.trigger();
  const second = await eventually(async () => {
    const { info } = await schedule.describe();
    if (info.recentActions.length < 2) throw new Error('not fired twice yet');
    return info.recentActions[info.recentActions.length - 1];
  });
  const sameWeek = localDate(previousWeekly({ days: ['friday'], at: '15:00' }, EARLIEST_ZONE, second.scheduledAt.getTime()), EARLIEST_ZONE) === friday;
  const result = (await h.client.workflow.getHandle(second.action.workflow.workflowId, second.action.workflow.firstExecutionRunId).result()) as DispatchResult;
  expect(result).toMatchObject(sameWeek ? { startedCount: 0, skippedCount: 4 } : { startedCount: 4, skippedCount: 0 });
});

test('a goal added on the last day of a month west of UTC+14 gets that month too, for the reps in whose zone it has not ended, besides the month begun in UTC+14', async () => {
  for (const [id, timezone] of [['f-la', 'America/Los_Angeles'], ['f-berlin', 'Europe/Berlin'], ['f-kiri', 'Pacific/Kiritimati'], ['f-utc', null]]) {
    await upsertRep(h.db, {
      id: id!, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'Far AEs', role: 'AE', region: 'Far',
      manager: null, timezone, start_date: null,
    });
  }
  const rule: GoalRule = { ...goalRule('far-goal'), period: 'month', version: 'v-far', reps: fieldEquals('rep', 'region', 'Far') };
  // Apply's clock: Monday 2026-11-30 10:00 in Los Angeles, 19:00 in Berlin, 18:00 UTC (the zone of
  // a rep without one); already Tuesday 2026-12-01 08:00 in Kiritimati (UTC+14).
  const lastDay = new Date('2026-11-30T18:00:00Z');
  const starts = await applySchedules(h.client, await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue), { now: lastDay });
  expect(starts.map((s) => [s.period, s.outcome]).sort()).toEqual([['2026-11', 'started'], ['2026-12', 'started']]);

  // Before: only December, so the reps still in November had no run, check-ins or review of it.
  const november = (await h.client.workflow.getHandle(workflowIds.goalPeriodStart('far-goal', '2026-11')).result()) as DispatchResult;
  expect([...november.started].sort()).toEqual(['f-berlin', 'f-la', 'f-utc'].map((rep) => workflowIds.goal('far-goal', rep, '2026-11')));
  const input = await startInput<GoalInput>(workflowIds.goal('far-goal', 'f-la', '2026-11'));
  expect(input).toMatchObject({ period: '2026-11', rule: { version: 'v-far' } });
  const december = (await h.client.workflow.getHandle(workflowIds.goalPeriodStart('far-goal', '2026-12')).result()) as DispatchResult;
  expect([...december.started].sort()).toEqual(['f-berlin', 'f-kiri', 'f-la', 'f-utc'].map((rep) => workflowIds.goal('far-goal', rep, '2026-12')));

  // Apply says so, with the reps the month before starts for.
  const said = renderPeriodStarts(await countMatchingReps(h.db, planOf([rule]), starts));
  expect(said).toContain('Started goal "far goal" for the month under way (2026-12), 4 matching rep(s)');
  expect(said).toContain('Started goal "far goal" also for the month still under way west of Pacific/Kiritimati (2026-11), 3 matching rep(s) in whose zone it has not ended');

  // Applied again (the same plan, or two applies at once): nothing starts twice.
  const again = await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue);
  expect(await applySchedules(h.client, again, { now: lastDay })).toEqual([]);
});
