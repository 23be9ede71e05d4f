// The sequence interpreter: one run per (sequence, subject). It walks the flattened steps, sleeps
// on durable timers (in the subject's time zone for day and business-day waits), holds each send
// until the recipient's quiet hours are over, and ends at once when a stop signal arrives,
// wherever it is waiting. Everything it learns from the world comes through activities. While it
// sleeps, the `heldSend` query says which email it is holding back, until when and why.
import {
  ApplicationFailure, CancellationScope, condition, continueAsNew, isCancellation, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DeliveryOutcome } from '../activities/mail.js';
import type { SequenceRecipient } from '../activities/sequence.js';
import type { Duration } from '../plan/schema.js';
import {
  ACTIVITY_HEARTBEAT,
  heldSendQuery,
  stopSignal,
  type HeldSend,
  type SentEmail,
  type SequenceInput,
  type SequenceResult,
  type StopRequest,
} from './api.js';
import { addDuration, nextAllowed } from './calendar.js';
import { deferredDeadline, MIN_RETRY_MS } from './deferred-send.js';
import { heldAfterWait, waitReason } from './held-send.js';
import { compileSteps } from './program.js';

const { sequenceCondition, sequenceRecipients, sendSequenceEmail, sendToCurrentRecipient, giveUpSequenceEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT.timeout,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * The same reads as local activities: a recipient lookup or an `if` is one SQLite query, and as
 * a regular activity it cost the server an activity task and a second workflow task per step, the
 * most of what an event costs it. Run by the worker inside the workflow task and recorded as a
 * marker; retried like the others, and sending stays a regular activity (it talks to SMTP).
 */
const localReads = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Histories recorded before the reads became local replay with the regular activities they had. */
const LOCAL_READS_PATCH = 'sequence-local-reads';
const reads = () => (patched(LOCAL_READS_PATCH) ? localReads : { sequenceCondition, sequenceRecipients });

/**
 * Quiet hours ending in the hour an autumn clock change repeats (02:30 in Berlin's second 02:xx)
 * used to end at that time's first occurrence, already past, and the email went out inside quiet
 * hours. Runs that did so replay with the old reading; the patch marker is only written when the
 * two readings differ, so other histories are unchanged.
 */
const QUIET_REPEATED_HOUR_PATCH = 'quiet-hours-repeated-hour';

function quietHoursEnd(now: number, quiet: SequenceInput['rule']['quietHours'], timeZone: string): number {
  const before = nextAllowed(now, quiet, timeZone, false);
  return before < now && patched(QUIET_REPEATED_HOUR_PATCH) ? nextAllowed(now, quiet, timeZone) : before;
}

/**
 * A send to several people went out one recipient at a time in the order written, each waiting for
 * its own quiet hours to end: `send "hot-lead" to lead, lead.owner` with the lead asleep in Tokyo
 * held the owner's email, at noon in Berlin, until Tokyo's morning. Each recipient now gets it as
 * soon as their own quiet hours allow (earliest first). Runs that sent in the old order replay with
 * it; the marker is only written where the orders differ.
 */
const QUIET_PER_RECIPIENT_PATCH = 'quiet-hours-per-recipient';

function inQuietHoursOrder<R extends { timezone: string }>(recipients: R[], quiet: SequenceInput['rule']['quietHours']): R[] {
  if (recipients.length < 2 || !quiet) return recipients;
  const now = Date.now();
  const allowed = recipients.map((r, i) => ({ r, i, at: nextAllowed(now, quiet, r.timezone) }));
  const sorted = [...allowed].sort((a, b) => a.at - b.at || a.i - b.i);
  if (sorted.every((entry, position) => entry.i === position)) return recipients;
  return patched(QUIET_PER_RECIPIENT_PATCH) ? sorted.map((entry) => entry.r) : recipients;
}

/** A stop that arrives while a send is being retried cancels it (sendUnlessStopped). */
const STOP_DURING_SEND_PATCH = 'sequence-stop-during-send';

/**
 * A send step resolves its recipients when it begins, then may hold the email for hours (quiet
 * hours, a weekend). The address used to be the one resolved then: a manager replaced or gone
 * meanwhile still got it, and a recipient who moved zone was held by their old night. Now the send
 * activity resolves the recipient again as it sends (skipping one who is gone, with the reason in
 * the run's result) and says when the recipient's quiet hours, as they are now, still hold it.
 * Runs that sent to the address of the step's start replay as they did.
 */
const RECIPIENTS_AT_SEND_PATCH = 'sequence-recipients-at-send';

/**
 * The recipients of a send step were sent to one after another, each send retried until the relay
 * took it: a recipient the relay kept deferring (a full mailbox) held every recipient after it
 * until then. Each recipient is now sent to on its own (the sends run side by side), and the run
 * records them in the step's order, as before. Runs that sent one after another replay as they did; the
 * marker is only written for steps with several recipients.
 */
const RECIPIENTS_SIDE_BY_SIDE_PATCH = 'sequence-recipients-side-by-side';

/**
 * An email the relay turned away for now (a full mailbox, greylisting) was retried before anything
 * else: the run's wait began only once the relay took it, so every later email of the sequence
 * went out that much later, and a mailbox that stayed full held the run for good. Now the email is
 * retried beside the run's later steps, which keep the plan's schedule. Before the next email to
 * the same person goes out, one still not taken is given up (recorded failed, never sent late, as
 * goals do); with no later email to that person it is retried for a week. Runs that waited replay as they did.
 */
const DEFERRED_IN_BACKGROUND_PATCH = 'sequence-deferred-send-in-background';

/** A recipient whose quiet hours keep moving (zone or person changed at every look) is held at most this often. */
const MAX_HOLDS_AGAIN = 5;

/**
 * Waits in days and business days counted in the subject's zone as it was when the run started;
 * a lead the CRM moved to another zone mid-run waited in the old one. The zone is now read when
 * each wait begins. Runs that waited in their start zone replay as they did.
 */
const WAIT_CURRENT_ZONE_PATCH = 'sequence-wait-current-zone';

/**
 * `wait 1.5 business days` from Thursday 18:00 ended on Saturday 06:00: the half day was counted
 * as calendar time. It now ends on Monday at 06:00. Runs that waited so replay as they did; the
 * marker is only written where the two readings differ.
 */
const BUSINESS_FRACTION_PATCH = 'sequence-business-fraction-weekday';

/** Whether a wait's end depends on the zone (a calendar day or business day, not a fixed span). */
function countsInZone(duration: Duration): boolean {
  return duration.unit === 'days' || duration.unit === 'weeks' || duration.unit === 'business_days';
}

/** Sends kept in the result (and carried across continue-as-new): enough to see what happened. */
const KEPT_SENDS = 100;

function subjectTimezone(subject: SequenceInput['subject']): string | null {
  if (subject.kind === 'lead') return subject.lead.timezone;
  if (subject.kind === 'rep') return subject.rep.timezone;
  return null;
}

export async function sequenceWorkflow(input: SequenceInput): Promise<SequenceResult> {
  const { rule, subject } = input;
  let stoppedBy: StopRequest | null = null;
  setHandler(stopSignal, (request) => {
    stoppedBy ??= request;
  });
  // Recipients sent to side by side may be held at once: the query names the one going out first.
  const holds: HeldSend[] = [];
  setHandler(heldSendQuery, () => holds.reduce<HeldSend | null>((first, hold) => (!first || hold.at < first.at ? hold : first), null));

  const program = compileSteps(rule.steps);
  const sends: SentEmail[] = [...(input.resume?.sends ?? [])];
  let position = input.resume?.position ?? 0;
  const workflowId = workflowInfo().workflowId;
  const waitZone = subjectTimezone(subject) ?? rule.timezone;
  const heldQuiet = { hours: rule.quietHours, ruleZone: rule.timezone };
  const stepsPerRun = input.stepsPerRun ?? 200;
  let steps = 0;

  /**
   * Emails the relay deferred, retried beside the later steps (DEFERRED_IN_BACKGROUND_PATCH). Each
   * one's entry in `sends` is updated in place when the relay takes it or the run gives it up.
   */
  interface DeferredSend { entry: SentEmail; sendKey: string; firstAt: number; scope: CancellationScope; ended: Promise<void> }
  const deferred: DeferredSend[] = [];
  let deferredFailure: unknown = null;

  const retryDeferred = (entry: SentEmail, sendKey: string, template: SequenceInput['rule']['templates'][string], at: number) => {
    const scope = new CancellationScope();
    const item: DeferredSend = { entry, sendKey, firstAt: at, scope, ended: Promise.resolve() };
    item.ended = scope.run(() => sendSequenceEmail({
      workflowId, sendKey, rule: { id: rule.id, name: rule.name, from: rule.from, timezone: rule.timezone }, template, to: entry.to, subject, at,
    })).then((outcome) => {
      entry.outcome = outcome;
    }, (err: unknown) => {
      // Cancelled: the run gave it up (giveUpDeferred records why). Anything else is the run's failure.
      if (!isCancellation(err)) deferredFailure ??= err;
    }).finally(() => {
      deferred.splice(deferred.indexOf(item), 1);
    });
    deferred.push(item);
  };

  /** Stops retrying one deferred email; its outbox row is recorded failed with `reason` unless it got through meanwhile. */
  const giveUpDeferred = async (item: DeferredSend, reason: string) => {
    item.scope.cancel();
    await item.ended;
    if (item.entry.outcome !== 'deferred') return;
    const outcome: DeliveryOutcome = await giveUpSequenceEmail({ workflowId, sendKey: item.sendKey, to: item.entry.to, reason });
    item.entry.outcome = outcome;
    if (outcome === 'failed') item.entry.reason = reason;
  };

  /** Waits for the deferred emails, each until its deadline (deferred-send.ts); false when a stop came first. */
  const settleDeferred = async (): Promise<boolean> => {
    const deadline = (d: DeferredSend) => deferredDeadline(d.firstAt, rule, input.startAt, waitZone);
    while (deferred.length > 0) {
      if (deferredFailure) throw deferredFailure;
      const giveUpAt = Math.min(...deferred.map((d) => deadline(d).at));
      const count = deferred.length;
      if (giveUpAt > Date.now()) await condition(() => deferred.length < count || stoppedBy !== null, giveUpAt - Date.now());
      if (stoppedBy) return false;
      for (const item of deferred.filter((d) => deadline(d).at <= Date.now())) await giveUpDeferred(item, deadline(item).reason);
    }
    if (deferredFailure) throw deferredFailure;
    return true;
  };

  const done = async (outcome: SequenceResult['outcome']): Promise<SequenceResult> => {
    if (outcome === 'completed' && !(await settleDeferred())) outcome = 'stopped';
    if (outcome === 'stopped') {
      const reason = `the sequence stopped (${stoppedBy?.eventType ?? 'stop'}) before the mail server accepted it`;
      for (const item of [...deferred]) await giveUpDeferred(item, reason);
    }
    return { outcome, stoppedBy, sends };
  };
  /**
   * Sleeps until `until` (epoch ms) unless stopped first; true when stopped. `holding` is what the
   * heldSend query answers meanwhile.
   */
  const sleepUnlessStopped = async (until: number, holding: () => HeldSend | null): Promise<boolean> => {
    const ms = until - Date.now();
    if (ms > 0) {
      const hold = holding();
      if (hold) holds.push(hold);
      await condition(() => stoppedBy !== null, ms);
      if (hold) holds.splice(holds.indexOf(hold), 1);
    }
    return stoppedBy !== null;
  };

  /**
   * Sends unless a stop comes first. A send waits as long as the relay refuses it for now (4xx) or
   * the data source is down, retried with backoff; a reply or a win meanwhile used to end the run
   * only after that email had gone out. Now the send is cancelled and the run ends at once (an
   * attempt already talking to the relay may still deliver). Runs that waited replay as they did.
   */
  const sendUnlessStopped = async <T>(send: () => Promise<T>): Promise<T | 'stopped'> => {
    const scope = new CancellationScope();
    const sending = scope.run(send);
    const first = await Promise.race([sending, condition(() => stoppedBy !== null).then(() => 'stopped' as const)]);
    if (first !== 'stopped' || !patched(STOP_DURING_SEND_PATCH)) return sending;
    sending.catch(() => undefined); // cancelled: nobody waits for it any more
    scope.cancel();
    return 'stopped';
  };

  /**
   * One recipient of a send step (RECIPIENTS_AT_SEND_PATCH): held until their quiet hours end, then
   * sent to whom the data names by then; held again while that person's quiet hours, as they are
   * now, still hold it.
   */
  const sendToCurrent = async (
    sendId: string, sendKey: string, template: SequenceInput['rule']['templates'][string], recipient: Required<SequenceRecipient>,
  ): Promise<'stopped' | SentEmail> => {
    let address = recipient.email;
    let allowedAt = quietHoursEnd(Date.now(), rule.quietHours, recipient.timezone);
    for (let heldAgain = 0; ; heldAgain += 1) {
      const until = allowedAt;
      const to = address;
      if (await sleepUnlessStopped(until, () => ({ template: template.name, to: [to], at: new Date(until).toISOString(), reason: 'quiet hours' }))) return 'stopped';
      // This person's earlier email, still deferred, is given up: the recipient gets the sequence's
      // emails in its order, and this one on time. One deferred only minutes ago (greylisting, the
      // next send right after it) gets its MIN_RETRY_MS first, holding this one that long at most.
      for (const item of deferred.filter((d) => d.entry.to.toLowerCase() === to.toLowerCase())) {
        const grace = item.firstAt + MIN_RETRY_MS - Date.now();
        if (grace > 0) {
          const hold: HeldSend = {
            template: template.name, to: [to], at: new Date(item.firstAt + MIN_RETRY_MS).toISOString(),
            reason: `the mail server deferred the earlier email to ${item.entry.to}; it is retried first`,
          };
          holds.push(hold);
          await condition(() => !deferred.includes(item) || stoppedBy !== null, grace);
          holds.splice(holds.indexOf(hold), 1);
        }
        if (stoppedBy) return 'stopped';
        if (deferred.includes(item)) await giveUpDeferred(item, `the mail server had not accepted it when the sequence's next email to ${item.entry.to} was due`);
      }
      const at = Date.now();
      const deferrable = patched(DEFERRED_IN_BACKGROUND_PATCH);
      const sent = await sendUnlessStopped(() => sendToCurrentRecipient({
        workflowId,
        sendKey,
        rule: { id: rule.id, name: rule.name, from: rule.from, timezone: rule.timezone },
        template,
        to,
        recipient: recipient.to,
        quietHours: heldAgain < MAX_HOLDS_AGAIN ? rule.quietHours : null,
        subject,
        at,
        ...(deferrable ? { deferrable } : {}),
      }));
      if (sent === 'stopped') return 'stopped';
      if (sent.outcome === 'held') {
        address = sent.to;
        allowedAt = sent.until;
        continue;
      }
      if (sent.outcome === 'deferred') {
        const entry: SentEmail = { sendId, to: sent.to, at: new Date(at).toISOString(), outcome: 'deferred' };
        retryDeferred(entry, sendKey, template, at);
        return entry;
      }
      return { sendId, to: sent.to, at: new Date(at).toISOString(), outcome: sent.outcome, ...(sent.outcome === 'skipped' ? { reason: sent.reason } : {}) };
    }
  };

  // A scheduled run waits for the declared time in its rep's zone (the tick fired earlier).
  if (input.startAt && !input.resume) {
    const startAt = Date.parse(input.startAt);
    if (await sleepUnlessStopped(startAt, () => heldAfterWait(program, 0, subject, startAt, 'scheduled', heldQuiet))) return done('stopped');
  }

  while (position < program.length) {
    if (stoppedBy) return done('stopped');
    if (deferredFailure) throw deferredFailure;
    if (steps >= stepsPerRun || workflowInfo().continueAsNewSuggested) {
      // A deferred email's retry belongs to this run: it ends before the run goes on as new.
      if (!(await settleDeferred())) return done('stopped');
      return continueAsNew<typeof sequenceWorkflow>({ ...input, resume: { position, sends: sends.slice(-KEPT_SENDS) } });
    }
    steps += 1;
    const step = program[position];
    switch (step.op) {
      case 'jump':
        position = step.to;
        break;
      case 'wait': {
        const zone = subject.kind !== 'deal' && countsInZone(step.duration) && patched(WAIT_CURRENT_ZONE_PATCH)
          ? await localReads.sequenceWaitZone({ subject, fallbackTimezone: rule.timezone })
          : waitZone;
        const asBefore = addDuration(Date.now(), step.duration, zone);
        const onWeekday = addDuration(Date.now(), step.duration, zone, true);
        const until = onWeekday !== asBefore && patched(BUSINESS_FRACTION_PATCH) ? onWeekday : asBefore;
        const after = position + 1;
        if (await sleepUnlessStopped(until, () => heldAfterWait(program, after, subject, until, waitReason(step.duration), heldQuiet))) return done('stopped');
        position += 1;
        break;
      }
      case 'branch':
        position = (await reads().sequenceCondition({ condition: step.condition, subject })) ? position + 1 : step.elseAt;
        break;
      case 'send': {
        const template = rule.templates[step.send.template];
        if (!template) {
          throw ApplicationFailure.nonRetryable(`plan of "${rule.name}" lacks template "${step.send.template}"`, 'PlanError');
        }
        const atSend = patched(RECIPIENTS_AT_SEND_PATCH);
        const recipients = inQuietHoursOrder(await reads().sequenceRecipients({ send: step.send, subject, fallbackTimezone: rule.timezone }), rule.quietHours);
        const sendKey = input.occurrence ? `${step.send.id}@${input.occurrence}` : step.send.id;
        const current = atSend ? recipients.filter((r): r is Required<SequenceRecipient> => r.to !== undefined) : [];
        const sideBySide = current.length > 1 && patched(RECIPIENTS_SIDE_BY_SIDE_PATCH);
        if (sideBySide) {
          const sent = await Promise.all(current.map((recipient) => sendToCurrent(step.send.id, sendKey, template, recipient)));
          sends.push(...sent.filter((s): s is SentEmail => s !== 'stopped'));
          if (sent.includes('stopped')) return done('stopped');
        }
        for (const recipient of recipients) {
          if (atSend && recipient.to) {
            if (sideBySide) continue;
            const sent = await sendToCurrent(step.send.id, sendKey, template, recipient as Required<SequenceRecipient>);
            if (sent === 'stopped') return done('stopped');
            sends.push(sent);
            continue;
          }
          const allowedAt = quietHoursEnd(Date.now(), rule.quietHours, recipient.timezone);
          const quiet = (): HeldSend => ({ template: step.send.template, to: [recipient.email], at: new Date(allowedAt).toISOString(), reason: 'quiet hours' });
          if (await sleepUnlessStopped(allowedAt, quiet)) return done('stopped');
          const at = Date.now();
          const outcome = await sendUnlessStopped(() => sendSequenceEmail({
            workflowId,
            sendKey,
            rule: { id: rule.id, name: rule.name, from: rule.from, timezone: rule.timezone },
            template,
            to: recipient.email,
            subject,
            at,
          }));
          if (outcome === 'stopped') return done('stopped');
          sends.push({ sendId: step.send.id, to: recipient.email, at: new Date(at).toISOString(), outcome });
        }
        position += 1;
        break;
      }
    }
  }
  return done('completed');
}
