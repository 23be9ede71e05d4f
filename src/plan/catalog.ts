// The data model rules can name (SPEC §4). The checker, the evaluator and the data layer all read
// this one table, so a field added here is known everywhere at once.

export type ScalarType = 'string' | 'number' | 'money' | 'percent' | 'duration' | 'date' | 'time' | 'bool';

/** What a field's value refers to, for recipients: an email address, or the id of a rep. */
export type FieldHolds = 'email' | 'rep_id' | 'none';

export interface FieldInfo {
  type: ScalarType;
  holds: FieldHolds;
  /** Closed set of values, when the SPEC fixes one (deal.stage, deal.type). */
  values?: readonly string[];
}

export const entityNames = ['rep', 'deal', 'lead'] as const;
export type EntityName = (typeof entityNames)[number];

/**
 * A table looked up by what an author wrote (a field, a metric, a currency): without a prototype,
 * so `rep.constructor` or a metric named `toString` is simply not in it (an `{}` literal answered
 * with Object's methods, and the checker crashed on them).
 */
export function lookupTable<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

const f = (type: ScalarType, holds: FieldHolds = 'none', values?: readonly string[]): FieldInfo =>
  values ? { type, holds, values } : { type, holds };

export const entityFields: Record<EntityName, Record<string, FieldInfo>> = {
  rep: lookupTable({
    id: f('string', 'rep_id'),
    name: f('string'),
    email: f('string', 'email'),
    team: f('string'),
    role: f('string'),
    region: f('string'),
    manager: f('string', 'email'),
    timezone: f('string'),
    start_date: f('date'),
    end_date: f('date'),
  }),
  deal: lookupTable({
    id: f('string'),
    rep: f('string', 'rep_id'),
    name: f('string'),
    amount: f('money'),
    stage: f('string', 'none', ['open', 'won', 'lost']),
    product: f('string'),
    type: f('string', 'none', ['new', 'renewal', 'expansion']),
    source: f('string'),
    closed_at: f('date'),
    contact: f('string', 'email'),
  }),
  lead: lookupTable({
    id: f('string'),
    name: f('string'),
    email: f('string', 'email'),
    company: f('string'),
    source: f('string'),
    stage: f('string'),
    owner: f('string', 'rep_id'),
    timezone: f('string'),
    score: f('number'),
  }),
};

export const eventTypes = [
  'lead.created',
  'lead.updated',
  'lead.replied',
  'lead.unsubscribed',
  'deal.created',
  'deal.updated',
  'deal.won',
  'deal.lost',
  'meeting.booked',
] as const;
export type EventType = (typeof eventTypes)[number];

/** The entity an event carries; `meeting.booked` carries a lead. */
export function eventEntity(type: EventType): 'lead' | 'deal' {
  return type.startsWith('deal.') ? 'deal' : 'lead';
}

/** Built-in metrics per rep and period (SPEC §4). `money` metrics are in the target currency. */
export const builtinMetrics: Record<string, { type: 'money' | 'number' | 'percent'; description: string }> = lookupTable({
  revenue: { type: 'money', description: 'sum of won deal amounts closed in the period' },
  new_revenue: { type: 'money', description: 'sum of won deal amounts of type "new" closed in the period' },
  deals_won: { type: 'number', description: 'count of won deals closed in the period' },
  win_rate: { type: 'percent', description: 'won deals as a percent of won + lost deals closed in the period' },
  avg_deal_size: { type: 'money', description: 'average amount of won deals closed in the period' },
  pipeline: { type: 'money', description: 'sum of open deal amounts now' },
});

export const periodKinds = ['week', 'month', 'quarter', 'year'] as const;
export type PeriodKind = (typeof periodKinds)[number];

export const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof weekdays)[number];

/**
 * ISO-4217 minor units for currencies whose minor unit is not 2: the whole list, since a currency
 * missing here is paid in hundredths (51,525.86 XOF) that payroll cannot pay, or rounded to
 * hundredths when the law says thousandths (IQD, LYD). HUF is 2 in ISO 4217 (its fillér is gone
 * from cash, not from accounts).
 */
export const currencyMinorUnits: Record<string, number> = lookupTable({
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  HUF: 2,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
});

export function minorUnits(currency: string): number {
  return currencyMinorUnits[currency] ?? 2;
}

/** CRMs with a built-in mapping preset (docs/crm.md); a mapping file adjusts one or stands alone. */
export const crmPresetNames = ['hubspot', 'salesforce', 'zoho'] as const;
export type CrmPresetName = (typeof crmPresetNames)[number];

/** How a CRM writes dates that carry no ISO form. */
export const crmDateFormats = ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY'] as const;
export type CrmDateFormat = (typeof crmDateFormats)[number];

/**
 * What a CRM mapping does with a deal that has no amount (deal.missing_amount): refuse it, store
 * it with amount 0, or leave it out. The default, per stage, is in src/connectors/translate.ts.
 */
export const missingAmountChoices = ['error', 'zero', 'skip'] as const;
export type MissingAmountChoice = (typeof missingAmountChoices)[number];

/** deal.stage and deal.type values (the closed sets of entityFields above). */
export const dealStages = ['open', 'won', 'lost'] as const;
export const dealTypes = ['new', 'renewal', 'expansion'] as const;
