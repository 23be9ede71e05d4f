// The time zone of `salesflow dev`'s sample lead. The demo should show an email in the outbox the
// moment the sample event is sent, on any day and at any hour, so the zone is chosen from the
// sequence's own quiet hours at the given clock: a zone where sending is allowed now and for a
// while after (the user reads the instructions before sending). Pure: the clock is an argument.
import { nextAllowed, type QuietHours } from '../workflows/calendar.js';

/**
 * Candidate zones, most familiar first. Their UTC offsets lie at most 2 hours apart all around
 * the clock (from UTC−11 to UTC+14, with or without daylight saving), so any quiet hours that
 * leave at least 2 hours plus the margin of the day free find a zone where sending is allowed now.
 */
export const SAMPLE_ZONES = [
  'Europe/London', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney',
  'Europe/Berlin', 'America/Chicago', 'America/Sao_Paulo', 'Europe/Athens', 'Asia/Dubai', 'Asia/Bangkok',
  'Pacific/Auckland', 'Pacific/Honolulu', 'America/Anchorage', 'Atlantic/Azores', 'Pacific/Pago_Pago',
  'Pacific/Kiritimati',
] as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** How long after `now` sending must stay allowed: time to read the instructions and send the event. */
export const SAMPLE_MARGIN_MS = 2 * HOUR;
const STEP_MS = 15 * MINUTE;

export type SampleZone =
  /** Sending is allowed in `zone` from now until at least now + SAMPLE_MARGIN_MS. */
  | { zone: string; heldUntil: null }
  /** No candidate zone allows sending now: the first email waits until `heldUntil` (epoch ms). */
  | { zone: string; heldUntil: number };

/**
 * How long from `now` sending stays allowed in a zone, to the step (0: quiet hours now); more than
 * `limit` means allowed at every step up to and including now + limit.
 */
function allowedFor(now: number, quiet: QuietHours, zone: string, limit: number): number {
  for (let t = now; t <= now + limit; t += STEP_MS) {
    if (nextAllowed(t, quiet, zone) !== t) return t - now;
  }
  return limit + STEP_MS;
}

/**
 * The sample lead's zone for a sequence with these quiet hours at `now`: the first familiar zone
 * where sending is allowed for the margin; else the zone allowed longest; else (quiet hours cover
 * every zone now, as `and weekends` does on a Sunday morning UTC) the zone whose quiet hours end
 * first, with the time they end.
 */
export function chooseSampleZone(now: number, quiet: QuietHours | null): SampleZone {
  if (!quiet) return { zone: SAMPLE_ZONES[0], heldUntil: null };
  let best: { zone: string; allowed: number } | null = null;
  for (const zone of SAMPLE_ZONES) {
    const allowed = allowedFor(now, quiet, zone, SAMPLE_MARGIN_MS);
    if (allowed > SAMPLE_MARGIN_MS) return { zone, heldUntil: null };
    if (allowed > 0 && (!best || allowed > best.allowed)) best = { zone, allowed };
  }
  if (best) return { zone: best.zone, heldUntil: null };
  let earliest: { zone: string; at: number } | null = null;
  for (const zone of SAMPLE_ZONES) {
    const at = nextAllowed(now, quiet, zone);
    if (!earliest || at < earliest.at) earliest = { zone, at };
  }
  return { zone: earliest!.zone, heldUntil: earliest!.at };
}
