// `prorate target by employment` (SPEC "incentive, in depth"): when a rep's start_date or
// end_date falls inside the period, the target (and amount band bounds) × days employed in the
// period ÷ days in the period, days counted inclusive (start on 15 January in a 31-day January:
// 17/31). Pure day arithmetic on day numbers, exact: the fraction stays a pair of integers.
import { mulFixed, ratioHalfUp, type Fixed } from '../money/fixed.js';
import type { RepRecord } from '../plan/records.js';
import { parseDay } from './period.js';

export interface EmploymentFraction {
  /** Days employed in the period, inclusive (0 when the employment misses the period). */
  days: number;
  /** Days in the period. */
  of: number;
}

/** The fraction of the period `rep` was employed, or null when employed all of it. */
export function employmentFraction(rep: Pick<RepRecord, 'start_date' | 'end_date'>, period: { start: string; end: string }): EmploymentFraction | null {
  const first = parseDay(period.start)!;
  const last = parseDay(period.end)!;
  const start = rep.start_date ? parseDay(rep.start_date) : null;
  const end = rep.end_date ? parseDay(rep.end_date) : null;
  const from = start !== null && start > first ? start : first;
  const to = end !== null && end < last ? end : last;
  if (from === first && to === last) return null;
  return { days: Math.max(0, to - from + 1), of: last - first + 1 };
}

/** value × days ÷ of, rounded half up to `places` decimals (minor units). */
export function prorated(value: Fixed, fraction: EmploymentFraction, places: number): Fixed {
  return ratioHalfUp(mulFixed(value, { units: BigInt(fraction.days), scale: 0 }), { units: BigInt(fraction.of), scale: 0 }, places);
}
