// Dev only: GET /outbox and /outbox/:id over the outbox table, where the dev mail catcher's emails
// are recorded by the send activity; the list also shows what running sequences are holding back.
import { Hono } from 'hono';
import { listOutbox, type OutboxRow } from '../data/outbox.js';
import type { ServerContext } from './context.js';
import { listHeldSends } from './held-sends.js';
import { html } from './pages/html.js';
import { notice, page } from './pages/layout.js';
import { outboxListPage, outboxMessagePage } from './pages/outbox.js';

/** The email's own markup needs inline styles and remote images; still no scripts, no forms. */
const MESSAGE_CSP =
  "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src * data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";

export function outboxRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/outbox', async (c) => {
    const to = c.req.query('to') || undefined;
    const workflowId = c.req.query('workflow') || undefined;
    const held = await listHeldSends(ctx.temporalClient);
    const shown = held && {
      ...held,
      held: held.held.filter((h) => (!to || h.to.includes(to)) && (!workflowId || h.workflowId === workflowId)),
    };
    return c.html(outboxListPage(listOutbox(ctx.db, { to, workflowId, limit: 200 }), { to, workflowId }, shown).toString());
  });
  app.get('/outbox/:id{[0-9]+}', (c) => {
    const row = ctx.db.prepare('SELECT * FROM outbox WHERE id = ?').get(Number(c.req.param('id'))) as
      | (Omit<OutboxRow, 'headers'> & { headers: string })
      | undefined;
    if (!row) {
      return c.html(page({ title: 'No such email' }, notice('error', 'No such email', html`<p><a href="/outbox">Back to the outbox</a></p>`)).toString(), 404);
    }
    const message: OutboxRow = { ...row, headers: JSON.parse(row.headers) as Record<string, string> };
    return c.html(outboxMessagePage(message).toString(), 200, { 'Content-Security-Policy': MESSAGE_CSP });
  });
  return app;
}
