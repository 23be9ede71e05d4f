// How long a sequence run retries an email the relay keeps turning away for now, when no later
// email of the run to the same person gives it up first: a week, or for a scheduled run (a weekly
// 1:1 prep) until shortly before the rep's next run, so last week's email never lands after this week's.
import { expect, test } from 'vitest';
import type { SequenceRule } from '../../src/plan/schema.js';
import { BEFORE_NEXT_RUN_MS, deferredDeadline, DEFERRED_PATIENCE_MS, MIN_RETRY_MS } from '../../src/workflows/deferred-send.js';

const onEvent: Pick<SequenceRule, 'trigger'> = { trigger: { kind: 'event', event: 'lead.created', where: null } };
const weekly: Pick<SequenceRule, 'trigger'> = { trigger: { kind: 'schedule', schedule: { days: ['friday'], at: '15:00' }, reps: null } };
const weekdays: Pick<SequenceRule, 'trigger'> = {
  trigger: { kind: 'schedule', schedule: { days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], at: '08:45' }, reps: null },
};

test('an event-triggered run retries a week', () => {
  const firstAt = Date.parse('2026-12-07T10:00:00Z');
  expect(deferredDeadline(firstAt, onEvent, undefined, 'UTC')).toEqual({ at: firstAt + DEFERRED_PATIENCE_MS, reason: 'the mail server did not accept it within a week' });
});

test('a weekly run in Kathmandu (UTC+05:45) gives up 20 minutes before the rep\'s next Friday 15:00', () => {
  // Friday 2026-12-11 15:00 in Kathmandu is 09:15 UTC.
  const startAt = '2026-12-11T09:15:00.000Z';
  expect(deferredDeadline(Date.parse(startAt), weekly, startAt, 'Asia/Kathmandu')).toEqual({
    at: Date.parse('2026-12-18T09:15:00Z') - BEFORE_NEXT_RUN_MS, reason: "the mail server had not accepted it when the sequence's next run was due",
  });
});

test('a weekday run gives up before the next morning\'s run; one sent after it (held by quiet hours) still gets 20 minutes', () => {
  // Friday 08:45 in Berlin (07:45 UTC): the next run is Monday 08:45.
  const startAt = '2026-12-11T07:45:00.000Z';
  expect(deferredDeadline(Date.parse(startAt), weekdays, startAt, 'Europe/Berlin').at).toBe(Date.parse('2026-12-14T07:45:00Z') - BEFORE_NEXT_RUN_MS);
  const late = Date.parse('2026-12-14T08:00:00Z');
  expect(deferredDeadline(late, weekdays, startAt, 'Europe/Berlin').at).toBe(late + MIN_RETRY_MS);
});
