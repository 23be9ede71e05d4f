// Goals in every rep's zone (issue #11), on the time-skipping server with the real SMTP catcher:
// the period-start dispatch fires when the week begins in UTC+14, as its schedule does, and every
// rep's check-ins, at-risk alert and review arrive at their local times, read from each email's
// Date header in the rep's zone. Then the reproduction (rule zone UTC, Tongatapu and
// Kiritimati reps, `salesflow dev` started on a Sunday at 10:20 UTC) with new and old schedules:
// a run that starts after its period ended still sends the review, once.
// Every instant is explicit (next year's calendar, read off the server's clock), never today's.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { dayNumber, formatDay, periodContaining } from '../../src/payouts/period.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { GoalCheckpoint, GoalRule } from '../../src/plan/schema.js';
import { workflowIds, type GoalResult } from '../../src/workflows/api.js';
import { atLocalTime, EARLIEST_ZONE } from '../../src/workflows/calendar.js';
import { goalWorkflow } from '../../src/workflows/goal.js';
import { completedResult, dispatchAt, sleepTo, until, wallClock } from './support/clock.js';
import { startHarness, type Harness } from './support/harness.js';
import { attainmentBelow, goalRule, template, to } from './support/rules.js';

let h: Harness;
// A fresh server per test: the lock the test server keeps after abandoned children finish (see
// support/clock.ts) accumulates over a server's life.
beforeEach(async () => {
  h = await startHarness('goal-zones');
});
afterEach(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };
const templates = [
  template('goal-checkin', 'Progress on {{goal.name}}: {{progress.attainment}}', 'Hi {{rep.name}}: {{progress.measure}} of {{progress.target}}.'),
  template('goal-at-risk', 'At risk: {{rep.name}} at {{progress.attainment}}', '{{progress.measure}} of {{progress.target}} in {{progress.period}}.'),
  template('goal-review', 'Review of {{progress.period}}: {{progress.attainment}}', '{{rep.name}} closed {{progress.measure}}.'),
];
const checkin = (id: string, days: ('monday' | 'wednesday' | 'sunday')[], at: string): GoalCheckpoint => ({
  id, when: { kind: 'every', schedule: { days, at } }, condition: null, sends: [{ id: `send-${id}`, template: 'goal-checkin', to: [to.rep], source }],
});
const atRisk: GoalCheckpoint = {
  id: 'at-risk', when: { kind: 'fraction', percent: '50' }, condition: attainmentBelow(40), sends: [{ id: 'send-risk', template: 'goal-at-risk', to: [to.repManager], source }],
};
const review: GoalCheckpoint = {
  id: 'review', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-review', template: 'goal-review', to: [to.rep, to.repManager], source }],
};
const weeklyGoal = (id: string, checkins: GoalCheckpoint[]): GoalRule =>
  goalRule({ id, period: 'week', target: '100000', checkpoints: [...checkins, atRisk, review], templates });

async function seedRep(id: string, timezone: string, deals: { amount: string; closedAt: string }[]): Promise<RepRecord> {
  const rep: RepRecord = {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'AEs', role: 'AE', region: 'APAC', manager: `mgr-${id}@acme.example`, timezone, start_date: null,
  };
  await upsertRep(h.db, rep);
  for (const [i, d] of deals.entries()) await upsertDeal(h.db, {
    id: `${id}-d${i}`, rep: id, name: 'Deal', amount: d.amount, currency: 'EUR', stage: 'won', product: 'Core', type: 'new', source: null, closed_at: d.closedAt, contact: null,
  });
  return rep;
}

/** A late-started run acts as it starts: at `at`, give or take the second the server's clock runs on meanwhile. */
function expectSoonAfter(isoTime: string, at: number) {
  expect(Date.parse(isoTime) - at).toBeGreaterThanOrEqual(0);
  expect(Date.parse(isoTime) - at).toBeLessThan(10_000);
}
const plusDays = (date: string, n: number) => formatDay(dayNumber(...(date.split('-').map(Number) as [number, number, number])) + n);
const byKind = (email: string, prefix: string) => h.mail.to(email).filter((m) => m.subject.startsWith(prefix));
const clocks = (email: string, prefix: string, zone: string) =>
  byKind(email, prefix).map((m) => m.date.getTime()).sort((a, b) => a - b).map((t) => wallClock(t, zone));

