// The vocabulary of CRM mappings for the connectors: the resolved mapping's types (inferred from
// the plan's schema, src/plan/crm.ts, since a resolved mapping is part of the compiled plan) and the
// fields and events a mapping file may name. Zod stays out: `salesflow check` imports this at start-up.
import type { CrmEvent } from '../../events/schema.js';
import type { CrmMapping, EntityMapping } from '../../plan/crm.js';
import {
  crmDateFormats, crmPresetNames, type CrmDateFormat, type CrmPresetName, type dealStages, type dealTypes, missingAmountChoices, type MissingAmountChoice,
} from '../../plan/catalog.js';

export type { CrmMapping, EntityMapping, WebhookMapping } from '../../plan/crm.js';

export const presetNames = crmPresetNames;
export type PresetName = CrmPresetName;

export type Entity = 'deal' | 'lead' | 'rep';
export type EventType = CrmEvent['type'];
export type DealStage = (typeof dealStages)[number];
export type DealType = (typeof dealTypes)[number];

export { missingAmountChoices, type MissingAmountChoice };

/**
 * deal.missing_amount when a mapping does not set it (docs/crm.md argues it). An open deal
 * without an amount is stored at 0: it adds nothing to the pipeline and nothing is paid on it,
 * and CRMs create deals before anyone knows the amount (HubSpot's "deal.creation" usually has
 * none). A won deal without one is refused: stored at 0 it would silently pay no commission and
 * count no revenue. A lost deal pays and counts nothing whatever its amount, so 0 is harmless.
 */
export const defaultMissingAmount: Readonly<Record<DealStage, MissingAmountChoice>> = { open: 'zero', won: 'error', lost: 'zero' };

export const dateFormats = crmDateFormats;
export type DateFormat = CrmDateFormat;

/** salesflow field → where the CRM keeps it: one path, or several joined by a space (first + last name). */
export type FieldSources = EntityMapping['fields'];
export type EventChoice = EntityMapping['events'];
export type HmacAlgorithm = NonNullable<CrmMapping['webhook']['signature']>['algorithm'];

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
