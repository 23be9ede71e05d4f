// Replays every recorded history (tests/replay/histories, recorded by record-histories.record.ts)
// against today's workflow code: a change that would break runs already in flight fails the build
// here, instead of in production. Such changes ship behind `patched()`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { expect, test } from 'vitest';
import { workflowBundle } from '../../src/runtime/worker.js';
import { historyFromFile, workflowTypeOf } from './history-file.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const histories = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ workflowId: path.basename(file, '.json'), history: historyFromFile(fs.readFileSync(path.join(dir, file), 'utf8')) }));

/** The events of the recorded history of `workflowId`. */
function eventsOf(workflowId: string) {
  const found = histories.find((h) => h.workflowId === workflowId);
  if (!found) throw new Error(`no recorded history ${workflowId}`);
  return found.history.events ?? [];
}

type HistoryEvents = ReturnType<typeof eventsOf>;

/** The ids of the patches a history's markers record, in order. */
function patchIds(events: HistoryEvents): string[] {
  return events.flatMap((e) => {
    const details = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    return details ? [JSON.parse(Buffer.from(details).toString('utf8')).id as string] : [];
  });
}

/** The activity types a history scheduled, in order. */
function scheduledActivities(events: HistoryEvents): string[] {
  return events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
}

test('there is a recorded history for every workflow the worker runs', () => {
  const types = new Set(histories.map((h) => workflowTypeOf(h.history)));
  expect([...types].sort()).toEqual(['dispatchWorkflow', 'goalWorkflow', 'payoutWorkflow', 'sequenceWorkflow']);
  expect(histories.length).toBeGreaterThanOrEqual(8);
});

test('every recorded history replays against the current workflow code', async () => {
  const bundle = await workflowBundle();
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(histories.length);
});

test('an incompatible change to a workflow is caught by the replay', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/changed-sequence.ts', import.meta.url)),
    logger: new DefaultLogger('WARN'),
  });
  const sequence = histories.filter((h) => h.workflowId === 'sequence-completed');
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: changed }, sequence)) results.push(result);
  expect(results).toHaveLength(1);
  expect(results[0].error?.name).toBe('DeterminismViolationError');
});

test('sequence histories from before and after the reads became local activities are both kept and replayed', () => {
  const activityNames = (workflowId: string) => {
    return scheduledActivities(eventsOf(workflowId));
  };
  // Runs started before the patch keep their remote recipient lookups when a new worker replays them.
  expect(activityNames('sequence-completed-remote-reads')).toContain('sequenceRecipients');
  // New runs look recipients up in the workflow task and only schedule the sends.
  expect(activityNames('sequence-completed')).not.toContain('sequenceRecipients');
  expect(activityNames('sequence-completed')).toContain('sendSequenceEmail');
});

test('goal histories from before and after goal-local-periods are both kept and replayed', () => {
  const patches = (workflowId: string) => {
    return patchIds(eventsOf(workflowId));
  };
  // A month's run from before: periods measured in elapsed time, nothing caught up at start.
  expect(patches('goal-month')).toEqual([]);
  for (const id of ['goal-week-rep-zone', 'goal-late-start-review', 'goal-late-start-mid-period']) expect(patches(id), id).toEqual(['goal-local-periods']);
});

test('goal histories from before and after goal-checkins-current-zone are both kept and replayed', () => {
  const patches = (workflowId: string) => patchIds(eventsOf(workflowId));
  // Before: every check-in on the clock the period began with (the rep's move never read).
  for (const id of ['goal-week-rep-zone', 'goal-late-start-mid-period', 'goal-continued-as-new-first']) expect(patches(id), id).not.toContain('goal-checkins-current-zone');
  // After: a chain whose rep moved mid-week; its continued runs carry the mode in their input.
  expect(patches('goal-checkins-zone-moved-first')).toEqual(['goal-local-periods', 'goal-checkins-current-zone']);
  const started = eventsOf('goal-checkins-zone-moved-last')[0].workflowExecutionStartedEventAttributes!;
  const input = JSON.parse(Buffer.from(started.input!.payloads![0].data!).toString('utf8')) as { resume?: { checkinZone?: string; zoneMoved?: boolean } };
  expect(input.resume).toMatchObject({ checkinZone: 'America/Los_Angeles', zoneMoved: true });
});

