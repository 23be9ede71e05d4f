// The calendar of a backtest window: which dates are accepted, which periods and ticks it holds,
// and which instants count as inside it for someone in a given zone (pure, no server).
import { describe, expect, test } from 'vitest';
import {
  inWindowFor, parseWindow, periodsEnding, periodsOverlapping, scheduleTicks, type BacktestWindow,
} from '../../src/runtime/backtest/window.js';

function q3(): BacktestWindow {
  const parsed = parseWindow('2026-07-01', '2026-09-30');
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.window;
}

describe('parseWindow', () => {
  test.each([
    ['2026-02-30', '2026-03-31', '--from "2026-02-30" is not a date'],
    ['2026-07-01', '2026-7-31', '--to "2026-7-31" is not a date'],
    ['2026-10-01', '2026-09-30', '--from 2026-10-01 is after --to 2026-09-30'],
    ['2025-01-01', '2026-12-31', 'a backtest covers at most 367'],
  ])('%s to %s is refused: %s', (from, to, message) => {
    const parsed = parseWindow(from, to);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });

  test('the replay runs from when the first day begins in UTC+14 to when the last ends in UTC-12', () => {
    const w = q3();
    expect(new Date(w.startMs).toISOString()).toBe('2026-06-30T10:00:00.000Z');
    expect(new Date(w.endMs).toISOString()).toBe('2026-10-01T12:00:00.000Z');
  });
});

describe('what a quarter holds', () => {
  test('periods that overlap it, and those that end in it', () => {
    const w = q3();
    const weeks = periodsOverlapping(w, 'week').map((p) => p.label);
    expect(weeks[0]).toBe('2026-W27'); // 29 June to 5 July: already running on 1 July
    expect(weeks.at(-1)).toBe('2026-W40'); // 28 September to 4 October
    expect(periodsEnding(w, 'week').map((p) => p.label).at(-1)).toBe('2026-W39');
    expect(periodsEnding(w, 'quarter').map((p) => p.label)).toEqual(['2026-Q3']);
    expect(periodsEnding(w, 'year')).toEqual([]);
  });

  test('a weekday schedule ticks on every weekday of the quarter, first in UTC+14', () => {
    const ticks = scheduleTicks(q3(), { days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], at: '08:45' });
    expect(ticks).toHaveLength(66);
    expect(new Date(ticks[0]).toISOString()).toBe('2026-06-30T18:45:00.000Z'); // Wednesday 1 July, 08:45 in Kiritimati
  });

  test('an instant is inside for a person from their local `from` 00:00 to the midnight ending `to`', () => {
    const w = q3();
    expect(inWindowFor(w, Date.parse('2026-07-01T04:00:00Z'), 'America/New_York')).toBe(true); // 00:00 EDT
    expect(inWindowFor(w, Date.parse('2026-07-01T03:59:00Z'), 'America/New_York')).toBe(false);
    expect(inWindowFor(w, Date.parse('2026-10-01T04:00:00Z'), 'America/New_York')).toBe(true); // a review at that midnight
    expect(inWindowFor(w, Date.parse('2026-10-01T05:00:00Z'), 'America/New_York')).toBe(false);
    expect(inWindowFor(w, Date.parse('2026-06-30T11:00:00Z'), 'Pacific/Tongatapu')).toBe(true); // 1 July 00:00 in Tonga
  });
});
