// Where a goal period lies in each rep's zone and what a late-started run does about checkpoints
// already past (src/workflows/goal-timing.ts), over fixed instants: every zone from UTC−12 to
// UTC+14, daylight-saving changes in both hemispheres, and the issue #11 reproduction (rule zone
// UTC, Tongatapu and Kiritimati reps, dev started Sunday 2026-12-06 10:20 UTC).
import { describe, expect, test } from 'vitest';
import { periodContaining } from '../../src/payouts/period.js';
import type { GoalCheckpoint } from '../../src/plan/schema.js';
import { EARLIEST_ZONE, localTime } from '../../src/workflows/calendar.js';
import { dispatchPeriod } from '../../src/workflows/dispatch.js';
import { CHECKIN_GRACE_MS, lateStart, localFraction, nextDue, periodSpan } from '../../src/workflows/goal-timing.js';
import { attainmentBelow, goalRule, to } from './support/rules.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const source = { file: 'rules/goals.rules', line: 1 };
const send = (id: string) => [{ id, template: 'x', to: [to.rep], source }];
const checkpoints: GoalCheckpoint[] = [
  { id: 'monday-0000', when: { kind: 'every', schedule: { days: ['monday'], at: '00:00' } }, condition: null, sends: send('s1') },
  { id: 'sunday-2350', when: { kind: 'every', schedule: { days: ['sunday'], at: '23:50' } }, condition: null, sends: send('s2') },
  { id: 'half', when: { kind: 'fraction', percent: '50' }, condition: attainmentBelow(40), sends: send('s3') },
  { id: 'review', when: { kind: 'end' }, condition: null, sends: send('s4') },
];
const week = (monday: string, zone: string) => {
  const p = periodContaining('week', monday);
  return periodSpan(p.start, p.end, zone);
};
/** "Thu 12:00" as the zone's clock shows an instant. */
const clock = (ms: number, zone: string) => {
  const t = localTime(ms, zone);
  return `${['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][t.weekday]} ${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
};

// Etc/GMT+12 is UTC−12 (POSIX signs); with Kolkata, Chatham (+12:45) and Kathmandu (+5:45).
const zones = [
  ...Array.from({ length: 27 }, (_, i) => i - 12).map((h) => (h === 0 ? 'UTC' : `Etc/GMT${h < 0 ? '+' : '-'}${Math.abs(h)}`)),
  'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham', 'Pacific/Pago_Pago', 'Pacific/Tongatapu', 'Pacific/Kiritimati',
];

describe('a goal period in the rep\'s zone', () => {
  test.each(zones)('%s: a week runs from local Monday 00:00 to the next, halfway is Thursday 12:00', (zone) => {
    const span = week('2027-06-07', zone);
    expect(clock(span.start, zone)).toBe('Mon 00:00');
    expect(localTime(span.start, zone).day).toBe(Date.UTC(2027, 5, 7) / (24 * HOUR));
    expect(clock(span.end, zone)).toBe('Mon 00:00');
    expect(span.end - span.start).toBe(168 * HOUR);
    expect(clock(localFraction(span, '50', zone), zone)).toBe('Thu 12:00');
  });

  test('the same week starts 26 hours later at UTC−12 than at UTC+14', () => {
    expect(week('2027-06-07', 'Etc/GMT+12').start - week('2027-06-07', 'Pacific/Kiritimati').start).toBe(26 * HOUR);
    expect(iso(week('2027-06-07', 'Pacific/Kiritimati').start)).toBe('2027-06-06T10:00:00.000Z');
  });

  test('Sydney: the April week gains an hour, the October week loses one; halfway is Thursday 12:00 in both', () => {
    const april = week('2027-03-29', 'Australia/Sydney');
    expect(iso(april.start)).toBe('2027-03-28T13:00:00.000Z'); // +11
    expect(iso(april.end)).toBe('2027-04-04T14:00:00.000Z'); // +10
    expect(april.end - april.start).toBe(169 * HOUR);
    expect(clock(localFraction(april, '50', 'Australia/Sydney'), 'Australia/Sydney')).toBe('Thu 12:00');
    const october = week('2027-09-27', 'Australia/Sydney');
    expect(october.end - october.start).toBe(167 * HOUR);
    expect(clock(localFraction(october, '50', 'Australia/Sydney'), 'Australia/Sydney')).toBe('Thu 12:00');
  });

  test('New York and a month: March loses an hour, the 50% point is still the 16th at 12:00 local', () => {
    const p = periodContaining('month', '2027-03-10');
    const span = periodSpan(p.start, p.end, 'America/New_York');
    expect(span.end - span.start).toBe((31 * 24 - 1) * HOUR);
    const half = localFraction(span, '50', 'America/New_York');
    expect(iso(half)).toBe('2027-03-16T16:00:00.000Z'); // 12:00 EDT
  });

  test('a Sunday 23:50 check-in is due before the period ends; a Monday 00:00 one at its start only, not again at its end', () => {
    const zone = 'Pacific/Tongatapu';
    const span = week('2027-06-07', zone);
    const dues = (cp: GoalCheckpoint) => {
      const out: string[] = [];
      for (let c = span.start - 1, d = nextDue(cp, c, span, zone, true); d !== null; c = d, d = nextDue(cp, c, span, zone, true)) out.push(clock(d, zone));
      return out;
    };
    expect(dues(checkpoints[0])).toEqual(['Mon 00:00']);
    expect(dues(checkpoints[1])).toEqual(['Sun 23:50']);
    expect(dues(checkpoints[3])).toEqual(['Mon 00:00']);
    // Runs started before the change keep sending it at both ends, as they did.
    expect(nextDue(checkpoints[0], span.start, span, zone, false)).toBe(span.end);
  });
});

describe('the period a goal schedule fires for', () => {
  const rule = goalRule({ id: 'weekly', period: 'week', target: '100000', checkpoints, templates: [] });
  const repro = Date.parse('2026-12-06T10:20:00Z');

  test('fired in UTC+14 (inRepZones): the week begun there, which every zone starts within 26 hours', () => {
    const fired = week('2026-12-07', EARLIEST_ZONE).start;
    const label = dispatchPeriod({ rule, action: 'goal-period-start', inRepZones: true }, fired);
    expect(label).toBe('2026-W50');
    for (const zone of zones) {
      const start = week('2026-12-07', zone).start;
      expect(start - fired, zone).toBeGreaterThanOrEqual(0);
      expect(start - fired, zone).toBeLessThanOrEqual(26 * HOUR);
    }
    // A catch-up days late still means that week.
    expect(dispatchPeriod({ rule, action: 'goal-period-start', inRepZones: true }, fired + 6 * 24 * HOUR)).toBe('2026-W50');
  });

  test('the reproduction: at 10:20 UTC on Sunday a new schedule starts W50, an old one (rule zone UTC) W49', () => {
    expect(dispatchPeriod({ rule, action: 'goal-period-start', inRepZones: true }, repro)).toBe('2026-W50');
    expect(dispatchPeriod({ rule, action: 'goal-period-start' }, repro)).toBe('2026-W49');
  });
});

describe('a run that starts late', () => {
  const repro = Date.parse('2026-12-06T10:20:00Z');

  test('Kiritimati, W49 over 20 minutes ago: only the review, once; every other checkpoint is listed as skipped', () => {
    const zone = 'Pacific/Kiritimati';
    const span = week('2026-11-30', zone);
    expect(iso(span.end)).toBe('2026-12-06T10:00:00.000Z');
    const late = lateStart(checkpoints, span, repro, zone);
    expect(late.runNow.map((r) => [r.checkpoint.id, iso(r.due)])).toEqual([['review', '2026-12-06T10:00:00.000Z']]);
    expect(late.skipped).toEqual([
      { checkpointId: 'monday-0000', due: '2026-11-29T10:00:00.000Z', reason: 'period-ended' },
      { checkpointId: 'half', due: '2026-12-02T22:00:00.000Z', reason: 'period-ended' },
      { checkpointId: 'sunday-2350', due: '2026-12-06T09:50:00.000Z', reason: 'period-ended' },
    ]);
  });

  test('Tongatapu, W49 ends at 11:00 UTC: the passed 50% point is evaluated now, the Monday check-in is stale, Sunday 23:50 still ahead', () => {
    const zone = 'Pacific/Tongatapu';
    const span = week('2026-11-30', zone);
    const late = lateStart(checkpoints, span, repro, zone);
    expect(late.runNow.map((r) => r.checkpoint.id)).toEqual(['half']);
    expect(late.skipped).toEqual([{ checkpointId: 'monday-0000', due: '2026-11-29T11:00:00.000Z', reason: 'stale' }]);
    expect(nextDue(checkpoints[1], repro - 1, span, zone, true)).toBe(Date.parse('2026-12-06T10:50:00Z'));
  });

  test('a check-in due moments before the run started (the fan-out at UTC+14 midnight) is sent, not skipped', () => {
    const zone = 'Pacific/Kiritimati';
    const span = week('2026-12-07', zone);
    expect(lateStart(checkpoints, span, span.start + 5_000, zone).runNow.map((r) => r.checkpoint.id)).toEqual(['monday-0000']);
    expect(lateStart(checkpoints, span, span.start + CHECKIN_GRACE_MS + 1, zone).skipped.map((s) => s.reason)).toEqual(['stale']);
  });

  test('a run started before its period begins has nothing to catch up', () => {
    const span = week('2026-12-07', 'Pacific/Pago_Pago');
    expect(lateStart(checkpoints, span, span.start - 25 * HOUR, 'Pacific/Pago_Pago')).toEqual({ runNow: [], skipped: [] });
  });
});