/** The first Sunday of a month (1-12) of a year, YYYY-MM-DD. */
function firstSunday(year: number, month: number): string {
  const first = `${year}-${String(month).padStart(2, '0')}-01`;
  return plusDays(first, (7 - new Date(`${first}T00:00:00Z`).getUTCDay()) % 7);
}

/** Moves the clock past each run's end in turn and returns every run's result. */
async function runToEnd(ids: { workflowId: string; end: number }[]): Promise<GoalResult[]> {
  for (const run of [...ids].sort((a, b) => a.end - b.end)) {
    await sleepTo(h, run.end + 60_000);
    await until(async () => (await h.testEnv.client.workflow.getHandle(run.workflowId).describe()).status.name === 'COMPLETED');
  }
  return Promise.all(ids.map((run) => completedResult<GoalResult>(h, run.workflowId)));
}

describe('a weekly goal in each rep\'s zone', () => {
  const zones: Record<string, string> = {
    pago: 'Pacific/Pago_Pago', ny: 'America/New_York', utc: 'UTC', kolkata: 'Asia/Kolkata',
    sydney: 'Australia/Sydney', tonga: 'Pacific/Tongatapu', kiri: 'Pacific/Kiritimati',
  };

  /**
   * Fires the period-start dispatch at Monday 00:00 in UTC+14 (Sunday 10:00 UTC, 26 hours before
   * UTC−12's Monday), runs every rep's week to its end and checks each email's local time.
   */
  async function everyZone(monday: string) {
    const [wednesday, thursday, sunday, next] = [2, 3, 6, 7].map((n) => plusDays(monday, n));
    const period = periodContaining('week', monday).label;
    const rule = weeklyGoal('weekly-zones', [checkin('midnight', ['monday'], '00:00'), checkin('morning', ['monday', 'wednesday'], '09:00'), checkin('late', ['sunday'], '23:50')]);
    for (const id of Object.keys(zones)) await seedRep(id, zones[id], [{ amount: '30000', closedAt: plusDays(monday, 1) }]);

    const fired = atLocalTime(monday, '00:00', EARLIEST_ZONE);
    const dispatched = await dispatchAt(h, { rule, action: 'goal-period-start', inRepZones: true }, fired, 'tick-zones');
    expect(dispatched.period).toBe(period);
    expect([...dispatched.started].sort()).toEqual(Object.keys(zones).map((id) => workflowIds.goal(rule.id, id, period)).sort());

    const results = await runToEnd(Object.entries(zones).map(([id, zone]) => ({ workflowId: workflowIds.goal(rule.id, id, period), end: atLocalTime(next, '00:00', zone) })));
    for (const result of results) expect(result.skipped).toEqual([]);

    for (const [id, zone] of Object.entries(zones)) {
      const rep = `${id}@acme.example`;
      const manager = `mgr-${id}@acme.example`;
      expect(clocks(rep, 'Progress on', zone), id).toEqual([
        `Monday ${monday} 00:00`, `Monday ${monday} 09:00`, `Wednesday ${wednesday} 09:00`, `Sunday ${sunday} 23:50`,
      ]);
      expect(byKind(rep, 'Progress on')[0].subject).toBe('Progress on weekly zones: 30%');
      expect(clocks(manager, 'At risk', zone), id).toEqual([`Thursday ${thursday} 12:00`]);
      expect(clocks(rep, 'Review', zone), id).toEqual([`Monday ${next} 00:00`]);
      expect(clocks(manager, 'Review', zone), id).toEqual([`Monday ${next} 00:00`]);
      expect(byKind(manager, 'Review')[0].subject).toBe(`Review of ${period}: 30%`);
    }
    const utc = (email: string, prefix: string) => byKind(email, prefix).map((m) => m.date.toISOString()).sort();
    // Kiritimati's week starts as the schedule fires: its Monday 00:00 check-in goes out as its run
    // starts (the server's clock runs on a second or so meanwhile). Pago Pago's 25 hours later.
    expectSoonAfter(utc('kiri@acme.example', 'Progress on')[0], fired);
    expect(utc('pago@acme.example', 'Progress on')[0]).toBe(new Date(fired + 25 * 3_600_000).toISOString());
    expect(utc('kolkata@acme.example', 'Review')).toEqual([`${sunday}T18:30:00.000Z`]);
    return { sunday, utc };
  }

  test('the week Sydney\'s clocks go back (+11 to +10): every email at its local time in every zone', async () => {
    const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
    const monday = plusDays(firstSunday(year, 4), -6);
    const { sunday, utc } = await everyZone(monday);
    // Sydney's week starts at +11 and ends at +10: 169 hours.
    expect(utc('sydney@acme.example', 'Progress on')[0]).toBe(`${plusDays(monday, -1)}T13:00:00.000Z`);
    expect(utc('sydney@acme.example', 'Review')).toEqual([`${sunday}T14:00:00.000Z`]);
  }, 300_000);

  test('the week New York\'s clocks go back (UTC−4 to UTC−5): every email at its local time in every zone', async () => {
    const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
    const monday = plusDays(firstSunday(year, 11), -6);
    const { sunday, utc } = await everyZone(monday);
    // New York's Monday 09:00 is 13:00 UTC (EDT); its review, after the change, 05:00 UTC on Monday (EST).
    expect(utc('ny@acme.example', 'Progress on').slice(0, 2)).toEqual([`${monday}T04:00:00.000Z`, `${monday}T13:00:00.000Z`]);
    expect(utc('ny@acme.example', 'Review')).toEqual([`${plusDays(sunday, 1)}T05:00:00.000Z`]);
  }, 300_000);
});

