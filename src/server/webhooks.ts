// CRM webhooks (docs/crm.md): POST /webhooks/hubspot, /webhooks/salesforce, /webhooks/zoho and
// /webhooks/generic/NAME (and Zoho's Notification API, for deletions, on /webhooks/zoho). Each is verified the way its vendor documents, translated through its
// mapping (src/connectors) as the plan in force carries it (serve: the applied plan, so a mapping
// applied later is used without a restart), and routed exactly like POST /events: same router, same workflows,
// same idempotency (the event id is the CRM's own, prefixed with the source). Order of checks:
// configured, size, signature/org, shape (a request bad as a whole is a 4xx and stores nothing),
// then the translation of every change. A change that cannot be translated is rejected alone: it is
// recorded in the data source (crm_rejections, `salesflow crm rejected`) and the request's other
// changes are routed; the CRM is then answered with success, since none of them retries a 4xx
// usefully (HubSpot never, Salesforce the whole message for a day, blocking its queue).
import type { Context } from 'hono';
import { Hono } from 'hono';
import { genericSecretVariable } from '../config.js';
import { NOT_UTF8, utf8Text } from '../connectors/body-text.js';
import { type Delivery, describeProblems, prepareDeliveries, type SkippedChange } from '../connectors/deliveries.js';
import { HubSpotApi, HubSpotUnavailable, hubSpotDeliveries, hubSpotOwners, parseHubSpotBatch, verifyHubSpot } from '../connectors/hubspot.js';
import { jsonDeliveries, parseJsonOrForm, sameSecret, verifyHmac } from '../connectors/json-records.js';
import { findMapping } from '../connectors/mapping/load.js';
import { isZohoNotification, parseZohoNotification, zohoNotificationDeliveries } from '../connectors/zoho-notifications.js';
import type { CrmMapping } from '../connectors/mapping/types.js';
import { parseOutboundMessage, salesforceDeliveries, sameOrg, soapAck, soapFault } from '../connectors/salesforce.js';
import { dataCrmStore } from '../connectors/store.js';
import { type DeliveryResult, skippedResults, takePrepared } from '../connectors/take.js';
import type { OwnerLookup } from '../connectors/translate.js';
import { CrmLockTimeout, withCrmLock } from '../data/crm-lock.js';
import { clearCrmRejections, recordCrmRejections } from '../data/crm-rejections.js';
import type { RouteEvent, ServerContext } from './context.js';
import { ROUTE_TIMEOUT_MS, RouteTimeout, withTimeout } from './events.js';
import { encodedMessage, readRawBody } from './raw-body.js';

type Status = 400 | 401 | 403 | 404 | 413 | 415 | 503;

/** How one endpoint answers: JSON for most CRMs, SOAP for Salesforce. */
interface Answer {
  ok(c: Context, results: DeliveryResult[]): Response;
  fail(c: Context, status: Status, error: string, message: string): Response;
}

const json: Answer = {
  ok: (c, results) => {
    const rejected = results.filter((r) => r.status === 'rejected').length;
    return c.json(rejected ? { status: 'partly_rejected', rejected, results } : { status: 'accepted', results }, 200);
  },
  fail: (c, status, error, message) => c.json({ error, message }, status, status === 413 ? { Connection: 'close' } : status === 415 ? { 'Accept-Encoding': 'identity' } : {}),
};

const soap: Answer = {
  ok: (c) => c.body(soapAck, 200, { 'Content-Type': 'text/xml; charset=utf-8' }),
  fail: (c, status, _error, message) => c.body(soapFault(message, status < 500), status, { 'Content-Type': 'text/xml; charset=utf-8' }),
};

class Unavailable extends Error {}

/** How long a request waits for the deliveries before it to be taken (here and in other processes). */
const LOCK_WAIT_MS = ROUTE_TIMEOUT_MS;
/** SQLite lease of a CRM's deliveries: renewed while held, so this only bounds a crashed holder. */
const LEASE_MS = 3 * ROUTE_TIMEOUT_MS;

