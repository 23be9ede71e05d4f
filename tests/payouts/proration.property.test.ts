// `prorate target by employment`: the fraction of the period employed, in days counted inclusive,
// exact at month ends and in leap years (fast-check against day counts from Date.UTC, a second
// calendar), and the prorated target rounded once, half up, as decimal.js rounds it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedText, parseFixed } from '../../src/money/fixed.js';
import { Decimal } from '../../src/money/index.js';
import { parsePeriod, type Period } from '../../src/payouts/period.js';
import { employmentFraction, prorated } from '../../src/payouts/proration.js';

const DAY = 86_400_000;
const dayOf = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;
const isoOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

function period(label: string): Period {
  const p = parsePeriod(label);
  if (!p.ok) throw new Error(p.message);
  return p.period;
}

/** Periods of every kind from 1896 to 2104: across 1900 and 2100 (not leap) and 2000 (leap). */
const periodArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1896, max: 2104 }), fc.integer({ min: 1, max: 12 })).map(([y, m]) => period(`${y}-${String(m).padStart(2, '0')}`)),
  fc.tuple(fc.integer({ min: 1896, max: 2104 }), fc.integer({ min: 1, max: 4 })).map(([y, q]) => period(`${y}-Q${q}`)),
  fc.integer({ min: 1896, max: 2104 }).map((y) => period(String(y))),
  fc.tuple(fc.integer({ min: 1896, max: 2104 }), fc.integer({ min: 1, max: 52 })).map(([y, w]) => period(`${y}-W${String(w).padStart(2, '0')}`)),
);

describe('employment fraction', () => {
  it('is the inclusive day count of the employment inside the period, over the days of the period', () => {
    fc.assert(fc.property(
      periodArb, fc.option(fc.integer({ min: -400, max: 400 }), { nil: null }), fc.option(fc.integer({ min: -400, max: 400 }), { nil: null }),
      (p, startOffset, endOffset) => {
        const first = dayOf(p.start);
        const last = dayOf(p.end);
        const start = startOffset === null ? null : first + startOffset;
        const end = endOffset === null ? null : last + endOffset;
        const fraction = employmentFraction({ start_date: start === null ? null : isoOf(start), end_date: end === null ? null : isoOf(end) }, p);
        const from = Math.max(first, start ?? first);
        const to = Math.min(last, end ?? last);
        if (from === first && to === last) {
          expect(fraction).toBeNull();
        } else {
          expect(fraction).toEqual({ days: Math.max(0, to - from + 1), of: last - first + 1 });
        }
      },
    ), { numRuns: 3000 });
  });

  it('counts the edges as comp teams do: 17/31 from 15 January, 29-day Februaries, 2100 is not leap', () => {
    expect(employmentFraction({ start_date: '2026-01-15', end_date: null }, period('2026-01'))).toEqual({ days: 17, of: 31 });
    expect(employmentFraction({ start_date: '2024-02-29', end_date: null }, period('2024-02'))).toEqual({ days: 1, of: 29 });
    expect(employmentFraction({ start_date: '2024-02-29', end_date: null }, period('2024-Q1'))).toEqual({ days: 32, of: 91 });
    expect(employmentFraction({ start_date: null, end_date: '2100-02-28' }, period('2100-Q1'))).toEqual({ days: 59, of: 90 });
    expect(employmentFraction({ start_date: '2026-03-31', end_date: '2026-03-31' }, period('2026-Q1'))).toEqual({ days: 1, of: 90 });
    expect(employmentFraction({ start_date: '2026-04-01', end_date: null }, period('2026-Q1'))).toEqual({ days: 0, of: 90 });
    expect(employmentFraction({ start_date: '2026-01-01', end_date: '2026-03-31' }, period('2026-Q1'))).toBeNull();
  });

  it('prorates a target to minor units, half up, as decimal.js does', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 366 }), fc.integer({ min: 0, max: 366 }), fc.constantFrom(0, 2, 3),
      (units, scale, of, daysRaw, places) => {
        const days = daysRaw % (of + 1);
        const target = new Decimal(units.toString()).div(new Decimal(10).pow(scale)).toFixed();
        const exact = prorated(parseFixed(target)!, { days, of }, places);
        const reference = new Decimal(target).times(days).div(of).toDecimalPlaces(places, Decimal.ROUND_HALF_UP).toFixed(places);
        expect(fixedText(exact, places)).toBe(reference);
      },
    ), { numRuns: 3000 });
    // 250,000 × 17/31 = 137,096.774… → 137,096.77; 100 × 1/8 → 12.5 exactly, 0.125 → 0.13 (half up).
    expect(fixedText(prorated(parseFixed('250000')!, { days: 17, of: 31 }, 2), 2)).toBe('137096.77');
    expect(fixedText(prorated(parseFixed('1')!, { days: 1, of: 8 }, 2), 2)).toBe('0.13');
  });
});
