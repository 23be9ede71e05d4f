// SPEC §5: a scheduled sequence (`every friday at 15:00 for reps ...`) runs at 15:00 on Friday in
// each rep's own time zone, the rule's for reps without one; across the week US clocks change and
// Europe's do not, too. The dispatch runs at the tick's fire time (15:00 in UTC+14), as a schedule
// would start it, and each rep's email is asserted by its Date header read in the rep's zone.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { upsertRep } from '../../src/data/reps.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { SequenceRule } from '../../src/plan/schema.js';
import { stopSignal, workflowIds, type DispatchResult, type SequenceResult } from '../../src/workflows/api.js';
import { atLocalTime } from '../../src/workflows/calendar.js';
import { dispatchWorkflow } from '../../src/workflows/dispatch.js';
import { bin, field, str } from '../payouts/spec-rule.js';
import { startHarness, type Harness } from './support/harness.js';
import { sequenceRule, step, template, to } from './support/rules.js';

let h: Harness;

const rep = (id: string, timezone: string | null, team = 'EMEA AEs'): RepRecord => ({
  id, name: `Rep ${id}`, email: `${id}@acme.example`, team, role: 'AE', region: 'EMEA', manager: null, timezone, start_date: null,
});
const reps = [
  rep('berlin', 'Europe/Berlin'),
  rep('la', 'America/Los_Angeles'),
  // UTC-11: its Friday 15:00 is 25 hours after the tick fires, on Saturday in UTC.
  rep('pago', 'Pacific/Pago_Pago'),
  rep('nozone', null),
];

const rule = (id: string): SequenceRule => ({
  ...sequenceRule({ id, timezone: 'Asia/Tokyo', templates: [template('one-on-one-prep', '1:1 prep for {{rep.name}}', 'See you Friday.')], steps: [step.send('one-on-one-prep', to.rep)] }),
  subject: 'rep',
  stopOn: [],
  trigger: { kind: 'schedule', schedule: { days: ['friday'], at: '15:00' }, reps: bin('=', field('rep', 'team'), str('EMEA AEs')) },
});

