import { describe, expect, test } from 'vitest';
import { addDuration, fromLocal, localTime, nextAllowed, nextWeekly, startOfLocalDate } from '../../src/workflows/calendar.js';
import { dayNumber } from '../../src/payouts/period.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('weekly check-ins in a rep time zone', () => {
  test('Monday 09:00 Berlin is 08:00 UTC before the spring change and 07:00 UTC after it', () => {
    const mon1 = nextWeekly({ days: ['monday'], at: '09:00' }, 'Europe/Berlin', at('2026-03-25T00:00:00Z'));
    expect(iso(mon1)).toBe('2026-03-30T07:00:00.000Z');
    const before = nextWeekly({ days: ['monday'], at: '09:00' }, 'Europe/Berlin', at('2026-03-18T00:00:00Z'));
    expect(iso(before)).toBe('2026-03-23T08:00:00.000Z');
  });

  test('the next occurrence is strictly after the given instant', () => {
    const t = at('2026-03-23T08:00:00Z');
    expect(iso(nextWeekly({ days: ['monday'], at: '09:00' }, 'Europe/Berlin', t))).toBe('2026-03-30T07:00:00.000Z');
  });

  test('several weekdays and New York', () => {
    const t = nextWeekly({ days: ['tuesday', 'thursday'], at: '17:30' }, 'America/New_York', at('2026-11-03T23:00:00Z'));
    expect(iso(t)).toBe('2026-11-05T22:30:00.000Z');
  });
});

describe('local wall-clock times', () => {
  test('a time skipped by the spring change moves forward by the gap', () => {
    expect(iso(fromLocal(dayNumber(2026, 3, 29), 2, 30, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
  });
  test('a time that occurs twice in autumn is its first occurrence', () => {
    expect(iso(fromLocal(dayNumber(2026, 10, 25), 2, 30, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
  });
  test('start of a local date', () => {
    expect(iso(startOfLocalDate('2026-04-01', 'Asia/Tokyo'))).toBe('2026-03-31T15:00:00.000Z');
    expect(localTime(at('2026-03-31T15:00:00Z'), 'Asia/Tokyo')).toMatchObject({ hour: 0, minute: 0, weekday: 3 });
  });
});

describe('waits', () => {
  test('2 days keep the local time of day across the spring change', () => {
    const end = addDuration(at('2026-03-28T09:00:00Z'), { amount: '2', unit: 'days' }, 'Europe/Berlin');
    expect(iso(end)).toBe('2026-03-30T08:00:00.000Z');
  });
  test('3 business days from Friday end on Wednesday; from Saturday too', () => {
    const fri = at('2026-03-06T10:00:00Z');
    expect(iso(addDuration(fri, { amount: '3', unit: 'business_days' }, 'UTC'))).toBe('2026-03-11T10:00:00.000Z');
    const sat = at('2026-03-07T10:00:00Z');
    expect(iso(addDuration(sat, { amount: '3', unit: 'business_days' }, 'UTC'))).toBe('2026-03-11T10:00:00.000Z');
  });
  test('a fraction of a business day never ends on a weekend: 1.5 from Thursday 18:00 ends Monday 06:00 (in Kathmandu too)', () => {
    const half = { amount: '1.5', unit: 'business_days' } as const;
    expect(iso(addDuration(at('2026-03-05T18:00:00Z'), half, 'UTC', true))).toBe('2026-03-09T06:00:00.000Z');
    // The reading runs started before it keep: Saturday 06:00.
    expect(iso(addDuration(at('2026-03-05T18:00:00Z'), half, 'UTC'))).toBe('2026-03-07T06:00:00.000Z');
    // Thursday 18:00 in Kathmandu (UTC+05:45) is 12:15 UTC; Monday 06:00 there is 00:15 UTC.
    expect(iso(addDuration(at('2026-03-05T12:15:00Z'), half, 'Asia/Kathmandu', true))).toBe('2026-03-09T00:15:00.000Z');
    // Within the week nothing moves: Monday 10:00 plus 1.5 is Tuesday 22:00.
    expect(iso(addDuration(at('2026-03-09T10:00:00Z'), half, 'UTC', true))).toBe('2026-03-10T22:00:00.000Z');
  });
  test('business days are Mon–Fri in the recipient zone, not UTC', () => {
    // Friday 23:30 UTC is already Saturday in Tokyo: 1 business day ends Monday in Tokyo.
    const t = at('2026-03-06T23:30:00Z');
    expect(iso(addDuration(t, { amount: '1', unit: 'business_days' }, 'Asia/Tokyo'))).toBe('2026-03-08T23:30:00.000Z');
  });
  test('minutes, hours and weeks', () => {
    const t = at('2026-01-01T00:00:00Z');
    expect(addDuration(t, { amount: '30', unit: 'minutes' }, 'UTC') - t).toBe(30 * 60_000);
    expect(addDuration(t, { amount: '4', unit: 'hours' }, 'UTC') - t).toBe(4 * 3_600_000);
    expect(iso(addDuration(t, { amount: '1', unit: 'weeks' }, 'UTC'))).toBe('2026-01-08T00:00:00.000Z');
  });
});

describe('quiet hours', () => {
  const quiet = { from: '20:00', to: '08:00', weekends: false };
  test('a send at 21:15 local moves to 08:00 the next morning', () => {
    const t = nextAllowed(at('2026-03-10T20:15:00Z'), quiet, 'Europe/Berlin');
    expect(iso(t)).toBe('2026-03-11T07:00:00.000Z');
  });
  test('a send at 06:00 local moves to 08:00 the same morning', () => {
    expect(iso(nextAllowed(at('2026-03-11T05:00:00Z'), quiet, 'Europe/Berlin'))).toBe('2026-03-11T07:00:00.000Z');
  });
  test('a send outside quiet hours goes at once', () => {
    const t = at('2026-03-11T12:34:00Z');
    expect(nextAllowed(t, quiet, 'Europe/Berlin')).toBe(t);
  });
  test('with weekends, Friday night moves to Monday 08:00', () => {
    const t = nextAllowed(at('2026-03-13T21:00:00Z'), { ...quiet, weekends: true }, 'UTC');
    expect(iso(t)).toBe('2026-03-16T08:00:00.000Z');
  });
  test('non-wrapping quiet hours', () => {
    const t = nextAllowed(at('2026-03-11T12:30:00Z'), { from: '12:00', to: '13:00', weekends: false }, 'UTC');
    expect(iso(t)).toBe('2026-03-11T13:00:00.000Z');
  });
  test('quiet hours ending in the hour an autumn change repeats end at its second pass, not the first one already gone', () => {
    // Berlin, 25 October 2026: 02:10 CET (01:10 UTC) is the second 02:10 that night; quiet until 02:30.
    expect(iso(nextAllowed(at('2026-10-25T01:10:00Z'), { from: '20:00', to: '02:30', weekends: false }, 'Europe/Berlin'))).toBe('2026-10-25T01:30:00.000Z');
    // In the first pass (02:10 CEST) the first 02:30 is still to come.
    expect(iso(nextAllowed(at('2026-10-25T00:10:00Z'), { from: '20:00', to: '02:30', weekends: false }, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    // New York, 1 November 2026: 01:10 EST (06:10 UTC), quiet until 01:30.
    expect(iso(nextAllowed(at('2026-11-01T06:10:00Z'), { from: '20:00', to: '01:30', weekends: false }, 'America/New_York'))).toBe('2026-11-01T06:30:00.000Z');
  });
});
