// Incoming CRM events (SPEC §4, §9), validated with zod. Webhook and `events send` share this, so a
// payload accepted by one is accepted by the other.
import { z } from 'zod';
import { parseJsonExact } from '../data/exact-json.js';
import { duplicateKeys } from '../data/json-duplicates.js';
import { jsonErrorAt, withoutBom } from '../data/json-text.js';
import { DealRecord, LeadRecord, NUL_MESSAGE } from '../plan/records.js';

const base = {
  // zod's own "Invalid input: expected string, received number" names neither the form nor the value.
  id: z.string({ error: (issue) => (issue.input === undefined ? 'an event needs an "id"' : `expected a text id, got ${JSON.stringify(issue.input)} (write it in quotes: ${JSON.stringify(JSON.stringify(issue.input))})`) })
    .trim().min(1, 'an event needs an "id"').max(200, 'at most 200 characters').refine((id) => !id.includes('\u0000'), NUL_MESSAGE),
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

/**
 * `message` is the first problem (what a webhook answers); `problems` lists them all. `absent`
 * names the entity's fields the sender left out (not sent at all, as opposed to sent empty): they
 * are null in `event`, but routing keeps what the data source holds for them (runtime/events.ts).
 */
export type EventParse =
  | { ok: true; event: CrmEvent; absent: string[] }
  | { ok: false; message: string; problems: string[] };

/**
 * Parse raw JSON text into an event, with messages that name the bad fields. `check`: checkEvent,
 * or checkSentEvent for events a sender writes now.
 */
export function parseEvent(raw: string, check: (json: unknown) => EventParse = checkEvent): EventParse {
  const text = withoutBom(raw);
  if (text.trim() === '') {
    // JSON.parse says "Unexpected end of JSON input", which reads like a cut-off body; the usual
    // cause is a sender that posted nothing (curl without --data, a template that rendered empty).
    const message = 'body is empty: expected one JSON event {"id", "type", "occurred_at", "lead" or "deal"}';
    return { ok: false, message, problems: [message] };
  }
  let json: unknown;
  try {
    json = parseJsonExact(text);
  } catch (err) {
    const { reason, where } = jsonErrorAt(text, err);
    const message = `body is not valid JSON: ${where ? `${reason} (line ${where.line}, column ${where.col})` : reason}`;
    return { ok: false, message, problems: [message] };
  }
  // JSON.parse keeps the last of a key written twice: an event with two "lead" objects (or two
  // "email"s) was taken as the second without a word, whichever the sender meant.
  const twice = duplicateKeys(text);
  if (twice.length) {
    const problems = twice.map((d) => `"${d.key}" is given twice in one object (line ${d.line}, column ${d.col}); send each field once`);
    return { ok: false, message: problems.join('; '), problems };
  }
  return check(json);
}

/** Validate one already-parsed event. */
export function checkEvent(json: unknown): EventParse {
  const result = CrmEvent.safeParse(json);
  if (result.success) return { ok: true, event: result.data, absent: absentFields(json, result.data) };
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(event)';
    if (issue.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'type') {
      // The value sent is shown: a typo ("deal.wom") is then plain to see.
      const given = (json as { type?: unknown } | null)?.type;
      const what = given === undefined ? 'is required' : `unknown event type ${JSON.stringify(given)}`;
      return `type: ${what}; expected one of ${CrmEvent.options.map((o) => o.shape.type.value).join(', ')}`;
    }
    if (issue.code === 'invalid_type' && issue.path.length === 0) {
      return `(event): expected an event object {"id", "type", "occurred_at", "lead" or "deal"}, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`;
    }
    // zod says "Invalid input: expected object, received undefined" for a field that is not there.
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `${where}: is required`;
    return `${where}: ${issue.message}`;
  });
  return { ok: false, message: problems[0], problems };
}

/**
 * For events a sender writes (POST /events, `events send`): a deal.won whose deal says "open" would
 * start the won sequences while the deal is stored open (no revenue, no commission). SPEC §9 is
 * silent; the sender meant one of the two, so neither is taken. Not part of the schema: events
 * already in the log are replayed by backtests as they were recorded, and webhooks derive the type
 * from the stage.
 */
function stageContradiction(event: CrmEvent): string | null {
  if ((event.type === 'deal.won' || event.type === 'deal.lost') && event.deal.stage !== event.type.slice(5)) {
    return `deal.stage: a ${event.type} event carries the deal with stage "${event.type.slice(5)}", got "${event.deal.stage}"`;
  }
  return null;
}

/** checkEvent for events a sender writes now (POST /events, `events send`): a stage contradiction is refused too. */
export function checkSentEvent(json: unknown): EventParse {
  const parsed = checkEvent(json);
  if (!parsed.ok) return parsed;
  const contradiction = stageContradiction(parsed.event);
  return contradiction ? { ok: false, message: contradiction, problems: [contradiction] } : parsed;
}

/** The fields of the event's lead or deal that the raw JSON does not have as keys. */
function absentFields(json: unknown, event: CrmEvent): string[] {
  const [key, entity] = 'lead' in event ? ['lead', event.lead] : ['deal', event.deal];
  const raw = (json as Record<string, Record<string, unknown>>)[key];
  return Object.keys(entity).filter((field) => !Object.hasOwn(raw, field));
}
