// Template scopes as src/templates defines them (groups of text values): entity records shown the
// way a person reads them (money as "50,000.00 USD"), and the per-kind groups filled from what
// the activity knows.
import { dec, displayMoney } from '../money/index.js';
import { entityFields, type EntityName } from '../plan/catalog.js';
import type { EntityRecords } from '../plan/records.js';
import type { TemplateScope } from '../templates/index.js';

type TextGroup = Record<string, string | null>;

export function entityGroup(entity: EntityName, record: object | undefined): TextGroup | undefined {
  if (!record) return undefined;
  const values = record as Record<string, unknown>;
  const group: TextGroup = {};
  for (const [field, info] of Object.entries(entityFields[entity])) {
    const raw = values[field];
    if (raw === null || raw === undefined) group[field] = null;
    else if (info.type === 'money' && typeof values.currency === 'string') group[field] = displayMoney(dec(String(raw)), values.currency);
    else group[field] = String(raw);
  }
  return group;
}

export function entityScope(records: EntityRecords): TemplateScope {
  return {
    rep: entityGroup('rep', records.rep),
    lead: entityGroup('lead', records.lead),
    deal: entityGroup('deal', records.deal),
  };
}
