// Durations of `wait`, `approve by ... within` and `escalate to ... within` (SPEC §2): more than
// zero, and a fraction of a day or week said out loud. Whole days and weeks are counted on the
// calendar in a zone and keep the time of day across a daylight-saving change; a fraction of one
// is counted as hours (workflows/calendar.ts `addDuration`), a fixed span that does not. Business
// days keep their fractions as business time and are not concerned.
import { dec, plainDecimal } from '../money/index.js';
import type { Duration } from '../plan/schema.js';
import type { LiteralNode } from './ast.js';
import { literalToValue } from './check-expr.js';
import type { DiagnosticBag } from './diagnostics.js';

const hoursPer = { days: 24, weeks: 168 } as const;

export function checkDuration(node: LiteralNode, bag: DiagnosticBag): Duration | null {
  const value = literalToValue(node, bag);
  if (value?.type !== 'duration') return null;
  const { amount, unit } = value.value;
  if (unit === 'days' || unit === 'weeks') {
    // `wait 1.5 days` from Saturday 11:00 in Berlin, over the spring change, ended on Monday at
    // 00:00, not Sunday at 23:00: 36 hours, not a day and a half on the clock.
    const days = dec(amount).times(unit === 'weeks' ? 7 : 1);
    if (!days.isInteger()) {
      const hours = `${plainDecimal(dec(amount).times(hoursPer[unit]))} hours`;
      bag.report('fractionalDays', node.span, [node.raw.trim().split(/\s+/).join(' '), hours], hours);
    }
  }
  return value.value;
}
