// GET|POST /unsubscribe/:token (SPEC §6, §9; RFC 8058 one-click). GET shows a confirmation button;
// POST (from that button, or straight from a mail client with `List-Unsubscribe=One-Click`)
// suppresses the address for every sequence and stops the sequences running for it.
//
// Stopping goes through the same event router as the CRM's own `lead.unsubscribed`: one synthetic
// event per lead with that address (one person is often several leads: two webinars, two imports),
// each id derived from the lead and the link, so a second click on the same link is a duplicate for
// every lead while a link from a later email (a later sequence) routes again. The router also stops
// the deal sequences whose contact is that lead's address.
// The suppression itself is written first and directly: even with Temporal unreachable, or for an
// address no lead has (a deal contact, a quoted recipient, a rep), the send activities see it and
// nothing more is mailed.
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getLeadsByEmail, leadColumns } from '../data/leads.js';
import { isSuppressed, suppress } from '../data/suppressions.js';
import type { CrmEvent } from '../events/schema.js';
import { type UnsubscribeClaims, verifyToken } from '../tokens/index.js';
import type { RouteEvent, ServerContext } from './context.js';
import { readForm } from './form.js';
import { confirmUnsubscribePage, type SequenceStops, unsubscribedPage, unsubscribeProblemPage } from './pages/unsubscribe.js';

/** The lead fields an unsubscribe event leaves out (it sends only the lead's id and address). */
const UNSUBSCRIBE_KEEPS: readonly string[] = leadColumns.filter((c) => c !== 'id' && c !== 'email');

export function unsubscribeRoutes(ctx: ServerContext, route: RouteEvent): Hono {
  const app = new Hono();

  function claimsOf(c: Context): { ok: true; claims: UnsubscribeClaims } | { ok: false; response: Response } {
    const check = verifyToken(c.req.param('token') ?? '', ctx.secret, 'unsubscribe');
    if (check.ok) return { ok: true, claims: check.claims as UnsubscribeClaims };
    const kind = check.reason === 'expired' ? 'expired' : 'forged';
    return { ok: false, response: c.html(unsubscribeProblemPage(kind).toString(), kind === 'expired' ? 410 : 403) };
  }

  app.get('/unsubscribe/:token', async (c) => {
    const verified = claimsOf(c);
    if (!verified.ok) return verified.response;
    const { email } = verified.claims;
    return c.html(confirmUnsubscribePage(email, await isSuppressed(ctx.db, email)).toString(), 200);
  });

  app.post('/unsubscribe/:token', async (c) => {
    const verified = claimsOf(c);
    if (!verified.ok) return verified.response;
    // The body is read (and bounded) but not required: the signed token is the whole request.
    await readForm(c.req.raw);
    const { email, ruleId } = verified.claims;
    const isNew = await suppress(ctx.db, email, `unsubscribe link${ruleId ? ` (sequence ${ruleId})` : ''}`);
    const stops = await stopSequences(ctx, route, email, c.req.param('token'));
    return c.html(unsubscribedPage(email, !isNew, stops).toString(), 200);
  });
  return app;
}

/**
 * A person clicking (or a mail provider posting) waits for the answer; with Temporal unreachable a
 * signal can hang for tens of seconds. Past this the page answers without claiming the stop.
 */
const STOP_WAIT_MS = 8000;

/**
 * Routes a `lead.unsubscribed` for every lead with the address, side by side: one lead failing does
 * not spare the others. Routing that outlives the wait still finishes (or fails, logged) behind the page.
 */
async function stopSequences(ctx: ServerContext, route: RouteEvent, email: string, token: string): Promise<SequenceStops> {
  const leads = await getLeadsByEmail(ctx.db, email);
  if (leads.length === 0) return 'no-lead';
  const link = createHash('sha256').update(token).digest('hex').slice(0, 16);
  const occurredAt = new Date().toISOString();
  const routed = Promise.all(leads.map(async (lead) => {
    const event: CrmEvent = { id: unsubscribeEventId(lead.id, link), type: 'lead.unsubscribed', occurred_at: occurredAt, lead };
    try {
      // The click is about the address: the lead's other fields are as this page read them, so they
      // go as left out, and a change another process makes meanwhile is kept, not written back.
      await route(event, UNSUBSCRIBE_KEEPS);
      return true;
    } catch (err) {
      // The suppression is recorded; sends check it. Only the early stop of waiting runs is missed,
      // and nothing was recorded for the event, so a later click routes it again.
      console.error(`salesflow: stopping sequences of lead ${lead.id} for an unsubscribed address failed: ${(err as Error).message}`);
      return false;
    }
  }));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), STOP_WAIT_MS); });
  try {
    const outcome = await Promise.race([routed, late]);
    return outcome !== 'late' && outcome.every(Boolean) ? 'stopped' : 'not-confirmed';
  } finally {
    clearTimeout(timer);
  }
}

/** Stable per (lead, link): a double click or a retried POST is a duplicate event, recorded once. */
function unsubscribeEventId(leadId: string, linkHash: string): string {
  return `unsubscribe-link:${leadId}:${linkHash}`;
}
