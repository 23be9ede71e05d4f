// Incoming CRM events (SPEC §4, §9), validated with zod. Webhook and `events send` share this, so a
// payload accepted by one is accepted by the other.
import { z } from 'zod';
import { DealRecord, LeadRecord } from '../plan/records.js';

const base = {
  id: z.string().trim().min(1, 'an event needs an "id"').max(200),
  occurred_at: z.string().datetime({ offset: true, message: 'expected an ISO-8601 timestamp like 2026-03-01T10:00:00Z' }),
};

export const CrmEvent = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('lead.created'), lead: LeadRecord }),
  z.object({ ...base, type: z.literal('lead.updated'), lead: LeadRecord }),
  z.object({ ...base, type: z.literal('lead.replied'), lead: LeadRecord }),
  z.object({ ...base, type: z.literal('lead.unsubscribed'), lead: LeadRecord }),
  z.object({ ...base, type: z.literal('meeting.booked'), lead: LeadRecord }),
  z.object({ ...base, type: z.literal('deal.created'), deal: DealRecord }),
  z.object({ ...base, type: z.literal('deal.updated'), deal: DealRecord }),
  z.object({ ...base, type: z.literal('deal.won'), deal: DealRecord }),
  z.object({ ...base, type: z.literal('deal.lost'), deal: DealRecord }),
]);
export type CrmEvent = z.infer<typeof CrmEvent>;

export type EventParse = { ok: true; event: CrmEvent } | { ok: false; message: string };

/** Parse raw JSON text into an event, with a message that names the bad field. */
export function parseEvent(text: string): EventParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `body is not valid JSON: ${(err as Error).message}` };
  }
  const result = CrmEvent.safeParse(json);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  const where = issue.path.length ? issue.path.join('.') : '(event)';
  if (issue.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'type') {
    return { ok: false, message: `type: unknown event type; expected one of ${CrmEvent.options.map((o) => o.shape.type.value).join(', ')}` };
  }
  return { ok: false, message: `${where}: ${issue.message}` };
}
