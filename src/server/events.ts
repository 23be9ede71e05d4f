// POST /events (SPEC §9): the CRM webhook. Order of checks: size (before buffering), compression, signature
// (over the raw bytes), schema, then routing — which records the event once by id, so a repeated
// delivery is acknowledged and changes nothing.
import { Hono } from 'hono';
import { utf8Text } from '../connectors/body-text.js';
import { checkSentEvent, parseEvent } from '../events/schema.js';
import type { RouteEvent, ServerContext } from './context.js';
import { encodedMessage, readRawBody } from './raw-body.js';
import { checkSignature, SIGNATURE_HEADER } from './signature.js';

/**
 * CRM webhook senders give up after 5 to 30 seconds: when Temporal is slow or unreachable the sender
 * gets a 503 within 8 s instead of a hung request. Routing may still finish in the background; it
 * records the event last, so the sender's retry then finds a duplicate, which is right: the work was done.
 */
export const ROUTE_TIMEOUT_MS = 8000;

export class RouteTimeout extends Error {}

export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RouteTimeout(`routing took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the runtime's router reports; the server only needs to know about duplicates. */
interface RoutedEvent {
  duplicate?: boolean;
}

export function eventRoutes(ctx: ServerContext, route: RouteEvent): Hono {
  const app = new Hono();
  app.post('/events', async (c) => {
    const tooLarge = () =>
      c.json({ error: 'payload_too_large', message: `event body is larger than the limit of ${ctx.config.eventBodyLimit} bytes (EVENT_BODY_LIMIT)` }, 413, {
        // The rest of the body is discarded, never buffered; the connection is not reused.
        Connection: 'close',
      });
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > ctx.config.eventBodyLimit) return tooLarge();

    // The Content-Type is not checked (SPEC §9 names none): the body is parsed as JSON whatever it
    // says, because the signature proves the sender and many senders label JSON wrongly (curl
    // --data sends application/x-www-form-urlencoded; some CRMs send text/plain).
    const encoding = c.req.header('content-encoding')?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      return c.json({ error: 'unsupported_encoding', message: encodedMessage(encoding) }, 415, { 'Accept-Encoding': 'identity' });
    }
    const signature = c.req.header(SIGNATURE_HEADER) ?? null;
    if (!signature) {
      return c.json({ error: 'unauthorized', message: `missing ${SIGNATURE_HEADER} header (expected sha256=<hex HMAC-SHA256 of the body>)` }, 401);
    }
    const body = await readRawBody(c.req.raw, ctx.config.eventBodyLimit);
    if (!body.ok) return body.reason === 'too-large' ? tooLarge() : c.json({ error: 'unsupported_encoding', message: encodedMessage(body.encoding) }, 415, { 'Accept-Encoding': 'identity' });
    const check = checkSignature(signature, body.bytes, ctx.secret);
    if (!check.ok) return c.json({ error: 'unauthorized', message: check.message }, 401);

    // JSON is UTF-8 (RFC 8259). Bytes that are not would be stored as U+FFFD in names and companies,
    // silently changed; the sender is told instead (a Latin-1 export, usually).
    const text = utf8Text(body.bytes);
    if (text === null) return c.json({ error: 'bad_event', message: 'body is not valid UTF-8: send the JSON encoded as UTF-8' }, 400);
    const parsed = parseEvent(text, checkSentEvent);
    if (!parsed.ok) return c.json({ error: 'bad_event', message: parsed.message }, 400);

    let outcome: unknown;
    let gaveUp = false;
    const routing = route(parsed.event, parsed.absent, { ordered: true });
    routing.catch((err: Error) => {
      if (gaveUp) console.error(`salesflow: routing event ${parsed.event.id} failed after the webhook was answered: ${err.message}`);
    });
    try {
      outcome = await withTimeout(routing, ROUTE_TIMEOUT_MS);
    } catch (err) {
      gaveUp = err instanceof RouteTimeout;
      // Nothing was recorded (the router records last), so the CRM's retry will be routed again.
      console.error(`salesflow: routing event ${parsed.event.id} failed: ${(err as Error).message}`);
      return c.json({ error: 'unavailable', message: 'the event could not be routed right now; retry later' }, 503, { 'Retry-After': '30' });
    }
    if ((outcome as RoutedEvent | null)?.duplicate) {
      return c.json({ status: 'duplicate', id: parsed.event.id, message: 'event id seen before; nothing changed' }, 200);
    }
    return c.json({ status: 'accepted', id: parsed.event.id, type: parsed.event.type, routed: outcome }, 202);
  });
  return app;
}
