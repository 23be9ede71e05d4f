// The sequence email as it goes out: rendered from the subject's current record, with its signed
// unsubscribe link, to whom the data names at that moment. A run resolves its recipients when a
// send step begins and may then hold the email for hours (the recipient's quiet hours, a weekend);
// a CRM change meanwhile (a new manager, a manager who left, a lead who moved to another zone)
// must decide who gets it and when, so `sendToCurrentRecipient` resolves the recipient again here,
// in the same activity that sends.
import { log } from '@temporalio/activity';
import { emailKey } from '../data/email-key.js';
import { giveUpPending } from '../data/outbox.js';
import { getRepByEmail } from '../data/reps.js';
import type { EntityRecords } from '../plan/records.js';
import type { Recipient, SequenceRule, Template } from '../plan/schema.js';
import { escapeHtml, renderTemplate } from '../templates/index.js';
import { signToken } from '../tokens/index.js';
import { isKnownTimeZone, localDate, nextAllowed } from '../workflows/calendar.js';
import type { ActivityDeps } from './deps.js';
import { employedDuring } from './goal.js';
import { defaultFrom, deliver, RelayDeferral, type DeliveryOutcome } from './mail.js';
import { entityScope } from './scope.js';
import { currentRecords, resolveRecipient, type Subject } from './subjects.js';

const UNSUBSCRIBE_LINK_LIFETIME_MS = 5 * 365 * 24 * 60 * 60 * 1000;

export interface SequenceEmailRequest {
  workflowId: string;
  /** The send's part of the outbox key (the plan's send id, plus an occurrence for repeated runs). */
  sendKey: string;
  /** `timezone`: the rule's (its settings', else UTC); absent in requests of runs started before it was sent. */
  rule: { id: string; name: string; from: string | null; timezone?: string };
  template: Template;
  to: string;
  subject: Subject;
  /** Workflow time of the send, epoch ms. */
  at: number;
}

/** A send to one recipient of a step, resolved again when it goes out (runs with 'sequence-recipients-at-send'). */
export interface CurrentRecipientRequest extends SequenceEmailRequest {
  rule: { id: string; name: string; from: string | null; timezone: string };
  /** The recipient as the rule names it (`rep.manager`); `to` is the address it named when the step began. */
  recipient: Recipient;
  /** The rule's quiet hours, checked again in the zone the recipient has now; null: none (or no more holding). */
  quietHours: SequenceRule['quietHours'];
  /**
   * A relay that turns this email away for now (a 4xx to its recipient or content) answers
   * `deferred` instead of failing the activity (runs with 'sequence-deferred-send-in-background'
   * retry it beside their later steps).
   */
  deferrable?: boolean;
}

/** What a run that stops retrying a deferred email asks: its outbox row recorded failed with `reason`. */
export interface GiveUpSequenceEmailRequest {
  workflowId: string;
  sendKey: string;
  to: string;
  reason: string;
}

export type CurrentRecipientOutcome =
  | { outcome: DeliveryOutcome; to: string }
  /** Nobody to send to any more (the field is empty, the rep is gone or has left); `to` is the address named before. */
  | { outcome: 'skipped'; to: string; reason: string }
  /** Not yet: the recipient as they are now is inside quiet hours until `until` (epoch ms). */
  | { outcome: 'held'; to: string; until: number }
  /** The relay did not take it this time (`error` says what it answered); `sendSequenceEmail` to `to` retries it. */
  | { outcome: 'deferred'; to: string; error: string };

/** A zone the tz database knows, else the fallback: CSVs and CRM updates are not checked for zone names. */
export function knownZone(zone: string | null | undefined, fallback: string): string {
  return zone && isKnownTimeZone(zone) ? zone : fallback;
}

/**
 * A scheduled sequence for reps mails nobody about a rep not employed on the send's date (in the
 * rep's zone, else the rule's, as SPEC §5 has it for times of day and as the dispatch timed the
 * run): the tick selected reps, but the rep may have left since, or may have an end_date already past.
 */
function subjectRepAway(input: SequenceEmailRequest, records: EntityRecords): string | null {
  const rep = input.subject.kind === 'rep' ? records.rep : undefined;
  if (!rep) return null;
  const today = localDate(input.at, knownZone(rep.timezone, input.rule.timezone ?? 'UTC'));
  return employedDuring(rep, { start: today, end: today }) ? null : `rep ${rep.id} is not employed on ${today}`;
}

/**
 * Why a recipient who is a rep, other than the run's own rep, gets nothing on the send's date: a
 * manager who has left hears nothing more about their former reps, as with goals. Null: send.
 */
async function colleagueAway(deps: ActivityDeps, email: string, input: CurrentRecipientRequest, records: EntityRecords): Promise<string | null> {
  // The run's own rep is bounded by subjectRepAway.
  if (input.subject.kind === 'rep' && records.rep && emailKey(records.rep.email) === emailKey(email)) return null;
  const rep = await getRepByEmail(deps.db, email);
  if (!rep) return null;
  const day = localDate(input.at, knownZone(rep.timezone, input.rule.timezone));
  if (rep.end_date && day > rep.end_date) return `${email} is a rep not employed on ${day} (last day ${rep.end_date})`;
  if (rep.start_date && day < rep.start_date) return `${email} is a rep not employed on ${day} (first day ${rep.start_date})`;
  return null;
}

