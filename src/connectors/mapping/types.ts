// The resolved shape of a CRM mapping (rules/crm/NAME.yaml merged over its preset): what every
// connector, the webhook routes and `import --source` read. Checked once by load.ts; from here on
// the values are known good.
import type { CrmEvent } from '../../events/schema.js';

export const presetNames = ['hubspot', 'salesforce', 'zoho'] as const;
export type PresetName = (typeof presetNames)[number];

export type Entity = 'deal' | 'lead' | 'rep';
export type EventType = CrmEvent['type'];
export type DealStage = 'open' | 'won' | 'lost';
export type DealType = 'new' | 'renewal' | 'expansion';

export const dateFormats = ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY'] as const;
export type DateFormat = (typeof dateFormats)[number];

/** salesflow field → where the CRM keeps it: one path, or several joined by a space (first + last name). */
export type FieldSources = Record<string, string[]>;

/** Which change becomes which salesflow event; null: store the record, route no event. */
export interface EventChoice {
  created: EventType | null;
  updated: EventType | null;
  /** Deals only: the stage moved to won / lost. */
  won?: EventType | null;
  lost?: EventType | null;
}

export interface EntityMapping {
  /** The CRM's object names for this entity (HubSpot `deal`, Salesforce `Opportunity`, Zoho `Deals`). */
  objects: string[];
  /** API / webhook field paths. */
  fields: FieldSources;
  /** Column headers of the CRM's own CSV export. */
  csv: FieldSources;
  /** Deals: CRM stage value (lower-cased) → salesflow stage. */
  stages: Record<string, DealStage>;
  /** Deals: CRM deal type (lower-cased) → new / renewal / expansion; other values leave the type empty. */
  types: Record<string, DealType>;
  /** A stage not in the table: this stage, or 'error' to refuse the record. */
  unknownStage: DealStage | 'error';
  /** Deals: currency when the record names none. */
  currency: string | null;
  events: EventChoice;
}

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface WebhookMapping {
  /** Generic: the signature header, its HMAC and encoding; the secret is SALESFLOW_WEBHOOK_SECRET_<NAME>. */
  signature: { header: string; algorithm: HmacAlgorithm; encoding: 'hex' | 'base64'; prefix: string } | null;
  /** Zoho: the header carrying the shared secret (ZOHO_WEBHOOK_SECRET). */
  secretHeader: string | null;
  /** Path to the record (object) or records (array) in the body; '' is the body itself. */
  records: string;
  /** Path in each record to its object name, or null when `object` is fixed. */
  objectPath: string | null;
  /** The object name when the payload does not carry one. */
  object: string | null;
  /** Paths whose values, joined by ':', identify one delivery (the vendor's event id). */
  eventId: string[];
  /** Path to the record's last-modified time: an older delivery never overwrites newer data. */
  version: string | null;
}

export interface CrmMapping {
  name: string;
  /** Where the mapping came from, for messages: `rules/crm/hubspot.yaml` or `(built-in hubspot preset)`. */
  file: string;
  preset: PresetName | null;
  timezone: string;
  dateFormat: DateFormat;
  /** An owner no rep carries as crm_id (nor as email or name): refuse the record, or keep the raw id as rep id. */
  unknownOwner: 'error' | 'keep';
  deal: EntityMapping;
  lead: EntityMapping;
  rep: EntityMapping;
  webhook: WebhookMapping;
}

/** The salesflow fields a mapping may fill, per entity (SPEC §4 plus `crm_id` on reps). */
export const mappableFields: Record<Entity, readonly string[]> = {
  deal: ['id', 'rep', 'name', 'amount', 'currency', 'stage', 'product', 'type', 'source', 'closed_at', 'contact'],
  lead: ['id', 'name', 'email', 'company', 'source', 'stage', 'owner', 'timezone', 'score'],
  rep: ['id', 'crm_id', 'name', 'email', 'team', 'role', 'region', 'manager', 'timezone', 'start_date'],
};

/** Fields a record cannot do without, after merging over what salesflow already holds. */
export const requiredFields: Record<Entity, readonly string[]> = {
  deal: ['id', 'rep', 'amount', 'stage'],
  lead: ['id', 'email'],
  rep: ['crm_id', 'name', 'email'],
};

export const entityEvents: Record<Exclude<Entity, 'rep'>, readonly EventType[]> = {
  deal: ['deal.created', 'deal.updated', 'deal.won', 'deal.lost'],
  lead: ['lead.created', 'lead.updated', 'lead.replied', 'lead.unsubscribed', 'meeting.booked'],
};
