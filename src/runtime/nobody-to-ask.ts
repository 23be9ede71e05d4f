// Who a payout run would ask for approval, read before it starts: a rep for whom no round of the
// rule's `approve by … { escalate to … }` resolves to someone else (no manager on record, an
// escalation naming an empty field, or only the rep themselves) gets no approval email at all, and
// the rule's `otherwise` decides their statement unseen. The run itself only logs it on the worker,
// so `payouts run` says it to sales ops up front. Same resolution as the payout activity's.
import { resolveRecipient } from '../activities/subjects.js';
import type { Db } from '../data/db.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';
import { emailKey } from '../data/email-key.js';

/** Why nobody would be asked for this rep's statement; null when some round has an approver. */
export async function nobodyToAsk(db: Db, rule: IncentiveRule, rep: RepRecord): Promise<string | null> {
  if (!rule.approval) return null;
  const reasons: string[] = [];
  for (const to of [rule.approval.approver, ...rule.approval.escalations.map((e) => e.to)]) {
    const resolved = await resolveRecipient(db, to, { rep });
    if (!resolved.ok) { reasons.push(resolved.reason); continue; }
    // Nobody approves their own pay: the activity skips such a round.
    if (emailKey(resolved.recipient.email) === emailKey(rep.email)) {
      reasons.push(`the approver ${resolved.recipient.email} is the rep being paid`);
      continue;
    }
    return null;
  }
  return [...new Set(reasons)].join('; ');
}

/** What the rule's `otherwise` does with a statement nobody is asked about, in words. */
export function unaskedOutcome(rule: IncentiveRule): string {
  if (rule.approval?.otherwise !== 'approve') {
    return "the rule's `otherwise reject` rejects it at once (rep and manager are told)";
  }
  const last = rule.approval.escalations.at(-1)?.within ?? rule.approval.within;
  return `the rule's \`otherwise approve\` pays it without anyone's approval when the approval window (${last.amount} ${last.unit}) ends`;
}
