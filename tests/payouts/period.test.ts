import { describe, expect, it } from 'vitest';
import { isoWeekOf, parseDay, parsePeriod, periodContaining, shiftPeriod } from '../../src/payouts/period.js';

const period = (label: string) => {
  const p = parsePeriod(label);
  if (!p.ok) throw new Error(p.message);
  return p.period;
};

describe('period labels', () => {
  it('parses quarters, months, ISO weeks and years to their first and last day', () => {
    expect(period('2026-Q1')).toEqual({ kind: 'quarter', label: '2026-Q1', start: '2026-01-01', end: '2026-03-31' });
    expect(period('2026-Q4')).toMatchObject({ start: '2026-10-01', end: '2026-12-31' });
    expect(period('2024-02')).toMatchObject({ kind: 'month', start: '2024-02-01', end: '2024-02-29' });
    expect(period('2026-W09')).toMatchObject({ kind: 'week', start: '2026-02-23', end: '2026-03-01' });
    expect(period('2026')).toMatchObject({ kind: 'year', start: '2026-01-01', end: '2026-12-31' });
  });

  it('handles ISO week 53 and week 1 across the new year', () => {
    // 2020 has 53 ISO weeks; 2021-W01 starts on Monday 2021-01-04.
    expect(period('2020-W53')).toMatchObject({ start: '2020-12-28', end: '2021-01-03' });
    expect(period('2021-W01')).toMatchObject({ start: '2021-01-04', end: '2021-01-10' });
    // 2026-W01 starts in 2025.
    expect(period('2026-W01')).toMatchObject({ start: '2025-12-29', end: '2026-01-04' });
    expect(isoWeekOf(parseDay('2021-01-03')!)).toEqual({ year: 2020, week: 53 });
    expect(isoWeekOf(parseDay('2025-12-29')!)).toEqual({ year: 2026, week: 1 });
    expect(periodContaining('week', '2027-01-01').label).toBe('2026-W53');
  });

  it('rejects labels that are not periods with a message naming the forms', () => {
    const bad = parsePeriod('Q1-2026');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain('2026-Q1');
    const w = parsePeriod('2021-W53');
    expect(w.ok).toBe(false);
    if (!w.ok) expect(w.message).toContain('W52');
    expect(parsePeriod('2026-13').ok).toBe(false);
  });

  it('finds the period holding a date and its neighbours', () => {
    expect(periodContaining('quarter', '2026-05-17').label).toBe('2026-Q2');
    expect(periodContaining('month', '2026-12-31').label).toBe('2026-12');
    expect(shiftPeriod(period('2026-Q4'), 1).label).toBe('2027-Q1');
    expect(shiftPeriod(period('2026-01'), -1).label).toBe('2025-12');
    expect(shiftPeriod(period('2020-W52'), 2).label).toBe('2021-W01');
  });
});
