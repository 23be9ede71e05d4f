// What a sequence run says about the email it is holding back (the `heldSend` query): which
// template comes next after a wait, to whom, and the reason in the rule's own words. Pure: built
// from the plan and the subject, no activities, so answering a query never touches the history.
import type { Duration, Recipient, Send } from '../plan/schema.js';
import type { HeldSend, SequenceInput } from './api.js';
import type { Instruction } from './program.js';

/** The sends that can come next from `from`: one, or one per arm when an `if` comes first. */
export function nextSends(program: Instruction[], from: number, seen = new Set<number>()): Send[] {
  let position = from;
  while (position < program.length && !seen.has(position)) {
    seen.add(position);
    const step = program[position];
    if (step.op === 'send') return [step.send];
    if (step.op === 'jump') position = step.to;
    else if (step.op === 'branch') return [...nextSends(program, position + 1, seen), ...nextSends(program, step.elseAt, seen)];
    else position += 1;
  }
  return [];
}

/** `to lead` is the lead's own address; a field or another entity is named as the rule names it. */
function describeRecipient(recipient: Recipient, subject: SequenceInput['subject']): string {
  if (recipient.kind === 'address') return recipient.address;
  if (recipient.kind === 'entity' && recipient.entity === subject.kind) {
    if (subject.kind === 'lead') return subject.lead.email;
    if (subject.kind === 'rep') return subject.rep.email;
    return subject.deal.contact ?? 'deal.contact';
  }
  return recipient.kind === 'entity' ? recipient.entity : `${recipient.entity}.${recipient.field}`;
}

export function waitReason(duration: Duration): string {
  const unit = duration.unit === 'business_days' ? 'business days' : duration.unit;
  return `wait ${duration.amount} ${duration.amount === '1' ? unit.replace(/s$/, '') : unit}`;
}

/** The held send after a wait (or a scheduled start): null when no email follows. */
export function heldAfterWait(
  program: Instruction[], from: number, subject: SequenceInput['subject'], until: number, reason: string,
): HeldSend | null {
  const sends = nextSends(program, from);
  if (sends.length === 0) return null;
  const to = [...new Set(sends.flatMap((s) => s.to.map((r) => describeRecipient(r, subject))))];
  return { template: [...new Set(sends.map((s) => s.template))].join(' or '), to, at: new Date(until).toISOString(), reason };
}