test('payout histories of a rep nobody can approve for, from before and after payout-nobody-to-ask-waits, are both kept and replayed', () => {
  const shape = (workflowId: string) => {
    const events = eventsOf(workflowId);
    return {
      patches: patchIds(events),
      timers: events.filter((e) => e.timerStartedEventAttributes).length,
    };
  };
  // Before: `otherwise approve` paid at once. After: the window ran out first.
  expect(shape('payout-nobody-to-ask-at-once')).toEqual({ patches: [], timers: 0 });
  expect(shape('payout-nobody-to-ask-waited')).toEqual({ patches: ['payout-nobody-to-ask-waits'], timers: 1 });
});

test('sequence histories from before and after quiet-hours-repeated-hour are both kept and replayed', () => {
  const patches = (workflowId: string) => patchIds(eventsOf(workflowId));
  // Before: the first email went out at once, in the repeated hour, with no timer before it.
  const legacy = eventsOf('sequence-quiet-repeated-hour-legacy');
  const firstSend = legacy.findIndex((e) => e.activityTaskScheduledEventAttributes);
  expect(legacy.slice(0, firstSend).some((e) => e.timerStartedEventAttributes)).toBe(false);
  expect(patches('sequence-quiet-repeated-hour-legacy')).not.toContain('quiet-hours-repeated-hour');
  // After: a timer holds it to the second 02:30 first.
  const fixed = eventsOf('sequence-quiet-repeated-hour');
  expect(fixed.slice(0, fixed.findIndex((e) => e.activityTaskScheduledEventAttributes)).some((e) => e.timerStartedEventAttributes)).toBe(true);
  expect(patches('sequence-quiet-repeated-hour')).toContain('quiet-hours-repeated-hour');
});

test('sequence histories from before and after quiet-hours-per-recipient are both kept and replayed', () => {
  const sendsTo = (workflowId: string) => {
    return eventsOf(workflowId).flatMap((e) => {
      const attributes = e.activityTaskScheduledEventAttributes;
      if (attributes?.activityType?.name !== 'sendSequenceEmail') return [];
      return [(JSON.parse(Buffer.from(attributes.input!.payloads![0].data!).toString('utf8')) as { to: string }).to];
    });
  };
  // Before: in the order written, the owner and the copy after the lead's night.
  expect(sendsTo('sequence-quiet-several-legacy').slice(0, 3)).toEqual(['several@prospect.example', 'noon@acme.example', 'copy@acme.example']);
  // After: each as soon as their own quiet hours allow.
  expect(sendsTo('sequence-quiet-several').slice(0, 3)).toEqual(['noon@acme.example', 'copy@acme.example', 'several@prospect.example']);
});

test('sequence histories from before and after sequence-stop-during-send are both kept and replayed', () => {
  const completed = (id: string) => eventsOf(id).some((e) => e.activityTaskCompletedEventAttributes);
  const cancelled = (id: string) => eventsOf(id).some((e) => e.activityTaskCancelRequestedEventAttributes);
  // Before: the stop waited for the relay, and the email went out after it.
  expect([completed('sequence-stop-during-send-legacy'), cancelled('sequence-stop-during-send-legacy')]).toEqual([true, false]);
  // After: the send is cancelled when the stop comes.
  expect([completed('sequence-stop-during-send'), cancelled('sequence-stop-during-send')]).toEqual([false, true]);
});