export function sequenceSendActivities(deps: ActivityDeps) {
  return {
    /** Runs started before 'sequence-recipients-at-send': the address as resolved when the step began. */
    async sendSequenceEmail(input: SequenceEmailRequest): Promise<DeliveryOutcome> {
      const records = await currentRecords(deps.db, input.subject);
      const away = subjectRepAway(input, records);
      if (away) {
        log.info(`sequence "${input.rule.name}": ${away}; nothing sent to ${input.to}`);
        return 'suppressed';
      }
      return deliverSequenceEmail(deps, input, input.to, records);
    },

    async sendToCurrentRecipient(input: CurrentRecipientRequest): Promise<CurrentRecipientOutcome> {
      const records = await currentRecords(deps.db, input.subject);
      const away = subjectRepAway(input, records);
      if (away) {
        // Skipped with the reason, as for a recipient who is gone: `suppressed` reads as "this
        // address unsubscribed", which a rep who left did not do.
        log.info(`sequence "${input.rule.name}": ${away}; nothing sent to ${input.to}`);
        return { outcome: 'skipped', to: input.to, reason: away };
      }
      const resolved = await resolveRecipient(deps.db, input.recipient, records);
      const reason = resolved.ok ? await colleagueAway(deps, resolved.recipient.email, input, records) : resolved.reason;
      if (!resolved.ok || reason !== null) {
        // As with a recipient that cannot be resolved when the step begins: that address only is
        // skipped, with a warning; the run's result records it with the reason.
        log.warn(`sequence "${input.rule.name}", send "${input.template.name}": ${reason}; nothing sent`, { workflowId: input.workflowId, sendKey: input.sendKey });
        return { outcome: 'skipped', to: input.to, reason: reason ?? 'no recipient' };
      }
      const { email, timezone } = resolved.recipient;
      const allowedAt = nextAllowed(input.at, input.quietHours, knownZone(timezone, input.rule.timezone));
      if (allowedAt > input.at) return { outcome: 'held', to: email, until: allowedAt };
      if (email.toLowerCase() !== input.to.toLowerCase()) {
        log.info(`sequence "${input.rule.name}", send "${input.template.name}": now ${email} (was ${input.to} when the step began)`);
      }
      try {
        return { outcome: await deliverSequenceEmail(deps, input, email, records), to: email };
      } catch (err) {
        // A relay unavailable to every email (down, refusing the login) holds the run where it is:
        // the emails go out in order once it is back, as documented for an outage.
        if (!input.deferrable || !(err instanceof RelayDeferral) || !err.forRecipient) throw err;
        log.info(`sequence "${input.rule.name}", send "${input.template.name}": the mail server did not take the email to ${email} this time (${err.message}); retrying beside the later steps`);
        return { outcome: 'deferred', to: email, error: err.message };
      }
    },

    /**
     * A deferred email the run stops retrying (the next email to the same person is due, a week
     * has passed, the run was stopped) is recorded failed with the reason, so no retry sends it
     * late. An attempt talking to the relay at that moment finishes first (its lease): the
     * outcome is then what it got.
     */
    async giveUpSequenceEmail(input: GiveUpSequenceEmailRequest): Promise<DeliveryOutcome> {
      const status = await giveUpPending(deps.db, sequenceOutboxKey(input.workflowId, input.sendKey, input.to), input.reason);
      if (status === 'pending') throw new Error(`outbox: the email to ${input.to} is being sent right now; asking again once that attempt ends`);
      if (status === 'sent') return 'already-sent';
      if (status === 'suppressed') return 'suppressed';
      log.warn(`sequence email to ${input.to} not sent: ${input.reason}`, { workflowId: input.workflowId, sendKey: input.sendKey });
      return 'failed';
    },
  };
}

/** The outbox key of one sequence email: the run, the send (and occurrence), the recipient. */
export function sequenceOutboxKey(workflowId: string, sendKey: string, to: string): string {
  return `${workflowId}:${sendKey}:${to.toLowerCase()}`;
}

/** Renders the email from the subject's current records and hands it to the outbox (once per key). */
async function deliverSequenceEmail(deps: ActivityDeps, input: SequenceEmailRequest, to: string, records: EntityRecords): Promise<DeliveryOutcome> {
  const secret = requireSecret(deps);
  const token = signToken(
    { purpose: 'unsubscribe', email: to.toLowerCase(), ruleId: input.rule.id, exp: input.at + UNSUBSCRIBE_LINK_LIFETIME_MS },
    secret,
  );
  const unsubscribeUrl = `${deps.config.publicUrl}/unsubscribe/${token}`;
  const scope = { ...entityScope(records), sequence: { name: input.rule.name }, unsubscribe: { url: unsubscribeUrl } };
  const rendered = renderTemplate(input.template, scope);
  // The link must be in the body: a template that names it only in its subject line (where no
  // client makes it clickable) still gets the footer.
  const usesLink = /\{\{\s*unsubscribe\.url\s*\}\}/.test(input.template.body);
  return deliver(deps, {
    key: sequenceOutboxKey(input.workflowId, input.sendKey, to),
    workflowId: input.workflowId,
    ruleId: input.rule.id,
    template: input.template.name,
    to,
    from: input.rule.from ?? defaultFrom(deps.config.publicUrl),
    subject: rendered.subject,
    html: usesLink
      ? rendered.html
      : `${rendered.html}\n<p style="font-size:small"><a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe</a></p>`,
    text: usesLink ? rendered.text : `${rendered.text}\n\n--\nUnsubscribe: ${unsubscribeUrl}\n`,
    headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    date: new Date(input.at),
    suppressible: true,
  });
}

export function requireSecret(deps: ActivityDeps): string {
  if (!deps.config.secret) throw new Error('SALESFLOW_SECRET is not set: links in emails cannot be signed');
  return deps.config.secret;
}
