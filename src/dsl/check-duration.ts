// Durations of `wait`, `approve by ... within` and `escalate to ... within` (SPEC §2): more than
// zero, at most 100 years, and a fraction of a day or week said out loud. Whole days and weeks are counted on the
// calendar in a zone and keep the time of day across a daylight-saving change; a fraction of one
// is counted as hours (workflows/calendar.ts `addDuration`), a fixed span that does not. Business
// days keep their fractions as business time and are not concerned.
import { dec, plainDecimal } from '../money/index.js';
import type { Duration } from '../plan/schema.js';
import type { LiteralNode } from './ast.js';
import { literalToValue } from './check-expr.js';
import type { DiagnosticBag } from './diagnostics.js';

const hoursPer = { days: 24, weeks: 168 } as const;

/**
 * The longest wait or approval window: 100 years. A longer one (`wait 99999999999 days`, a typo)
 * checked clean and then failed inside the run, every time it was retried: the end instant is past
 * what a date can hold, or what Temporal accepts for a timer.
 */
const MAX_DAYS = 36_525;
/** Calendar days per unit, as a fraction kept exact: a business day is 7/5 of one. */
const daysPer: Record<Duration['unit'], [number, number]> = { minutes: [1, 1440], hours: [1, 24], days: [1, 1], weeks: [7, 1], business_days: [7, 5] };

export function checkDuration(node: LiteralNode, bag: DiagnosticBag): Duration | null {
  const value = literalToValue(node, bag);
  if (value?.type !== 'duration') return null;
  const { amount, unit } = value.value;
  const written = node.raw.trim().split(/\s+/).join(' ');
  const [times, per] = daysPer[unit];
  if (dec(amount).times(times).greaterThan(MAX_DAYS * per)) {
    bag.report('durationTooLong', node.span, [written]);
    return null;
  }
  if (unit === 'days' || unit === 'weeks') {
    // `wait 1.5 days` from Saturday 11:00 in Berlin, over the spring change, ended on Monday at
    // 00:00, not Sunday at 23:00: 36 hours, not a day and a half on the clock.
    const days = dec(amount).times(unit === 'weeks' ? 7 : 1);
    if (!days.isInteger()) {
      const hours = `${plainDecimal(dec(amount).times(hoursPer[unit]))} hours`;
      bag.report('fractionalDays', node.span, [written, hours], hours);
    }
  }
  return value.value;
}
