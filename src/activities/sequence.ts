// Activities of the sequence workflow: who a send goes to (with their time zone, for quiet hours),
// whether an `if` holds on the subject's current data, the zone a wait counts in, and the email
// itself (sequence-send.ts). Suppressed addresses are recorded as such and never mailed.
import { log } from '@temporalio/activity';
import { holds } from '../plan/evaluate.js';
import type { Expr, Recipient, Send } from '../plan/schema.js';
import type { ActivityDeps } from './deps.js';
import { knownZone, sequenceSendActivities } from './sequence-send.js';
import { currentRecords, resolveRecipients, type Subject } from './subjects.js';

export { requireSecret, type CurrentRecipientOutcome, type CurrentRecipientRequest, type SequenceEmailRequest } from './sequence-send.js';

export interface SequenceRecipient {
  email: string;
  /** The recipient's own zone, else the rule's. */
  timezone: string;
  /** How the rule names the recipient, to resolve it again when the email goes out. Absent in results recorded before it was returned. */
  to?: Recipient;
}

export function sequenceActivities(deps: ActivityDeps) {
  return {
    async sequenceRecipients(input: { send: Send; subject: Subject; fallbackTimezone: string }): Promise<SequenceRecipient[]> {
      const records = await currentRecords(deps.db, input.subject);
      const { recipients, problems } = await resolveRecipients(deps.db, input.send.to, records);
      // A recipient that cannot be resolved (no owner, unknown rep) skips that address only.
      for (const problem of problems) log.warn(`send "${input.send.template}": ${problem}`, { sendId: input.send.id });
      return recipients.map((r) => ({ email: r.email, timezone: knownZone(r.timezone, input.fallbackTimezone), to: r.to }));
    },

    async sequenceCondition(input: { condition: Expr; subject: Subject }): Promise<boolean> {
      return holds(input.condition, await currentRecords(deps.db, input.subject));
    },

    /**
     * The zone a wait in days or business days counts in: the subject's as the data has it now (a
     * lead the CRM moved to New York mid-run waits in New York), else the rule's.
     */
    async sequenceWaitZone(input: { subject: Subject; fallbackTimezone: string }): Promise<string> {
      const records = await currentRecords(deps.db, input.subject);
      const zone = input.subject.kind === 'lead' ? records.lead?.timezone : input.subject.kind === 'rep' ? records.rep?.timezone : null;
      return knownZone(zone, input.fallbackTimezone);
    },

    ...sequenceSendActivities(deps),
  };
}
