// What a sequence run says about the email it is holding back (the `heldSend` query): which
// template comes next after a wait, to whom, when (after the recipient's quiet hours, when the wait
// ends inside them), and the reason in the rule's own words. Pure: built
// from the plan and the subject, no activities, so answering a query never touches the history.
import type { Duration, Recipient, Send } from '../plan/schema.js';
import { isKnownTimeZone, nextAllowed, type QuietHours } from './calendar.js';
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

/** The address the run itself knows for a recipient: a quoted one, or its subject's own; else null. */
function knownAddress(recipient: Recipient, subject: SequenceInput['subject']): string | null {
  if (recipient.kind === 'address') return recipient.address;
  if (recipient.kind !== 'entity' || recipient.entity !== subject.kind) return null;
  if (subject.kind === 'lead') return subject.lead.email;
  if (subject.kind === 'rep') return subject.rep.email;
  return subject.deal.contact;
}

/** `to lead` is the lead's own address; a field or another entity is named as the rule names it. */
function describeRecipient(recipient: Recipient, subject: SequenceInput['subject']): string {
  return knownAddress(recipient, subject) ?? (recipient.kind === 'field' ? `${recipient.entity}.${recipient.field}` : recipient.kind === 'entity' ? recipient.entity : recipient.address);
}

export function waitReason(duration: Duration): string {
  const unit = duration.unit === 'business_days' ? 'business days' : duration.unit;
  return `wait ${duration.amount} ${duration.amount === '1' ? unit.replace(/s$/, '') : unit}`;
}

/**
 * The zone a recipient's quiet hours are counted in, as far as the run knows it without asking the
 * data source: the subject's own zone for the subject, else the rule's (the run learns other
 * recipients' zones only when it sends).
 */
function recipientZone(recipient: Recipient, subject: SequenceInput['subject'], ruleZone: string): string {
  if (recipient.kind !== 'entity' || recipient.entity !== subject.kind || subject.kind === 'deal') return ruleZone;
  const zone = subject.kind === 'lead' ? subject.lead.timezone : subject.rep.timezone;
  return zone && isKnownTimeZone(zone) ? zone : ruleZone;
}

/**
 * The held send after a wait (or a scheduled start): null when no email follows. With quiet hours,
 * a wait that ends inside them (a night, a weekend) holds the email until they are over: that is
 * when it goes out, and the reason says so.
 */
export function heldAfterWait(
  program: Instruction[], from: number, subject: SequenceInput['subject'], until: number, reason: string,
  quiet?: { hours: QuietHours | null; ruleZone: string },
): HeldSend | null {
  const sends = nextSends(program, from);
  if (sends.length === 0) return null;
  const to = [...new Set(sends.flatMap((s) => s.to.map((r) => describeRecipient(r, subject))))];
  const allowed = quiet?.hours
    ? Math.min(...sends.flatMap((s) => s.to.map((r) => nextAllowed(until, quiet.hours, recipientZone(r, subject, quiet.ruleZone)))))
    : until;
  const why = allowed > until ? `${reason}, then quiet hours` : reason;
  const recipients = sends.flatMap((s) => s.to);
  const held: HeldSend = { template: [...new Set(sends.map((s) => s.template))].join(' or '), to, at: new Date(allowed).toISOString(), reason: why };
  return recipients.some((r) => knownAddress(r, subject) === null) ? { ...held, named: { recipients, subject } } : held;
}
