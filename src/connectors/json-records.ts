// CRMs that send records as JSON or form parameters (Zoho CRM workflow webhooks, Fxiaoke, custom
// systems): the body → records at the mapping's paths → deliveries; and the two ways such senders
// prove who they are (a shared secret in a header, or an HMAC of the body), compared in constant time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parseJsonExact } from '../data/exact-json.js';
import { NOT_UTF8, urlEncodedParams, utf8Text } from './body-text.js';
import { type Delivery, receiptVersion, type SkippedChange } from './deliveries.js';
import type { CrmMapping, WebhookMapping } from './mapping/types.js';
import { entityOf, mappingFile, valueAt } from './translate.js';
import { asText, readInstant } from './values.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * JSON (application/json) or form parameters (application/x-www-form-urlencoded, or
 * multipart/form-data, which form builders such as Zoho's "Form data" body and curl -F send), by
 * content type.
 */
export async function parseJsonOrForm(body: Buffer, contentType: string | undefined): Promise<Parsed<unknown>> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const text = utf8Text(body);
  if (text === null) return { ok: false, message: NOT_UTF8 };
  if (type === 'application/x-www-form-urlencoded') {
    const params = urlEncodedParams(text);
    return params ? { ok: true, value: params } : { ok: false, message: 'a form parameter is not valid UTF-8 once %-decoded: send the form encoded as UTF-8' };
  }
  if (type === 'multipart/form-data') {
    try {
      const form = await new Response(body, { headers: { 'content-type': contentType! } }).formData();
      const fields = new Map<string, string>();
      // Text parameters only; a file part carries nothing a mapping reads. The first of a repeated
      // name wins. A Map, then own properties: a parameter named `toString` or `constructor` was
      // taken for one already seen (`in` finds inherited names) and dropped.
      form.forEach((value, key) => { if (typeof value === 'string' && !fields.has(key)) fields.set(key, value); });
      return { ok: true, value: Object.fromEntries(fields) };
    } catch (err) {
      return { ok: false, message: `body is not valid multipart/form-data: ${(err as Error).message}` };
    }
  }
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json') && type !== 'text/plain') {
    return { ok: false, message: `unsupported Content-Type "${type}": send application/json, application/x-www-form-urlencoded or multipart/form-data` };
  }
  try {
    return { ok: true, value: parseJsonExact(text) };
  } catch (err) {
    return { ok: false, message: `body is not valid JSON: ${(err as Error).message}` };
  }
}

