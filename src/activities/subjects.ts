// The subject of a run as it is *now*: conditions and recipients read current CRM data, not the
// copy the workflow started with (which is only the fallback when the record has gone).
import { getDeal } from '../data/deals.js';
import { getLead, getLeadByEmail } from '../data/leads.js';
import { getRep, getRepByEmail } from '../data/reps.js';
import type { Db } from '../data/db.js';
import type { EntityRecords } from '../plan/records.js';
import type { Recipient } from '../plan/schema.js';
import type { SequenceInput } from '../workflows/api.js';
import { emailKey } from '../data/email-key.js';

export type Subject = SequenceInput['subject'];

/** The subject's current record plus the entities it points at (a lead's owner, a deal's rep and contact). */
export async function currentRecords(db: Db, subject: Subject): Promise<EntityRecords> {
  switch (subject.kind) {
    case 'lead': {
      const lead = (await getLead(db, subject.lead.id)) ?? subject.lead;
      const rep = lead.owner ? (await getRep(db, lead.owner)) ?? undefined : undefined;
      return { lead, rep };
    }
    case 'deal': {
      const deal = (await getDeal(db, subject.deal.id)) ?? subject.deal;
      const rep = (await getRep(db, deal.rep)) ?? undefined;
      const lead = deal.contact ? (await getLeadByEmail(db, deal.contact)) ?? undefined : undefined;
      return { deal, rep, lead };
    }
    case 'rep':
      return { rep: (await getRep(db, subject.rep.id)) ?? subject.rep };
  }
}

export interface ResolvedRecipient {
  email: string;
  /** The person's own time zone, when known. */
  timezone: string | null;
  name: string | null;
}

export type RecipientResolution = { ok: true; recipient: ResolvedRecipient } | { ok: false; reason: string };

/** Who a known address belongs to, for their name and time zone. */
async function person(db: Db, email: string): Promise<ResolvedRecipient> {
  const rep = await getRepByEmail(db, email);
  if (rep) return { email, timezone: rep.timezone, name: rep.name };
  const lead = await getLeadByEmail(db, email);
  return { email, timezone: lead?.timezone ?? null, name: lead?.name ?? null };
}

/** SPEC §5: an entity (its email), a field holding an email or a rep id, or a quoted address. */
export async function resolveRecipient(db: Db, to: Recipient, records: EntityRecords): Promise<RecipientResolution> {
  switch (to.kind) {
    case 'address':
      return { ok: true, recipient: await person(db, to.address) };
    case 'entity': {
      if (to.entity === 'rep' && records.rep) {
        return { ok: true, recipient: { email: records.rep.email, timezone: records.rep.timezone, name: records.rep.name } };
      }
      if (to.entity === 'lead' && records.lead) {
        return { ok: true, recipient: { email: records.lead.email, timezone: records.lead.timezone, name: records.lead.name } };
      }
      if (to.entity === 'deal' && records.deal?.contact) return { ok: true, recipient: await person(db, records.deal.contact) };
      return { ok: false, reason: `no ${to.entity} email known` };
    }
    case 'field': {
      const record = records[to.entity] as Record<string, unknown> | undefined;
      const value = record?.[to.field];
      if (typeof value !== 'string' || value === '') return { ok: false, reason: `${to.entity}.${to.field} is empty` };
      if (to.holds === 'email') return { ok: true, recipient: await person(db, value) };
      const rep = await getRep(db, value);
      if (!rep) return { ok: false, reason: `${to.entity}.${to.field} names rep "${value}", who is not in the data source` };
      return { ok: true, recipient: { email: rep.email, timezone: rep.timezone, name: rep.name } };
    }
  }
}

/**
 * Resolve every recipient of a send, once per address (case-insensitive), in order. Each carries
 * the recipient as the rule names it (`to`), so it can be resolved again later, when the email goes out.
 */
export async function resolveRecipients(
  db: Db,
  to: Recipient[],
  records: EntityRecords,
): Promise<{ recipients: Array<ResolvedRecipient & { to: Recipient }>; problems: string[] }> {
  const recipients: Array<ResolvedRecipient & { to: Recipient }> = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of to) {
    const result = await resolveRecipient(db, r, records);
    if (!result.ok) {
      problems.push(result.reason);
      continue;
    }
    const key = emailKey(result.recipient.email);
    if (seen.has(key)) continue;
    seen.add(key);
    recipients.push({ ...result.recipient, to: r });
  }
  return { recipients, problems };
}
