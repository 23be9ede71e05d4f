// Schedules made by apply start the real dispatch workflow with the rule object they carry.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertRep } from '../../src/data/reps.js';
import { periodContaining } from '../../src/payouts/period.js';
import { applySchedules, planSchedules } from '../../src/runtime/schedules.js';
import { workflowIds } from '../../src/workflows/api.js';
import type { DispatchResult } from '../../src/workflows/api.js';
import { EARLIEST_ZONE, localDate, previousWeekly } from '../../src/workflows/calendar.js';
import { goalRule, planOf, scheduledSequence } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';

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

async function eventually<T>(probe: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test('a goal added mid-period starts for the current period at once, one run per rep, and a re-apply starts nothing more', async () => {
  const rule = goalRule('q-goal');
  // The period under way where it began first (UTC+14); each rep's run then waits for its own start.
  // Read before and after the apply: if a quarter begins in UTC+14 meanwhile, the run is for
  // either one, so the test holds at any hour it runs.
  const current = () => periodContaining('quarter', localDate(Date.now(), EARLIEST_ZONE)).label;
  const before = current();
  const changes = await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue);
  expect(changes.added.map((s) => s.triggersOnCreate)).toEqual([true]);
  await applySchedules(h.client, changes);
  const periods = [...new Set([before, current()])];
  for (const rep of ['r-1', 'r-2']) {
    const run = await eventually(async () => {
      for (const period of periods) {
        const found = await h.client.workflow.getHandle(workflowIds.goal('q-goal', rep, period)).describe().catch(() => null);
        if (found) return found;
      }
      throw new Error(`no goal run for ${rep} in ${periods.join(' or ')}`);
    });
    expect(run.type).toBe('goalWorkflow');
  }
  const again = await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue);
  expect(again.unchanged).toHaveLength(1);
  const schedule = await h.client.schedule.getHandle('salesflow:q-goal:goal-period-start').describe();
  expect(schedule.info.numActionsTaken).toBe(1);
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
  await applySchedules(h.client, await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue));
  const schedule = h.client.schedule.getHandle('salesflow:weekly-prep-zones:sequence-tick');
  // The schedule's latest Friday 15:00 in UTC+14, replayed as a backfill: the nominal fire time decides the week.
  const fired = previousWeekly({ days: ['friday'], at: '15:00' }, EARLIEST_ZONE, Date.now());
  const friday = localDate(fired, EARLIEST_ZONE);
  await schedule.backfill([{ start: new Date(fired - 60_000), end: new Date(fired + 60_000), overlap: 'ALLOW_ALL' }]);

  const zones: Record<string, string> = { 'r-1': 'Europe/Berlin', 'r-2': 'Europe/Berlin', 'r-la': 'America/Los_Angeles', 'r-none': 'Europe/Berlin' };
  for (const [rep, zone] of Object.entries(zones)) {
    const history = await eventually(() => h.client.workflow.getHandle(workflowIds.sequenceTick(rule.id, rep, friday)).fetchHistory());
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    const input = JSON.parse(Buffer.from(payload!).toString('utf8')) as { startAt: string; occurrence: string };
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