test('sequence histories from before and after sequence-recipients-at-send and sequence-wait-current-zone are both kept and replayed', () => {
  const shape = (workflowId: string) => {
    const events = eventsOf(workflowId);
    return {
      patches: patchIds(events).filter((id) => id !== 'sequence-local-reads'),
      sends: scheduledActivities(events),
      // The business-day wait's timer: the lead moved from Tokyo to New York during the first hour.
      timers: events.flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)] : [])),
    };
  };
  const legacy = shape('sequence-current-data-legacy');
  const current = shape('sequence-current-data');
  // Before: the address resolved when the step began, the wait counted in the start zone (Tokyo).
  expect(legacy.patches).toEqual([]);
  expect(legacy.sends).toEqual(['sendSequenceEmail', 'sendSequenceEmail']);
  // After: the zone read when the wait begins, each recipient resolved again by the send itself.
  expect(current.patches).toEqual(['sequence-wait-current-zone', 'sequence-recipients-at-send']);
  expect(current.sends).toEqual(['sendToCurrentRecipient', 'sendToCurrentRecipient']);
  expect(legacy.timers[0]).toBe(3600);
  expect(current.timers[0]).toBe(3600);
  // From Friday 20:00 UTC: Monday 05:00 in Tokyo (48 hours), Monday 16:00 in New York (72 hours).
  expect([legacy.timers[1], current.timers[1]]).toEqual([48 * 3600, 72 * 3600]);
});

test('sequence histories from before and after sequence-recipients-side-by-side are both kept and replayed', () => {
  const shape = (workflowId: string) => {
    const events = eventsOf(workflowId);
    const patches = patchIds(events);
    // How many sends were scheduled before any completed (the lead's waits for the relay).
    const firstCompleted = events.findIndex((e) => e.activityTaskCompletedEventAttributes);
    const scheduledBefore = events.slice(0, firstCompleted).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendToCurrentRecipient').length;
    return { sideBySide: patches.includes('sequence-recipients-side-by-side'), scheduledBefore };
  };
  // Before: the owner's and the copy's sends waited for the deferred lead's.
  expect(shape('sequence-deferred-recipient-legacy')).toEqual({ sideBySide: false, scheduledBefore: 1 });
  // After: all three at once.
  expect(shape('sequence-deferred-recipient')).toEqual({ sideBySide: true, scheduledBefore: 3 });
});

test('sequence histories from before and after sequence-deferred-send-in-background are both kept and replayed', () => {
  const shape = (workflowId: string) => {
    const events = eventsOf(workflowId);
    const patches = patchIds(events);
    // Whether the wait's timer began before the first email's delivery was done.
    const timer = events.findIndex((e) => e.timerStartedEventAttributes);
    const firstEmailTaken = events.findIndex((e) => e.activityTaskCompletedEventAttributes && Buffer.from(e.activityTaskCompletedEventAttributes.result?.payloads?.[0]?.data ?? []).toString('utf8').includes('sent'));
    const scheduled = scheduledActivities(events);
    return { background: patches.includes('sequence-deferred-send-in-background'), waitBeforeTaken: timer < firstEmailTaken, scheduled };
  };
  // Before: the wait began only once the relay took the first email (retried in its one activity).
  expect(shape('sequence-deferred-later-steps-legacy')).toEqual({ background: false, waitBeforeTaken: false, scheduled: ['sendToCurrentRecipient', 'sendToCurrentRecipient'] });
  // After: the first attempt answered "deferred", the retry ran beside the wait.
  expect(shape('sequence-deferred-later-steps')).toEqual({ background: true, waitBeforeTaken: true, scheduled: ['sendToCurrentRecipient', 'sendSequenceEmail', 'sendToCurrentRecipient'] });
  // Deferred for good: given up (recorded failed) before the next email to the lead went out.
  expect(shape('sequence-deferred-given-up').scheduled).toEqual(['sendToCurrentRecipient', 'sendSequenceEmail', 'giveUpSequenceEmail', 'sendToCurrentRecipient']);
  // The next email right behind it waited (a timer) for the retries, which the relay took.
  const backToBack = eventsOf('sequence-deferred-back-to-back');
  expect(backToBack.some((e) => e.timerStartedEventAttributes)).toBe(true);
  expect(shape('sequence-deferred-back-to-back').scheduled).toEqual(['sendToCurrentRecipient', 'sendSequenceEmail', 'sendToCurrentRecipient']);
});

test('sequence histories from before and after sequence-business-fraction-weekday are both kept and replayed', () => {
  const timers = (workflowId: string) => eventsOf(workflowId)
    .flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)] : []));
  // 1.5 business days from Thursday 18:00: Saturday 06:00 before, Monday 06:00 after.
  expect(timers('sequence-business-fraction-legacy')).toEqual([36 * 3600]);
  expect(timers('sequence-business-fraction')).toEqual([84 * 3600]);
});