/** "Friday 2027-03-19 15:00" as a zone's clock shows an instant. */
function wallClock(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Fridays around the next US spring-forward (second Sunday of March); Europe changes two weeks later. */
function dstFridays(year: number): { before: string; after: string } {
  const firstOfMarch = Date.UTC(year, 2, 1);
  const firstSunday = firstOfMarch + ((7 - new Date(firstOfMarch).getUTCDay()) % 7) * 86_400_000;
  const usChange = firstSunday + 7 * 86_400_000;
  return { before: day(usChange - 2 * 86_400_000), after: day(usChange + 5 * 86_400_000) };
}
/** When a schedule for Friday 15:00 fires: that time in UTC+14. */
const fireTime = (friday: string) => new Date(`${friday}T15:00:00+14:00`);

async function until(done: () => Promise<boolean>, timeoutMs = 30_000) {
  for (const start = Date.now(); !(await done()); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
  }
}

/**
 * Runs the dispatch as the schedule would at `fired`, and returns once every run it started is
 * asleep until its rep's time. The test server's clock stands still meanwhile (it skips only while
 * a result is awaited), so no timer fires under a task still in flight.
 */
async function fireAt(r: SequenceRule, fired: Date, workflowId: string): Promise<DispatchResult> {
  await sleepTo(fired.getTime());
  const handle = await h.testEnv.client.workflow.start(dispatchWorkflow, {
    taskQueue: h.taskQueue, workflowId, args: [{ rule: r, action: 'sequence-tick', inRepZones: true, firedAt: fired.toISOString() }],
  });
  await until(async () => (await handle.describe()).status.name === 'COMPLETED');
  const result = (await (await handle.fetchHistory()).events?.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data) as Uint8Array;
  const dispatched = JSON.parse(Buffer.from(result).toString('utf8')) as DispatchResult;
  const asleep = async (id: string) => (await h.testEnv.client.workflow.getHandle(id).fetchHistory()).events?.some((e) => e.timerStartedEventAttributes || e.workflowExecutionCompletedEventAttributes) ?? false;
  await until(async () => (await Promise.all(dispatched.started.map(asleep))).every(Boolean));
  await until(async () => h.worker.worker.getStatus().numInFlightWorkflowActivations === 0);
  return dispatched;
}

/**
 * Moves the test server's clock to `ms`. The Java time-skipping server keeps a time-skipping lock
 * when a child finishes after its parent closed (the dispatch abandons its children), and then
 * never skips again: seen after every such run here. A sleep that does not end within seconds of
 * real time gets that lock back with one unlock.
 */
async function sleepTo(ms: number) {
  const now = await h.testEnv.currentTimeMs();
  if (ms <= now) return;
  const slept = h.testEnv.sleep(ms - now).then(() => true);
  const inTime = () => Promise.race([slept, new Promise<false>((r) => setTimeout(() => r(false), 3000))]);
  if (await inTime()) return;
  await h.testEnv.connection.testService?.unlockTimeSkipping({});
  if (!(await inTime())) throw new Error(`the test server's clock did not reach ${new Date(ms).toISOString()}`);
}

/** Moves the clock to each rep's 15:00 in turn (their runs' timers), waiting there until that run finished. */
async function runThrough(r: SequenceRule, friday: string, who: RepRecord[] = reps): Promise<SequenceResult[]> {
  const due = who
    .map((x) => ({ id: workflowIds.sequenceTick(r.id, x.id, friday), at: atLocalTime(friday, '15:00', x.timezone ?? r.timezone) }))
    .sort((a, b) => a.at - b.at);
  for (const run of due) {
    await sleepTo(run.at);
    await until(async () => (await h.testEnv.client.workflow.getHandle(run.id).describe()).status.name !== 'RUNNING');
  }
  return Promise.all(who.map((x) => h.testEnv.client.workflow.getHandle<() => Promise<SequenceResult>>(workflowIds.sequenceTick(r.id, x.id, friday)).result()));
}

const prepMails = (repId: string) => h.mail.to(`${repId}@acme.example`).filter((m) => m.subject.startsWith('1:1 prep'));

// A fresh server per test: the lock the test server keeps (see sleepTo) made later ticks in one
// server's life start years late once several had run.
beforeEach(async () => {
  h = await startHarness('sequence-zones');
  for (const r of [...reps, rep('us-sdr', 'America/New_York', 'US SDRs')]) await upsertRep(h.db, r);
});
afterEach(async () => {
  await h?.close();
});

describe('a weekly Friday 15:00 sequence', () => {
  /** Fires the Friday's tick and checks every rep's email against the UTC instant it must carry. */
  async function friday15(friday: string, utc: Record<string, string>) {
    const r = rule('weekly-prep');
    const result = await fireAt(r, fireTime(friday), `tick-${friday}`);
    // One run per matching rep, all for this Friday's date (Los Angeles is still on Thursday when it fires).
    expect([...result.started].sort()).toEqual(reps.map((x) => workflowIds.sequenceTick(r.id, x.id, friday)).sort());
    expect((await runThrough(r, friday)).map((x) => x.outcome)).toEqual(reps.map(() => 'completed'));
    for (const x of reps) {
      const mails = prepMails(x.id);
      expect(mails, x.id).toHaveLength(1);
      expect(mails[0].date.toISOString(), x.id).toBe(utc[x.id]);
      expect(wallClock(mails[0].date, x.timezone ?? 'Asia/Tokyo'), x.id).toBe(`Friday ${friday} 15:00`);
    }
    expect(prepMails('us-sdr')).toHaveLength(0);
  }
  const nextYear = async () => new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
  const saturday = (friday: string) => day(Date.parse(friday) + 86_400_000);

  test('each rep gets it at Friday 15:00 in their own zone, the rule zone without one (both zones on standard time)', async () => {
    const { before } = dstFridays(await nextYear());
    await friday15(before, {
      berlin: `${before}T14:00:00.000Z`, la: `${before}T23:00:00.000Z`, pago: `${saturday(before)}T02:00:00.000Z`, nozone: `${before}T06:00:00.000Z`,
    });
  });

  test('the week US clocks spring forward and Europe\'s do not, Los Angeles gets it an hour earlier in UTC, still at 15:00 there', async () => {
    const { after } = dstFridays(await nextYear());
    await friday15(after, {
      berlin: `${after}T14:00:00.000Z`, la: `${after}T22:00:00.000Z`, pago: `${saturday(after)}T02:00:00.000Z`, nozone: `${after}T06:00:00.000Z`,
    });
  });

  test('a tick fired twice for the same week (again, or late) starts one run per rep', async () => {
    const r = rule('weekly-prep-twice');
    const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
    const friday = dstFridays(year).before;
    const first = await fireAt(r, fireTime(friday), 'twice-1');
    expect(first.startedCount).toBe(reps.length);
    const again = await fireAt(r, fireTime(friday), 'twice-2');
    // Still the same tick a few hours on (a catch-up, a manual run): the latest Friday 15:00 in UTC+14.
    const late = await fireAt(r, new Date(fireTime(friday).getTime() + 6 * 3_600_000), 'twice-3');
    for (const result of [again, late]) {
      expect(result).toMatchObject({ startedCount: 0, skippedCount: reps.length });
      expect([...result.skipped].sort()).toEqual([...first.started].sort());
    }
    await runThrough(r, friday);
    for (const x of reps) expect(prepMails(x.id).filter((m) => wallClock(m.date, x.timezone ?? 'Asia/Tokyo').includes(friday))).toHaveLength(1);
  });

  test('a stop before the rep\'s 15:00 ends the waiting run without an email', async () => {
    const r = rule('weekly-prep-stopped');
    const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
    const friday = dstFridays(year).after;
    await fireAt(r, fireTime(friday), 'stopped-tick');
    const la = h.testEnv.client.workflow.getHandle<() => Promise<SequenceResult>>(workflowIds.sequenceTick(r.id, 'la', friday));
    await la.signal(stopSignal, { eventType: 'rep.left', eventId: 'e-stop' });
    await until(async () => (await la.describe()).status.name !== 'RUNNING');
    expect(await la.result()).toMatchObject({ outcome: 'stopped', sends: [] });
    await runThrough(r, friday);
    const thatFriday = (x: RepRecord) => prepMails(x.id).filter((m) => wallClock(m.date, x.timezone ?? 'Asia/Tokyo').includes(friday));
    expect(thatFriday(reps[1])).toHaveLength(0);
    expect(thatFriday(reps[0])).toHaveLength(1);
  });
});
