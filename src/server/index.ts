// The HTTP surface (SPEC §9): events webhook, approval pages, unsubscribe, and in dev the outbox
// and overview pages. `createApp` builds the routes; `startServer` listens on a port.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { soapFault } from '../connectors/salesforce.js';
import type { Plan } from '../plan/schema.js';
import { routeEvent as runtimeRouteEvent } from '../runtime/events.js';
import { approvalRoutes } from './approvals.js';
import { answerClientErrors } from './client-error.js';
import type { RouteEvent, ServerContext, ServerDeps } from './context.js';
import { homeRoutes } from './home.js';
import { outboxRoutes } from './outbox.js';
import { eventRoutes } from './events.js';
import { html } from './pages/html.js';
import { notice, page } from './pages/layout.js';
import { type ReadinessProbe, readinessProbe } from './readiness.js';
import { securityHeaders } from './security.js';
import { unsubscribeRoutes } from './unsubscribe.js';
import { webhookRoutes } from './webhooks.js';

export type { DevOptions, RouteEvent, ServerDeps } from './context.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const emptyPlan: Plan = { formatVersion: 1, hash: 'empty', metrics: [], rules: [] };

/** `readiness`: the probe behind GET /readyz (startServer passes its own, to wait for it on close). */
export function createApp(deps: ServerDeps, readiness: ReadinessProbe = readinessProbe(deps)): Hono {
  if (!deps.config.secret) {
    throw new Error('SALESFLOW_SECRET is not set: the server cannot check webhook signatures or link tokens without it');
  }
  const planNow = deps.currentPlan ?? (async () => deps.plan ?? emptyPlan);
  const ctx: ServerContext = { ...deps, secret: deps.config.secret, planNow };
  const route: RouteEvent =
    deps.routeEvent ??
    (async (event, absent, options) => runtimeRouteEvent({ client: deps.temporalClient, db: deps.db, plan: await planNow(), config: deps.config }, event, absent, options));

  // Not strict: an address pasted with a trailing slash (a CRM's webhook URL, `/outbox/`) is the
  // address without it; HubSpot signs the URL as called, which its check uses as received.
  const app = new Hono({ strict: false });
  app.use('*', securityHeaders({ https: deps.config.publicUrl.startsWith('https://') }));
  if (deps.otherTemporal) app.use('*', refuseInOtherTemporal(deps.otherTemporal));
  app.route('/', eventRoutes(ctx, route));
  app.route('/', webhookRoutes(ctx, route));
  app.route('/', approvalRoutes(ctx));
  app.route('/', unsubscribeRoutes(ctx, route));
  if (deps.dev?.outbox) {
    app.route('/', outboxRoutes(ctx));
    app.route('/', homeRoutes(ctx));
  }
  // Liveness: the process answers. Readiness: it can also reach the data source and Temporal.
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const { ready, checks, reasons } = await readiness.check();
    const body = ready ? { status: 'ready', checks } : { status: 'not_ready', checks, reasons };
    return c.json(body, ready ? 200 : 503, { 'Cache-Control': 'no-store' });
  });

  app.notFound((c) => {
    const path = routedPath(c.req.path);
    // An address that exists, asked with another method (PUT, DELETE, a GET of a webhook URL), is
    // 405 with the methods it takes (RFC 9110 requires Allow), not "nothing at this address".
    if (path === '/events') return c.json({ error: 'method_not_allowed', message: 'POST a signed JSON event to /events' }, 405, { Allow: 'POST' });
    if (path === '/healthz') return c.json({ error: 'method_not_allowed', message: 'GET /healthz' }, 405, { Allow: 'GET, HEAD' });
    if (path === '/readyz') return c.json({ error: 'method_not_allowed', message: 'GET /readyz' }, 405, { Allow: 'GET, HEAD' });
    if (/^\/webhooks\/(hubspot|salesforce|zoho|generic\/[^/]+)$/.test(path)) {
      return c.json({ error: 'method_not_allowed', message: `${path} takes the CRM's POST requests only (docs/crm.md)` }, 405, { Allow: 'POST' });
    }
    // A CRM reads JSON, not a page: a webhook URL with a typo is told the addresses there are.
    if (path === '/webhooks' || path.startsWith('/webhooks/')) {
      return c.json({ error: 'not_found', message: `no webhook at ${path}: the addresses are /webhooks/hubspot, /webhooks/salesforce, /webhooks/zoho and /webhooks/generic/NAME (docs/crm.md)` }, 404);
    }
    // The dev pages only show: a PUT or OPTIONS of /outbox is told so, not "nothing at this address".
    if (deps.dev?.outbox && (path === '/' || /^\/outbox(\/[0-9]+)?$/.test(path))) {
      const body = page({ title: 'Not allowed' }, notice('error', 'This page only shows', html`<p>Open it in a browser (GET). Nothing was changed.</p>`));
      return c.html(body.toString(), 405, { Allow: 'GET, HEAD' });
    }
    if (/^\/(approvals|unsubscribe)\/[^/]+$/.test(path)) {
      const body = page({ title: 'Not allowed' }, notice('error', 'This link only opens in a browser', html`<p>Open the link to see the page, then use its button. Nothing was changed.</p>`));
      return c.html(body.toString(), 405, { Allow: 'GET, HEAD, POST' });
    }
    return c.html(page({ title: 'Not found' }, notice('error', 'Page not found', html`<p>There is nothing at this address.</p>`)).toString(), 404);
  });
  app.onError((err, c) => {
    // A bug or an outage, never a user error: log it, and show no internals.
    console.error(`salesflow: ${c.req.method} ${c.req.path.replace(/\/(approvals|unsubscribe)\/[^/]+/, '/$1/…')} failed:`, err);
    // Salesforce shows only a SOAP fault's faultstring in its delivery queue; JSON would read there as
    // an unparsable answer. A Server fault: the message is fine, Salesforce should retry it.
    const path = routedPath(c.req.path);
    if (path === '/webhooks/salesforce') return c.body(soapFault('internal error; nothing was stored', false), 500, { 'Content-Type': 'text/xml; charset=utf-8' });
    if (path === '/events' || path.startsWith('/webhooks/')) return c.json({ error: 'internal', message: 'internal error' }, 500);
    return c.html(page({ title: 'Something went wrong' }, notice('error', 'Something went wrong', html`<p>Nothing was changed. Try again in a minute.</p>`)).toString(), 500);
  });
  return app;
}

