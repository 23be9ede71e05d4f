// Salesforce outbound messages: the SOAP envelope (up to 100 notifications) parsed with
// fast-xml-parser, the org checked, each notification → a delivery ordered by LastModifiedDate,
// and the SOAP answers Salesforce expects (Ack true, or a fault it shows in its delivery queue).
import { XMLParser } from 'fast-xml-parser';
import { type Delivery, receiptVersion, type SkippedChange } from './deliveries.js';
import type { CrmMapping } from './mapping/types.js';
import { salesforceShortId } from './salesforce-ids.js';
import { entityOf } from './translate.js';
import { asText, parseInstant } from './values.js';

export const SALESFORCE_MAX_NOTIFICATIONS = 100;

const XML_NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * XML's own references and nothing more: the five named entities and character references
 * (`&#233;`, `&#xE9;`), which every XML parser must resolve (the parser's default left the numeric
 * ones as text: a deal named `Soci&#233;t&#233;` was stored as written). One pass, so `&amp;#233;`
 * stays the text `&#233;`. A DOCTYPE is refused before parsing, so no entity is ever declared.
 */
const xmlReferences = {
  decode: (text: string) => text.replace(/&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g, (whole, dec?: string, hex?: string, name?: string) => {
    if (name) return XML_NAMED[name];
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    return allowed ? String.fromCodePoint(code) : whole;
  }),
  setExternalEntities: () => undefined,
  addInputEntities: () => undefined,
  reset: () => undefined,
  setXmlVersion: () => undefined,
};

const parser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name, path) => path === 'Envelope.Body.notifications.Notification',
  processEntities: true,
  entityDecoder: xmlReferences,
});

export interface OutboundMessage {
  organizationId: string;
  notifications: { id: string; object: string; fields: Record<string, unknown> }[];
}

export type MessageParse = { ok: true; message: OutboundMessage } | { ok: false; message: string };

function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o['@_nil'] === 'true') return null;
    return '#text' in o ? String(o['#text']) : null;
  }
  return String(v);
}

export function parseOutboundMessage(xml: string): MessageParse {
  // Outbound messages never carry a DTD; refusing one rules out entity-expansion attacks.
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, message: 'a DOCTYPE is not allowed in an outbound message' };
  // Not a character XML allows (the parser takes it); PostgreSQL could not store it either.
  if (xml.includes('\u0000')) return { ok: false, message: 'body is not well-formed XML: it holds a NUL character (U+0000)' };
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, message: `body is not well-formed XML: ${(err as Error).message.split('\n')[0]}` };
  }
  const notifications = (doc.Envelope as { Body?: { notifications?: Record<string, unknown> } } | undefined)?.Body?.notifications;
  if (!notifications) return { ok: false, message: 'not a Salesforce outbound message: expected soapenv:Envelope/soapenv:Body/notifications' };
  const organizationId = text(notifications.OrganizationId);
  if (!organizationId) return { ok: false, message: 'notifications has no OrganizationId' };
  const list = (notifications.Notification as unknown[] | undefined) ?? [];
  if (list.length === 0) return { ok: false, message: 'notifications holds no Notification' };
  if (list.length > SALESFORCE_MAX_NOTIFICATIONS) return { ok: false, message: `${list.length} notifications in one message; Salesforce sends at most ${SALESFORCE_MAX_NOTIFICATIONS}` };
  const out: OutboundMessage['notifications'] = [];
  for (const [i, n] of list.entries()) {
    const note = n as Record<string, unknown>;
    const id = text(note.Id);
    const sObject = note.sObject as Record<string, unknown> | undefined;
    if (!id || !sObject || typeof sObject !== 'object') return { ok: false, message: `Notification ${i + 1}: missing Id or sObject` };
    const type = String(sObject['@_type'] ?? '').replace(/^.*:/, '');
    // A record deleted before Salesforce sent the notification: "the notification contains no
    // data" (Salesforce's considerations for outbound messages). Kept with no fields, so it is
    // acknowledged; refused, the whole message would be retried and refused for a day.
    if (sObject['@_nil'] === 'true') { out.push({ id, object: type, fields: {} }); continue; }
    if (!type) return { ok: false, message: `Notification ${i + 1}: sObject has no xsi:type` };
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(sObject)) {
      if (key.startsWith('@_')) continue;
      fields[key] = text(value);
    }
    out.push({ id, object: type, fields });
  }
  return { ok: true, message: { organizationId, notifications: out } };
}

/** Org ids are 15 or 18 characters; the 18-character form adds a case-safe suffix to the 15. */
export function sameOrg(given: string, configured: string): boolean {
  return given.slice(0, 15) === configured.slice(0, 15) && given.length >= 15;
}

/** The deliveries of a message, or why it cannot be taken (a 400 naming the notification and field). */
export function salesforceDeliveries(
  mapping: CrmMapping, message: OutboundMessage, receivedAt: string,
): { ok: true; deliveries: Delivery[]; skipped: SkippedChange[] } | { ok: false; message: string } {
  const deliveries: Delivery[] = [];
  const skipped: SkippedChange[] = [];
  for (const [i, n] of message.notifications.entries()) {
    if (Object.keys(n.fields).length === 0) {
      skipped.push({ id: n.id, vendorEventId: true, detail: `${n.object || 'the record'}: no data, as Salesforce sends a notification of a record deleted before it was sent; salesflow takes no deletions (docs/crm.md, "Deleted and merged records")` });
      continue;
    }
    // Salesforce API names are not case sensitive; a mapping's `opportunity` is its Opportunity.
    const entity = entityOf(mapping, n.object);
    if (!entity) {
      skipped.push({ id: n.id, vendorEventId: true, detail: `${n.object}: not taken by ${mapping.file}` });
      continue;
    }
    // An object the mapping takes, sent without its id field, was once acknowledged as "not
    // taken": Salesforce showed it delivered and the change was lost without a word.
    const idSource = mapping[entity].fields.id?.[0] ?? 'Id';
    const recordId = n.fields[idSource];
    if (typeof recordId !== 'string') {
      return { ok: false, message: `Notification ${i + 1} (${n.id}): the ${n.object} has no ${idSource} field: add it to the outbound message's fields to send (${entity}.fields.id in ${mapping.file})` };
    }
    const sentVersion = mapping.webhook.version ? n.fields[mapping.webhook.version] : undefined;
    const at = parseInstant(sentVersion, mapping.timezone);
    if (at === null && asText(sentVersion) !== null) {
      return { ok: false, message: `Notification ${i + 1} (${n.id}): ${mapping.webhook.version}: expected a time like 2026-03-01T10:00:00.000Z, got ${JSON.stringify(sentVersion)}` };
    }
    const shortId = salesforceShortId(recordId);
    deliveries.push({
      vendorEventId: n.id,
      entity,
      recordId,
      occurredAt: at !== null ? new Date(at).toISOString() : receivedAt,
      read: (source) => n.fields[source],
      raw: { notification: n.id, object: n.object, fields: n.fields },
      version: at !== null ? { key: `${n.object}:${recordId}`, at } : receiptVersion(n.object, recordId, receivedAt),
      ...(at === null ? { receivedAt } : {}),
      // A report export wrote the id in 15 characters: the record imported from it is this one.
      ...(shortId ? { heldAs: shortId } : {}),
    });
  }
  return { ok: true, deliveries, skipped };
}

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>\n`;

export const soapAck = envelope('<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>');

export function soapFault(message: string, client = true): string {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return envelope(`<soapenv:Fault><faultcode>soapenv:${client ? 'Client' : 'Server'}</faultcode><faultstring>${escaped}</faultstring></soapenv:Fault>`);
}
