// How long a sequence run keeps retrying an email the relay turned away for now, when no later
// email of the run to the same person gives it up first (workflows/sequence.ts). Pure: the run's
// clock is the argument.
import type { SequenceRule } from '../plan/schema.js';
import { nextWeekly } from './calendar.js';

/** A deferred email with no later email to its recipient is retried this long. */
export const DEFERRED_PATIENCE_MS = 7 * 24 * 60 * 60_000;

/**
 * A scheduled run's email is given up this long before the rep's next run is due, so last week's
 * email never arrives after this week's.
 */
export const BEFORE_NEXT_RUN_MS = 20 * 60_000;

/**
 * Every deferred email gets at least this much retrying before it is given up, also when the next
 * email to the same person follows at once: relays that greylist defer a first attempt for minutes.
 */
export const MIN_RETRY_MS = 20 * 60_000;

export interface DeferredDeadline {
  at: number;
  reason: string;
}

/**
 * When to stop retrying an email first tried at `firstAt`: a week later, or for a scheduled run
 * (`startAt`: its declared time in the rep's zone) shortly before the rep's next run, if sooner.
 */
export function deferredDeadline(firstAt: number, rule: Pick<SequenceRule, 'trigger'>, startAt: string | undefined, zone: string): DeferredDeadline {
  const week = { at: firstAt + DEFERRED_PATIENCE_MS, reason: 'the mail server did not accept it within a week' };
  if (rule.trigger.kind !== 'schedule' || !startAt) return week;
  const nextRun = nextWeekly(rule.trigger.schedule, zone, Date.parse(startAt));
  const beforeNext = Math.max(nextRun - BEFORE_NEXT_RUN_MS, firstAt + MIN_RETRY_MS);
  return beforeNext < week.at ? { at: beforeNext, reason: "the mail server had not accepted it when the sequence's next run was due" } : week;
}
