// Zoho CRM's Notification API (actions/watch): what Zoho sends when records of a module are
// deleted, which its workflow webhooks never do. A notification names the module, the operation
// and the record ids, no fields; it proves itself by the channel's `token` in the body (a watch
// cannot send headers), which must be ZOHO_WEBHOOK_SECRET. Deletions of deals become removals
// (src/data/crm-deletions.ts); the other operations are acknowledged and left to the workflow
// webhook, which sends the record's fields.
import type { Delivery, SkippedChange } from './deliveries.js';
import type { Parsed } from './json-records.js';
import type { CrmMapping } from './mapping/types.js';
import { entityOf } from './translate.js';

export interface ZohoNotification {
  module: string;
  operation: string;
  ids: string[];
  channelId: string;
  token: string;
  /** Zoho's time of the operation, epoch ms. */
  serverTime: number;
}

/** Whether a body is a notification rather than a workflow webhook's record. */
export function isZohoNotification(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) &&
    'channel_id' in payload && 'operation' in payload && 'ids' in payload;
}

const id = (v: unknown): string | null =>
  (typeof v === 'string' && v.trim() !== '' && !v.includes('\u0000')) || (typeof v === 'number' && Number.isSafeInteger(v)) ? String(v) : null;

export function parseZohoNotification(payload: unknown): Parsed<ZohoNotification> {
  const n = payload as Record<string, unknown>;
  const bad = (message: string): Parsed<ZohoNotification> => ({ ok: false, message: `Zoho notification: ${message}` });
  if (typeof n.token !== 'string' || n.token === '') return bad('no token: enable the channel with "token" set to ZOHO_WEBHOOK_SECRET (docs/crm.md)');
  if (typeof n.module !== 'string' || n.module === '') return bad('no module');
  if (typeof n.operation !== 'string' || n.operation === '') return bad('no operation');
  if (!Array.isArray(n.ids) || n.ids.length > 1000) return bad('ids must be a list of record ids');
  const ids = n.ids.map(id);
  if (ids.some((i) => i === null)) return bad(`ids must be record ids, got ${JSON.stringify(n.ids)}`);
  const channelId = id(n.channel_id);
  if (channelId === null) return bad('no channel_id');
  // 19-digit numbers arrive as their digits (exact JSON): Number() of them is still the right millisecond.
  const serverTime = typeof n.server_time === 'number' ? n.server_time : typeof n.server_time === 'string' && /^\d{11,14}$/.test(n.server_time) ? Number(n.server_time) : NaN;
  if (!Number.isSafeInteger(serverTime)) return bad(`server_time must be epoch milliseconds, got ${JSON.stringify(n.server_time ?? null)}`);
  return { ok: true, value: { module: n.module, operation: n.operation, ids: ids as string[], channelId, token: n.token, serverTime } };
}

/** Removals of the deals a `delete` notification names; anything else is acknowledged as ignored. */
export function zohoNotificationDeliveries(mapping: CrmMapping, notification: ZohoNotification, raw: unknown): { deliveries: Delivery[]; skipped: SkippedChange[] } {
  const { module, operation, ids, serverTime } = notification;
  const eventId = (recordId: string) => `${operation}:${serverTime}:${recordId}`;
  const entity = entityOf(mapping, module);
  if (operation !== 'delete' || entity !== 'deal') {
    const why = operation !== 'delete'
      ? `${module}.${operation}: a notification names ids only; the workflow webhook sends the changes (docs/crm.md)`
      : `${module}.delete: salesflow removes deleted deals only; ${entity ? `${entity}s stay as they were` : `not taken by ${mapping.file}`}`;
    return { deliveries: [], skipped: ids.map((recordId) => ({ id: eventId(recordId), vendorEventId: true, detail: why })) };
  }
  const occurredAt = new Date(serverTime).toISOString();
  const deliveries = ids.map((recordId): Delivery => ({
    vendorEventId: eventId(recordId), entity: 'deal', recordId, occurredAt, read: () => undefined, raw, version: null,
    removal: { change: 'deletion', mergedInto: null, actor: null, at: serverTime, changes: `${module}:${recordId}` },
  }));
  return { deliveries, skipped: [] };
}