/**
 * Events (POST /events, the CRM webhooks) are answered 503 with the reason while this server's
 * Temporal is not the one the plan was applied to: routed there, they would start runs no worker
 * polls and be recorded as seen. The sender retries; nothing is stored. A data source that does
 * not answer the check is left to the route, which says so its own way.
 */
function refuseInOtherTemporal(otherTemporal: () => Promise<string | null>): MiddlewareHandler {
  return async (c, next) => {
    const path = routedPath(c.req.path);
    if (c.req.method !== 'POST' || !(path === '/events' || path.startsWith('/webhooks/'))) return next();
    const reason = await otherTemporal().catch(() => null);
    if (!reason) return next();
    const message = `nothing taken: ${reason}`;
    if (path === '/webhooks/salesforce') return c.body(soapFault(message, false), 503, { 'Content-Type': 'text/xml; charset=utf-8', 'Retry-After': '60' });
    return c.json({ error: 'other_temporal', message }, 503, { 'Retry-After': '60' });
  };
}

/** The path as routed: one trailing slash does not count (`strict: false`). */
function routedPath(path: string): string {
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

/** Listen on `deps.config.port` (0: any free port); `url` is where it answers. */
export function startServer(deps: ServerDeps & { hostname?: string }): Promise<RunningServer> {
  const readiness = readinessProbe(deps);
  const app = createApp(deps, readiness);
  const hostname = deps.hostname ?? '0.0.0.0';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: deps.config.port, hostname }, (info: AddressInfo) => {
      const host = hostname === '0.0.0.0' || hostname === '::' ? 'localhost' : hostname;
      resolve({
        url: `http://${host}:${info.port}`,
        close: async () => {
          await new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Keep-alive connections would hold close() open until they time out.
            if ('closeAllConnections' in server) (server as import('node:http').Server).closeAllConnections();
          });
          // The caller closes the Temporal connection next: no readiness check may still be retrying on it.
          await readiness.settled();
        },
      });
    });
    answerClientErrors(server as import('node:http').Server);
    server.once('error', reject);
  });
}