export function webhookRoutes(ctx: ServerContext, route: RouteEvent): Hono {
  const app = new Hono();
  const crm = ctx.config.crm;
  const limit = crm?.bodyLimit ?? 1024 * 1024;
  const now = ctx.clock ?? Date.now;
  const store = dataCrmStore(ctx.db);
  /** The mappings of the plan in force now; a CRM without one is served by its built-in preset. */
  const mappings = async (): Promise<CrmMapping[]> => (await ctx.planNow()).crm ?? [];

  async function body(c: Context, answer: Answer): Promise<Buffer | Response> {
    const read = await readRawBody(c.req.raw, limit);
    if (!read.ok && read.reason === 'encoded') return answer.fail(c, 415, 'unsupported_encoding', encodedMessage(read.encoding));
    if (!read.ok) return answer.fail(c, 413, 'payload_too_large', `webhook body is larger than the limit of ${limit} bytes (WEBHOOK_BODY_LIMIT)`);
    return read.bytes;
  }

  /**
   * Requests of one source are taken one after another: each merges a partial record over what
   * salesflow holds, so two concurrent requests about one deal (HubSpot sends batches in parallel)
   * would otherwise both read the old row and one change would be lost. Across processes on the
   * data source the CRM lock (src/data/crm-lock.ts) does it; this in-process queue comes first so
   * that one process's waiting requests wait here, not each on a pool connection of its own in
   * pg_advisory_lock (enough of those would leave the holder no connection to finish with) nor by
   * polling the SQLite lease against each other.
   */
  const queues = new Map<string, Promise<unknown>>();
  function inTurn<T>(source: string, work: () => Promise<T>): Promise<T> {
    const previous = queues.get(source) ?? Promise.resolve();
    const next = previous.then(work, work);
    queues.set(source, next.catch(() => undefined));
    return next;
  }

  /**
   * Translate everything, then (only then) claim versions and route, one delivery at a time. The
   * wait for our turn, in this process and then across processes, is bounded by LOCK_WAIT_MS from
   * the request's arrival; past it the CRM gets a 503 and retries.
   */
  function deliver(c: Context, answer: Answer, mapping: CrmMapping, deliveries: Delivery[], skipped: SkippedChange[], owners?: OwnerLookup, afterPrepare?: () => Promise<void>) {
    const giveUpAt = performance.now() + LOCK_WAIT_MS;
    return inTurn(mapping.name, async () => {
      try {
        const lock = { waitMs: giveUpAt - performance.now(), leaseMs: LEASE_MS, now };
        return await withCrmLock(ctx.db, mapping.name, lock, () => deliverNow(c, answer, mapping, deliveries, skipped, owners, afterPrepare));
      } catch (err) {
        if (!(err instanceof CrmLockTimeout)) throw err;
        console.error(`salesflow: ${mapping.name} webhook not taken: ${err.message}`);
        return answer.fail(c, 503, 'unavailable', 'another request for this CRM is being taken; retry later');
      }
    });
  }

  async function deliverNow(c: Context, answer: Answer, mapping: CrmMapping, deliveries: Delivery[], skipped: SkippedChange[], owners?: OwnerLookup, afterPrepare?: () => Promise<void>) {
    const prepared = await prepareDeliveries(mapping, store, deliveries, owners).catch((err: unknown) => {
      if (err instanceof HubSpotUnavailable) return { ok: false as const, unavailable: err.message };
      throw err;
    });
    if (!prepared.ok) {
      console.error(`salesflow: ${mapping.name} webhook not taken (503): ${prepared.unavailable}`);
      return answer.fail(c, 503, 'unavailable', `nothing stored: ${prepared.unavailable}; retry later`);
    }
    // Recorded before anything is routed: should routing fail (503, the CRM sends the request
    // again), the rejections are already kept, and the retry records them no second time.
    const rejectedAt = new Date(now()).toISOString();
    const rejections = prepared.prepared.filter((p) => p.rejected).map(({ delivery, rejected }) => ({
      source: mapping.name, vendorEventId: delivery.vendorEventId, entity: delivery.entity, recordId: delivery.recordId,
      message: describeProblems(rejected!), raw: delivery.raw, rejectedAt: delivery.receivedAt ?? rejectedAt,
    }));
    await recordCrmRejections(ctx.db, rejections);
    for (const r of rejections) {
      console.error(`salesflow: ${mapping.name} webhook: change ${r.vendorEventId} (${r.entity} ${r.recordId}) rejected and recorded (salesflow crm rejected): ${r.message}`);
    }
    await afterPrepare?.();
    const results: DeliveryResult[] = skippedResults(mapping.name, skipped);
    let taken: string[];
    try {
      const outcome = await takePrepared(mapping, store, prepared.prepared, (event) => routeInTime(route, event));
      results.push(...outcome.results);
      taken = outcome.taken;
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      return answer.fail(c, 503, 'unavailable', 'the events could not be routed right now; retry later');
    }
    // A change rejected before and taken now (the mapping was fixed, the CRM sent it again) is no
    // longer missing.
    await clearCrmRejections(ctx.db, mapping.name, taken);
    return answer.ok(c, results);
  }

  app.post('/webhooks/hubspot', async (c) => {
    const secret = crm?.hubspot.appSecret;
    if (!secret) return json.fail(c, 404, 'not_configured', 'the HubSpot webhook is not configured: set HUBSPOT_APP_SECRET to the app\'s client secret');
    const bytes = await body(c, json);
    if (!Buffer.isBuffer(bytes)) return bytes;
    const url = new URL(c.req.url);
    const verdict = verifyHubSpot({ method: 'POST', uri: `${ctx.config.publicUrl}${url.pathname}${url.search}`, body: bytes, header: (n) => c.req.header(n) }, secret, now());
    if (!verdict.ok) return json.fail(c, 401, 'unauthorized', verdict.message);
    const text = utf8Text(bytes);
    if (text === null) return json.fail(c, 400, 'bad_request', NOT_UTF8);
    const batch = parseHubSpotBatch(text);
    if (!batch.ok) return json.fail(c, 400, 'bad_request', batch.message);
    const mapping = findMapping(await mappings(), 'hubspot')!;
    const api = crm?.hubspot.apiToken ? new HubSpotApi(crm.hubspot.apiUrl, crm.hubspot.apiToken) : null;
    const { deliveries, skipped } = hubSpotDeliveries(mapping, batch.events, api);
    const { owners, storeLinks } = hubSpotOwners(store, api, mapping.name);
    return deliver(c, json, mapping, deliveries, skipped, owners, storeLinks);
  });

  app.post('/webhooks/salesforce', async (c) => {
    const orgId = crm?.salesforce.orgId;
    if (!orgId) return soap.fail(c, 404, 'not_configured', 'the Salesforce webhook is not configured: set SALESFORCE_ORG_ID to your org id');
    const bytes = await body(c, soap);
    if (!Buffer.isBuffer(bytes)) return bytes;
    const text = utf8Text(bytes);
    if (text === null) return soap.fail(c, 400, 'bad_request', NOT_UTF8);
    const parsed = parseOutboundMessage(text);
    if (!parsed.ok) return soap.fail(c, 400, 'bad_request', parsed.message);
    if (!sameOrg(parsed.message.organizationId, orgId)) {
      return soap.fail(c, 403, 'wrong_org', `OrganizationId ${parsed.message.organizationId} is not the configured org (SALESFORCE_ORG_ID)`);
    }
    const mapping = findMapping(await mappings(), 'salesforce')!;
    const found = salesforceDeliveries(mapping, parsed.message, new Date(now()).toISOString());
    if (!found.ok) return soap.fail(c, 400, 'bad_request', found.message);
    return deliver(c, soap, mapping, found.deliveries, found.skipped);
  });

  app.post('/webhooks/zoho', async (c) => {
    const secret = crm?.zoho.secret;
    if (!secret) return json.fail(c, 404, 'not_configured', 'the Zoho CRM webhook is not configured: set ZOHO_WEBHOOK_SECRET');
    const mapping = findMapping(await mappings(), 'zoho')!;
    const header = mapping.webhook.secretHeader ?? 'X-Salesflow-Token';
    const bytes = await body(c, json);
    if (!Buffer.isBuffer(bytes)) return bytes;
    const given = c.req.header(header);
    // A Notification API channel (deletions) cannot send headers: its token is in the body.
    if (!given && c.req.header('content-type')?.toLowerCase().startsWith('application/json')) {
      const payload = await parseJsonOrForm(bytes, c.req.header('content-type'));
      if (payload.ok && isZohoNotification(payload.value)) return zohoNotification(c, mapping, secret, payload.value);
    }
    if (!given) return json.fail(c, 401, 'unauthorized', `missing ${header} header (add it to the Zoho webhook with the value of ZOHO_WEBHOOK_SECRET)`);
    if (!sameSecret(given, secret)) return json.fail(c, 401, 'unauthorized', `${header} does not match ZOHO_WEBHOOK_SECRET`);
    return jsonRecords(c, mapping, bytes);
  });

  app.post('/webhooks/generic/:name', async (c) => {
    const name = c.req.param('name');
    const all = await mappings();
    const mapping = all.find((m) => m.name === name && m.preset === null);
    if (!mapping) {
      // Source names are lower-case (SF1211): "add rules/crm/ACME.yaml" would send the sender to a
      // file name check refuses, when the URL only has the case wrong.
      const meant = all.find((m) => m.preset === null && m.name === name.toLowerCase());
      if (meant) {
        return json.fail(c, 404, 'not_configured', `no mapping for "${name}": source names are lower-case; the address is /webhooks/generic/${meant.name} (${meant.file})`);
      }
      return json.fail(c, 404, 'not_configured', `no mapping for "${name}" in the plan this server runs: add rules/crm/${name}.yaml and apply it (docs/crm.md)`);
    }
    if (!mapping.webhook.signature) return json.fail(c, 401, 'unauthorized', `${mapping.file} declares no webhook.signature, so no request can be verified`);
    const variable = genericSecretVariable(name);
    const secret = crm?.genericSecrets.get(name.toLowerCase().replace(/-/g, '_'));
    if (!secret) return json.fail(c, 404, 'not_configured', `the ${name} webhook is not configured: set ${variable}`);
    const bytes = await body(c, json);
    if (!Buffer.isBuffer(bytes)) return bytes;
    const verdict = verifyHmac(mapping.webhook.signature, secret, bytes, c.req.header(mapping.webhook.signature.header));
    if (!verdict.ok) return json.fail(c, 401, 'unauthorized', verdict.message);
    return jsonRecords(c, mapping, bytes);
  });

  function zohoNotification(c: Context, mapping: CrmMapping, secret: string, payload: unknown) {
    const parsed = parseZohoNotification(payload);
    if (!parsed.ok) return json.fail(c, parsed.message.includes('no token') ? 401 : 400, parsed.message.includes('no token') ? 'unauthorized' : 'bad_request', parsed.message);
    if (!sameSecret(parsed.value.token, secret)) return json.fail(c, 401, 'unauthorized', 'Zoho notification: token does not match ZOHO_WEBHOOK_SECRET');
    const { deliveries, skipped } = zohoNotificationDeliveries(mapping, parsed.value, payload);
    return deliver(c, json, mapping, deliveries, skipped);
  }

  async function jsonRecords(c: Context, mapping: CrmMapping, bytes: Buffer) {
    // A webhook set up with its parameters in the URL (Zoho's "URL Parameters") sends no body; "not
    // valid JSON: Unexpected end of JSON input" would send the admin looking for a JSON error.
    if (bytes.toString('utf8').trim() === '') {
      const inUrl = new URL(c.req.url).search !== '';
      return json.fail(c, 400, 'bad_request', `body is empty: send the record as JSON or form parameters in the body${inUrl ? ' (it came as URL parameters, which are not read: move them to the webhook\'s body, docs/crm.md)' : ''}`);
    }
    const payload = await parseJsonOrForm(bytes, c.req.header('content-type'));
    if (!payload.ok) return json.fail(c, 400, 'bad_request', payload.message);
    const found = jsonDeliveries(mapping, payload.value, new Date(now()).toISOString());
    if (!found.ok) return json.fail(c, 400, 'bad_request', found.message);
    return deliver(c, json, mapping, found.value.deliveries, found.value.skipped);
  }

  return app;
}

/** Routing within the time a CRM waits; a failure or timeout is a 503 so the CRM retries. */
async function routeInTime(route: RouteEvent, event: Parameters<RouteEvent>[0]): Promise<unknown> {
  let gaveUp = false;
  const routing = route(event);
  routing.catch((err: Error) => {
    if (gaveUp) console.error(`salesflow: routing event ${event.id} failed after the webhook was answered: ${err.message}`);
  });
  try {
    return await withTimeout(routing, ROUTE_TIMEOUT_MS);
  } catch (err) {
    gaveUp = err instanceof RouteTimeout;
    console.error(`salesflow: routing event ${event.id} failed: ${(err as Error).message}`);
    throw new Unavailable();
  }
}