describe('the issue\'s reproduction: rule zone UTC, Tongatapu and Kiritimati reps, started on a Sunday at 10:20 UTC', () => {
  const rule = weeklyGoal('weekly-bookings', [checkin('late', ['sunday'], '23:50')]);
  /** A Sunday in June next year at 10:20 UTC, and the Monday that began that week. */
  async function sundayMorning() {
    const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
    const sunday = firstSunday(year, 6);
    return { sunday, monday: plusDays(sunday, -6), at: Date.parse(`${sunday}T10:20:00Z`) };
  }

  test('a schedule applied now (firing at once in UTC+14) starts next week for both, and each gets every email at its local time', async () => {
    const { sunday, at } = await sundayMorning();
    const monday = plusDays(sunday, 1);
    const period = periodContaining('week', monday).label;
    await seedRep('tevita', 'Pacific/Tongatapu', [{ amount: '30000', closedAt: plusDays(monday, 1) }]);
    await seedRep('teraoi', 'Pacific/Kiritimati', [{ amount: '30000', closedAt: plusDays(monday, 1) }]);
    const dispatched = await dispatchAt(h, { rule, action: 'goal-period-start', inRepZones: true }, at, 'apply-now');
    expect(dispatched.period).toBe(period);

    const next = plusDays(monday, 7);
    const results = await runToEnd([
      { workflowId: workflowIds.goal(rule.id, 'tevita', period), end: atLocalTime(next, '00:00', 'Pacific/Tongatapu') },
      { workflowId: workflowIds.goal(rule.id, 'teraoi', period), end: atLocalTime(next, '00:00', 'Pacific/Kiritimati') },
    ]);
    for (const [id, zone] of [['tevita', 'Pacific/Tongatapu'], ['teraoi', 'Pacific/Kiritimati']]) {
      expect(clocks(`${id}@acme.example`, 'Progress on', zone), id).toEqual([`Sunday ${plusDays(monday, 6)} 23:50`]);
      expect(clocks(`mgr-${id}@acme.example`, 'At risk', zone), id).toEqual([`Thursday ${plusDays(monday, 3)} 12:00`]);
      expect(clocks(`${id}@acme.example`, 'Review', zone), id).toEqual([`Monday ${next} 00:00`]);
    }
    expect(results.map((r) => r.skipped)).toEqual([[], []]);
  });

  test('an old schedule (rule zone) starts the week just over in Kiritimati: the review goes out at once with the final figures, once', async () => {
    const { sunday, monday, at } = await sundayMorning();
    const period = periodContaining('week', monday).label;
    // 30% on Tuesday, and a deal closed on the week's last day: the review shows both.
    for (const [id, zone] of [['tevita', 'Pacific/Tongatapu'], ['teraoi', 'Pacific/Kiritimati']]) {
      await seedRep(id, zone, [{ amount: '30000', closedAt: plusDays(monday, 1) }, { amount: '15000', closedAt: sunday }]);
    }
    const dispatched = await dispatchAt(h, { rule, action: 'goal-period-start' }, at, 'old-schedule');
    expect(dispatched.period).toBe(period);

    const kiri = workflowIds.goal(rule.id, 'teraoi', period);
    const tonga = workflowIds.goal(rule.id, 'tevita', period);
    await runToEnd([{ workflowId: kiri, end: at }, { workflowId: tonga, end: Date.parse(`${sunday}T11:00:00Z`) }]);

    // Kiritimati's week ended at 10:00 UTC: the review, to rep and manager, at 10:20 (as soon as
    // the run starts: the server's clock runs on by a second or so meanwhile); nothing else.
    for (const email of ['teraoi@acme.example', 'mgr-teraoi@acme.example']) {
      expect(h.mail.to(email).map((m) => m.subject)).toEqual([`Review of ${period}: 45%`]);
      expectSoonAfter(h.mail.to(email)[0].date.toISOString(), at);
    }
    const late = await completedResult<GoalResult>(h, kiri);
    expect(late.checkins.map((c) => [c.checkpointId, c.due])).toEqual([['review', `${sunday}T10:00:00.000Z`]]);
    expectSoonAfter(late.checkins[0].at, at);
    expect(late.skipped).toEqual([
      { checkpointId: 'at-risk', due: `${plusDays(monday, 2)}T22:00:00.000Z`, reason: 'period-ended' },
      { checkpointId: 'late', due: `${sunday}T09:50:00.000Z`, reason: 'period-ended' },
    ]);

    // Tongatapu's runs to 11:00 UTC: the 50% point already passed is evaluated at once (45% is not
    // below 40%: no alert), the Sunday 23:50 check-in comes at 10:50 UTC, the review at 11:00.
    const tongaResult = await completedResult<GoalResult>(h, tonga);
    expect(tongaResult.checkins.map((c) => [c.checkpointId, c.conditionHeld, c.due])).toEqual([
      ['at-risk', false, `${plusDays(monday, 2)}T23:00:00.000Z`], ['late', true, `${sunday}T10:50:00.000Z`], ['review', true, `${sunday}T11:00:00.000Z`],
    ]);
    expectSoonAfter(tongaResult.checkins[0].at, at);
    expect(h.mail.to('tevita@acme.example').map((m) => [m.subject, m.date.toISOString()])).toEqual([
      [`Progress on weekly bookings: 45%`, `${sunday}T10:50:00.000Z`], [`Review of ${period}: 45%`, `${sunday}T11:00:00.000Z`],
    ]);
    expect(h.mail.to('mgr-tevita@acme.example').filter((m) => m.subject.startsWith('At risk'))).toEqual([]);
    expect(tongaResult.checkins[0].attainment).toBe('45.00');
    expect(tongaResult.skipped).toEqual([]);

    // Started again (a second dispatch, or the same id reused by hand): nothing is sent twice.
    const again = await dispatchAt(h, { rule, action: 'goal-period-start' }, at + 60_000, 'old-schedule-again');
    // Both reps' runs have begun (recorded in goal_runs_started): no start is even tried.
    expect(again).toMatchObject({ startedCount: 0, skippedCount: 0 });
    const rerun = await h.testEnv.client.workflow.start(goalWorkflow, {
      taskQueue: h.taskQueue, workflowId: kiri, args: [{ rule, repId: 'teraoi', period }], workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    await rerun.result();
    for (const email of ['teraoi@acme.example', 'mgr-teraoi@acme.example']) expect(h.mail.to(email)).toHaveLength(1);
  });

  test('an at-risk point passed before a late start is evaluated once then, and alerts when attainment is low', async () => {
    const { monday, at } = await sundayMorning();
    const period = periodContaining('week', monday).label;
    await seedRep('tevita', 'Pacific/Tongatapu', [{ amount: '30000', closedAt: plusDays(monday, 1) }]);
    await sleepTo(h, at);
    const run = await h.testEnv.client.workflow.start(goalWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, 'tevita', period), args: [{ rule, repId: 'tevita', period }],
    });
    const result = await run.result();
    const alerts = h.mail.to('mgr-tevita@acme.example').filter((m) => m.subject.startsWith('At risk'));
    expect(alerts.map((m) => m.subject)).toEqual(['At risk: Rep tevita at 30%']);
    expectSoonAfter(alerts[0].date.toISOString(), at);
    expect(result.checkins.map((c) => c.checkpointId)).toEqual(['at-risk', 'late', 'review']);
  });
});