/** Equal-length digests compared in constant time, whatever the lengths of the secrets. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function verifyHmac(signature: NonNullable<WebhookMapping['signature']>, secret: string, body: Buffer, header: string | undefined): Parsed<true> {
  if (!header) return { ok: false, message: `missing ${signature.header} header` };
  const value = header.trim();
  if (signature.prefix && !value.startsWith(signature.prefix)) {
    return { ok: false, message: `malformed ${signature.header} header (expected ${signature.prefix}<${signature.encoding} HMAC-${signature.algorithm.toUpperCase()} of the body>)` };
  }
  const given = Buffer.from(value.slice(signature.prefix.length), signature.encoding);
  const expected = createHmac(signature.algorithm, secret).update(body).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, message: `${signature.header} does not match the body (HMAC-${signature.algorithm.toUpperCase()}, ${signature.encoding})` };
  }
  return { ok: true, value: true };
}

export function jsonDeliveries(mapping: CrmMapping, payload: unknown, receivedAt: string): Parsed<{ deliveries: Delivery[]; skipped: SkippedChange[] }> {
  const at = valueAt(payload, mapping.webhook.records);
  if (at === undefined || at === null || typeof at !== 'object') {
    return { ok: false, message: `no record at "${mapping.webhook.records || '(the body)'}" (webhook.records in ${mapping.file})` };
  }
  const records = Array.isArray(at) ? at : [at];
  if (records.length > 100) return { ok: false, message: `${records.length} records in one request; at most 100` };
  const deliveries: Delivery[] = [];
  const skipped: SkippedChange[] = [];
  // An event id made of the record's last-modified time (Zoho's id + Modified_Time) names a state of
  // the record, not a delivery: two edits within one tick of that time (Zoho writes it to the
  // minute) would share it, and the second, taken as a repeat, would be lost. What the record says
  // tells them apart; a repeat of one delivery says the same.
  const byVersion = mapping.webhook.version !== null && mapping.webhook.eventId.includes(mapping.webhook.version);
  for (const [i, record] of records.entries()) {
    // A path is looked up in the record first, then in the whole body (an envelope's event id).
    const read = (path: string) => { const v = valueAt(record, path); return v === undefined ? valueAt(payload, path) : v; };
    const object = mapping.webhook.objectPath ? asText(read(mapping.webhook.objectPath)) : mapping.webhook.object;
    if (!object) return { ok: false, message: `record ${i + 1}: no object name at "${mapping.webhook.objectPath}" (webhook.object_path in ${mapping.file})` };
    const entity = entityOf(mapping, object);
    if (!entity) { skipped.push({ id: `record ${i + 1}`, vendorEventId: false, detail: `${object}: not taken by ${mapping.file}` }); continue; }
    const idPath = mapping[entity].fields.id?.[0];
    const recordId = idPath ? asText(read(idPath)) : null;
    if (!recordId) return { ok: false, message: `record ${i + 1}: no ${entity} id at "${idPath ?? '(none mapped)'}" (${entity}.fields.id in ${mapping.file})` };
    // Ids are stored even when the change is rejected; PostgreSQL cannot store a NUL.
    if (recordId.includes('\u0000')) return { ok: false, message: `record ${i + 1}: the ${entity} id at "${idPath}" contains a NUL character (U+0000)` };
    const idParts = mapping.webhook.eventId.map((p) => asText(read(p)));
    if (idParts.some((p) => p?.includes('\u0000'))) return { ok: false, message: `record ${i + 1}: the event id (webhook.event_id in ${mapping.file}) contains a NUL character (U+0000)` };
    if (idParts.length === 0 || idParts.some((p) => p === null)) {
      return { ok: false, message: `record ${i + 1}: no event id at ${mapping.webhook.eventId.map((p) => `"${p}"`).join(' + ') || '(none declared)'} (webhook.event_id in ${mapping.file})` };
    }
    const sentVersion = mapping.webhook.version ? read(mapping.webhook.version) : undefined;
    const sentAt = readInstant(sentVersion, mapping.timezone, mapping.dateFormat, ` in ${mappingFile(mapping)}`);
    const version = sentAt.ok ? sentAt.value : null;
    // A time that is sent but unreadable would leave the delivery unordered: an old retry could
    // then overwrite newer data. Refused, like an unreadable amount.
    if (!sentAt.ok && asText(sentVersion) !== null) {
      return { ok: false, message: `record ${i + 1}: ${mapping.webhook.version}: ${sentAt.message} (webhook.version in ${mapping.file})` };
    }
    // An event id that does not name the record (an envelope's id, shared by every record of the
    // request) gets the record's id: otherwise each record after the first is taken for a repeat.
    const delivered = mapping.webhook.eventId.includes(idPath!) ? idParts.join(':') : `${idParts.join(':')}:${recordId}`;
    deliveries.push({
      vendorEventId: byVersion ? `${delivered}:${contentDigest(record)}` : delivered,
      entity,
      recordId,
      occurredAt: version !== null ? new Date(version).toISOString() : receivedAt,
      read,
      // The body as sent with this record alone in it: an event id or time read from the envelope
      // stays with the change, so `salesflow crm retry` prepares it again exactly as it came.
      raw: withOnlyRecord(payload, mapping.webhook.records, record),
      version: version !== null ? { key: `${object}:${recordId}`, at: version } : receiptVersion(object, recordId, receivedAt),
      ...(version === null ? { receivedAt } : {}),
    });
  }
  return { ok: true, value: { deliveries, skipped } };
}

/** `payload` with the records at `path` replaced by `record` alone (an array stays an array). */
function withOnlyRecord(payload: unknown, path: string, record: unknown): unknown {
  const keys = path === '' ? [] : path.split('.');
  const put = (node: unknown, depth: number): unknown => {
    if (depth === keys.length) return Array.isArray(node) ? [record] : record;
    const copy = (Array.isArray(node) ? [...node] : { ...(node as Record<string, unknown>) }) as Record<string, unknown>;
    copy[keys[depth]] = put(copy[keys[depth]], depth + 1);
    return copy;
  };
  return put(payload, 0);
}

/**
 * A short digest of a record's content, the same for the same values whether they came as JSON
 * (numbers, nested objects) or as form parameters (text): keys sorted, scalars as their text.
 */
function contentDigest(record: unknown): string {
  const canonical = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (Array.isArray(node)) return node.map(canonical);
    if (typeof node === 'object') {
      return Object.keys(node as object).sort().map((key) => [key, canonical((node as Record<string, unknown>)[key])]);
    }
    return String(node);
  };
  return createHash('sha256').update(JSON.stringify(canonical(record))).digest('hex').slice(0, 12);
}
