// Dev only: GET /outbox and /outbox/:id over the outbox table, where the dev mail catcher's emails
// are recorded by the send activity; the list also shows what running sequences are holding back.
import { Hono } from 'hono';
import { emailKey } from '../data/email-key.js';
import { getOutboxById, listOutbox } from '../data/outbox.js';
import type { ServerContext } from './context.js';
import { listHeldSends } from './held-sends.js';
import { html } from './pages/html.js';
import { notice, page } from './pages/layout.js';
import { outboxListPage, outboxMessagePage } from './pages/outbox.js';

/** The email's own markup needs inline styles and remote images; still no scripts, no forms. */
const MESSAGE_CSP =
  "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src * data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";

/** Emails listed on one page, newest first. */
export const OUTBOX_LISTED = 200;

export function outboxRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/outbox', async (c) => {
    const to = c.req.query('to') || undefined;
    const workflowId = c.req.query('workflow') || undefined;
    // PostgreSQL cannot take a NUL in a text parameter (the query failed: a 500 "something went
    // wrong"); no address or workflow id holds one, so the filter is refused and says why.
    const nul = [['to', to], ['workflow', workflowId]].find(([, v]) => v?.includes('\u0000'));
    if (nul) {
      const body = page({ title: 'Filter not valid' }, notice('error', 'Filter not valid', html`<p>?${nul[0]}= contains a NUL character (U+0000), which no address or workflow id has. <a href="/outbox">Show all emails</a></p>`));
      return c.html(body.toString(), 400);
    }
    const held = await listHeldSends(ctx.temporalClient, ctx.db);
    // Addresses compared without regard to case, as the sent list compares them, so ?to= finds both alike.
    const wanted = to === undefined ? null : emailKey(to);
    const shown = held && {
      ...held,
      held: held.held.filter((h) =>
        (wanted === null || h.to.some((r) => r.address !== null && emailKey(r.address) === wanted)) && (!workflowId || h.workflowId === workflowId)),
    };
    // One more than shown, to tell the page there are older emails than it lists.
    const rows = await listOutbox(ctx.db, { to, workflowId, limit: OUTBOX_LISTED + 1 });
    return c.html(outboxListPage(rows.slice(0, OUTBOX_LISTED), { to, workflowId, more: rows.length > OUTBOX_LISTED }, shown).toString());
  });
  app.get('/outbox/:id{[0-9]+}', async (c) => {
    const id = Number(c.req.param('id'));
    const message = Number.isSafeInteger(id) ? await getOutboxById(ctx.db, id) : null;
    if (!message) {
      return c.html(page({ title: 'No such email' }, notice('error', 'No such email', html`<p><a href="/outbox">Back to the outbox</a></p>`)).toString(), 404);
    }
    return c.html(outboxMessagePage(message).toString(), 200, { 'Content-Security-Policy': MESSAGE_CSP });
  });
  return app;
}
