// The resolved CRM mappings as the compiled plan carries them: each rules/crm/NAME.yaml merged over
// its preset (src/connectors/mapping/load.ts) and recorded by `apply` with the rules, so `serve` and
// `import --source` read the same mapping from the data source wherever they run. Every connector
// reads these types; they are inferred from the schema, never written twice. Only the values a
// mapping file can hold are accepted: the plan reader (applied-plan.ts) refuses anything else.
import { z } from 'zod';
import { crmDateFormats, crmPresetNames, dealStages, dealTypes, eventTypes, missingAmountChoices } from './catalog.js';

const EventChoiceSchema = z.enum(eventTypes).nullable();

/** salesflow field → where the CRM keeps it: one path, or several joined by a space (first + last name). */
const FieldSourcesSchema = z.record(z.string(), z.array(z.string()));

const DealStageSchema = z.enum(dealStages);

const MissingAmountChoiceSchema = z.enum(missingAmountChoices);

export const EntityMappingSchema = z.object({
  /** The CRM's object names for this entity (HubSpot `deal`, Salesforce `Opportunity`, Zoho `Deals`). */
  objects: z.array(z.string()),
  /** API / webhook field paths. */
  fields: FieldSourcesSchema,
  /** Column headers of the CRM's own CSV export. */
  csv: FieldSourcesSchema,
  /** Deals: CRM stage value (lower-cased) → salesflow stage. */
  stages: z.record(z.string(), DealStageSchema),
  /** Deals: CRM deal type (lower-cased) → new / renewal / expansion; other values leave the type empty. */
  types: z.record(z.string(), z.enum(dealTypes)),
  /** A stage not in the table: this stage, or 'error' to refuse the record. */
  unknownStage: z.union([DealStageSchema, z.literal('error')]),
  /** Deals: currency when the record names none. */
  currency: z.string().nullable(),
  /**
   * Deals: per stage, a deal without an amount. Absent when the file does not say (and in plans
   * applied before the option existed): the default of src/connectors/translate.ts applies, and
   * the mapping's hash is what it was.
   */
  missingAmount: z.object({ open: MissingAmountChoiceSchema, won: MissingAmountChoiceSchema, lost: MissingAmountChoiceSchema }).optional(),
  /** Which change becomes which salesflow event; null: store the record, route no event. */
  events: z.object({
    created: EventChoiceSchema,
    updated: EventChoiceSchema,
    /** Deals only: the stage moved to won / lost. */
    won: EventChoiceSchema.optional(),
    lost: EventChoiceSchema.optional(),
  }),
});

export const WebhookMappingSchema = z.object({
  /** Generic: the signature header, its HMAC and encoding; the secret is SALESFLOW_WEBHOOK_SECRET_<NAME>. */
  signature: z.object({
    header: z.string(),
    algorithm: z.enum(['sha1', 'sha256', 'sha512']),
    encoding: z.enum(['hex', 'base64']),
    prefix: z.string(),
  }).nullable(),
  /** Zoho: the header carrying the shared secret (ZOHO_WEBHOOK_SECRET). */
  secretHeader: z.string().nullable(),
  /** Path to the record (object) or records (array) in the body; '' is the body itself. */
  records: z.string(),
  /** Path in each record to its object name, or null when `object` is fixed. */
  objectPath: z.string().nullable(),
  /** The object name when the payload does not carry one. */
  object: z.string().nullable(),
  /** Paths whose values, joined by ':', identify one delivery (the vendor's event id). */
  eventId: z.array(z.string()),
  /** Path to the record's last-modified time: an older delivery never overwrites newer data. */
  version: z.string().nullable(),
});

export const CrmMappingSchema = z.object({
  /** The source name: the file name (`hubspot` for rules/crm/hubspot.yaml), `/webhooks/generic/NAME`. */
  name: z.string(),
  /**
   * Where the mapping came from, for messages: `rules/crm/hubspot.yaml` or `(built-in hubspot preset)`.
   * Not part of the plan hash, like a rule's `source`: moving the checkout changes no version.
   */
  file: z.string(),
  preset: z.enum(crmPresetNames).nullable(),
  timezone: z.string(),
  dateFormat: z.enum(crmDateFormats),
  /** An owner no rep carries as crm_id (nor as email or name): refuse the record, or keep the raw id as rep id. */
  unknownOwner: z.enum(['error', 'keep']),
  deal: EntityMappingSchema,
  lead: EntityMappingSchema,
  rep: EntityMappingSchema,
  webhook: WebhookMappingSchema,
});
export type CrmMapping = z.infer<typeof CrmMappingSchema>;
export type EntityMapping = z.infer<typeof EntityMappingSchema>;
export type WebhookMapping = z.infer<typeof WebhookMappingSchema>;
