// Activities of the sequence workflow: who a send goes to (with their time zone, for quiet hours),
// whether an `if` holds on the subject's current data, and the email itself with its unsubscribe
// link. Suppressed addresses are recorded as such and never mailed.
import { log } from '@temporalio/activity';
import { signToken } from '../tokens/index.js';
import { holds } from '../plan/evaluate.js';
import type { Expr, Send, Template } from '../plan/schema.js';
import type { ActivityDeps } from './deps.js';
import { defaultFrom, deliver, type DeliveryOutcome } from './mail.js';
import { escapeHtml, renderTemplate } from '../templates/index.js';
import { isKnownTimeZone, localDate } from '../workflows/calendar.js';
import { employedDuring } from './goal.js';
import { entityScope } from './scope.js';
import { currentRecords, resolveRecipients, type Subject } from './subjects.js';

const UNSUBSCRIBE_LINK_LIFETIME_MS = 5 * 365 * 24 * 60 * 60 * 1000;

export interface SequenceRecipient {
  email: string;
  /** The recipient's own zone, else the rule's. */
  timezone: string;
}

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

export function sequenceActivities(deps: ActivityDeps) {
  return {
    async sequenceRecipients(input: { send: Send; subject: Subject; fallbackTimezone: string }): Promise<SequenceRecipient[]> {
      const records = await currentRecords(deps.db, input.subject);
      const { recipients, problems } = await resolveRecipients(deps.db, input.send.to, records);
      // A recipient that cannot be resolved (no owner, unknown rep) skips that address only.
      for (const problem of problems) log.warn(`send "${input.send.template}": ${problem}`, { sendId: input.send.id });
      return recipients.map((r) => ({ email: r.email, timezone: r.timezone ?? input.fallbackTimezone }));
    },

    async sequenceCondition(input: { condition: Expr; subject: Subject }): Promise<boolean> {
      return holds(input.condition, await currentRecords(deps.db, input.subject));
    },

    async sendSequenceEmail(input: SequenceEmailRequest): Promise<DeliveryOutcome> {
      const secret = requireSecret(deps);
      const token = signToken(
        { purpose: 'unsubscribe', email: input.to.toLowerCase(), ruleId: input.rule.id, exp: input.at + UNSUBSCRIBE_LINK_LIFETIME_MS },
        secret,
      );
      const unsubscribeUrl = `${deps.config.publicUrl}/unsubscribe/${token}`;
      const records = await currentRecords(deps.db, input.subject);
      // A scheduled sequence for reps mails nobody about a rep not employed on the send's date
      // (in the rep's zone, else the rule's, as SPEC §5 has it for times of day and as the
      // dispatch timed the run): the tick selected reps, but the rep may have left since, or may
      // have an end_date already past. Decided here so the workflow is unchanged.
      const rep = input.subject.kind === 'rep' ? records.rep : undefined;
      if (rep) {
        const today = localDate(input.at, rep.timezone && isKnownTimeZone(rep.timezone) ? rep.timezone : input.rule.timezone ?? 'UTC');
        if (!employedDuring(rep, { start: today, end: today })) {
          log.info(`sequence "${input.rule.name}": rep ${rep.id} is not employed on ${today}; nothing sent to ${input.to}`);
          return 'suppressed';
        }
      }
      const scope = { ...entityScope(records), sequence: { name: input.rule.name }, unsubscribe: { url: unsubscribeUrl } };
      const rendered = renderTemplate(input.template, scope);
      const usesLink = input.template.placeholders.includes('unsubscribe.url');
      return deliver(deps, {
        key: `${input.workflowId}:${input.sendKey}:${input.to.toLowerCase()}`,
        workflowId: input.workflowId,
        ruleId: input.rule.id,
        template: input.template.name,
        to: input.to,
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
    },
  };
}

export function requireSecret(deps: ActivityDeps): string {
  if (!deps.config.secret) throw new Error('SALESFLOW_SECRET is not set: links in emails cannot be signed');
  return deps.config.secret;
}
