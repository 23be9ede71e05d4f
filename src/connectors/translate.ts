// One CRM record → one salesflow record, through a mapping: the same code for webhook payloads
// (API field names) and CSV exports (their column headers). Fields the payload does not carry keep
// what salesflow already holds, so a property-change event or an outbound message with a few
// fields updates a deal without blanking the rest. Problems name the CRM's own field, as the user sees it.
import { withValue } from '../data/import-rows.js';
import { DealRecord, LeadRecord, RepRecord } from '../plan/records.js';
import { type CrmMapping, type DealStage, defaultMissingAmount, type Entity, type EventType } from './mapping/types.js';
import { asText, parseAmount, parseDate, stageKey } from './values.js';

export interface FieldProblem {
  /** The CRM's field or column name. */
  field: string;
  message: string;
}

/**
 * Owner ids → rep ids (the owner ids linked for the mapping's source, rep_crm_ids, else a rep's
 * email or name, as exports print owners by name): the rep id, null for none, or the ids of the
 * reps that share the name given.
 */
export type OwnerLookup = (owner: string) => Promise<string | null | { sameName: string[] }>;

/** A value of the record by its source name; undefined when the record does not carry that field. */
export type FieldReader = (source: string) => unknown;

export type TranslatedRecord = DealRecord | LeadRecord | (RepRecord & { crm_id: string });

/**
 * Deals: where the stored amount comes from. `given`: this record carries it; `kept`: what
 * salesflow holds (the record leaves the field out); `zero`: the CRM has none and the mapping's
 * deal.missing_amount stores the deal with 0 in its place (a stand-in, not a real 0).
 */
export type AmountSource = 'given' | 'kept' | 'zero';

export type Translated =
  | { ok: true; record: TranslatedRecord; amount?: AmountSource }
  | { ok: false; problems: FieldProblem[] }
  /** deal.missing_amount says `skip`: nothing is stored for this record; `reason` says why, for reports. */
  | { ok: 'skipped'; reason: string; stage: DealStage };

export interface TranslateOptions {
  /**
   * Deals: the stored amount is a stand-in 0 (an earlier record had no amount), so a record that
   * leaves the amount out still has none: a stage change to won must not pay on the stand-in.
   */
  storedWithoutAmount?: boolean;
}

/** A salesflow record as plain fields, the shape merges and comparisons work on. */
export type EntityRow = Record<string, unknown>;

/** A value by dotted path (`properties.amount`, `data.0.id`); '' is the object itself. */
export function valueAt(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Reads the fields the mapping names from one CRM record and converts them; `stored` is what
 * salesflow holds for the same id (null when new). The result is validated with the same zod
 * records as salesflow's own CSV and events.
 */
export async function translateRecord(
  mapping: CrmMapping, entity: Entity, via: 'fields' | 'csv', read: FieldReader, stored: EntityRow | null, owners: OwnerLookup,
  options: TranslateOptions = {},
): Promise<Translated> {
  const sources = mapping[entity][via];
  const problems: FieldProblem[] = [];
  const values: EntityRow = {};
  let amountCurrency: string | null = null;
  for (const [field, paths] of Object.entries(sources)) {
    const raws = paths.map((p) => read(p));
    if (raws.every((r) => r === undefined)) continue;
    const where = paths.join(' + ');
    const texts = raws.map(asText).filter((t): t is string => t !== null);
    if (texts.length === 0) { values[field] = null; continue; }
    const text = texts.join(' ');
    const fail = (message: string) => problems.push({ field: where, message });
    switch (`${entity}.${field}`) {
      case 'deal.amount': {
        const amount = parseAmount(raws.find((r) => asText(r) !== null));
        if (!amount.ok) { fail(amount.message); break; }
        values.amount = amount.value.amount;
        amountCurrency = amount.value.currency;
        break;
      }
      case 'lead.score': {
        const score = parseAmount(raws.find((r) => asText(r) !== null));
        if (!score.ok) fail(score.message); else values.score = score.value.amount;
        break;
      }
      case 'deal.stage': {
        const stage = ownValue(mapping.deal.stages, stageKey(text)) ?? (mapping.deal.unknownStage === 'error' ? null : mapping.deal.unknownStage);
        if (stage === null) {
          fail(`unknown stage "${text}": map it under deal.stages in ${mappingFile(mapping)} (to open, won or lost) or set deal.unknown_stage`);
        } else values.stage = stage;
        break;
      }
      case 'deal.closed_at': case 'rep.start_date': {
        const date = parseDate(text, mapping.timezone, mapping.dateFormat);
        if (!date.ok) fail(date.message + dateFormatHint(mapping, text)); else values[field] = date.value;
        break;
      }
      case 'deal.rep': case 'lead.owner': {
        const rep = await owners(text);
        if (typeof rep === 'string') values[field] = rep;
        else if (rep !== null) {
          const shown = rep.sameName.length > 5 ? `${rep.sameName.slice(0, 5).join(', ')}, ...` : rep.sameName.join(', ');
          fail(`owner "${text}" is the name of ${rep.sameName.length > 5 ? 'more than 5' : rep.sameName.length} reps (${shown}): give each its CRM owner id (salesflow import --source ${mapping.name} --kind reps FILE.csv) or use their emails in the export`);
        } else if (mapping.unknownOwner === 'keep') values[field] = text;
        else fail(`owner "${text}" is no rep's crm_id, email or name: import the CRM's owners first (salesflow import --source ${mapping.name} --kind reps FILE.csv) or set unknown_owner: keep in ${mappingFile(mapping)}`);
        break;
      }
      case 'deal.currency': values.currency = text.toUpperCase(); break;
      case 'deal.type': values.type = ownValue(mapping.deal.types, stageKey(text)) ?? (['new', 'renewal', 'expansion'].includes(text) ? text : null); break;
      default: values[field] = text;
    }
  }
  // A currency written in the amount ("EUR 3,000", "€3,000") is the deal's: it must agree with the
  // record's currency field, and it replaces a stored currency (a repriced deal), never the reverse.
  if (amountCurrency && typeof values.currency === 'string' && values.currency !== amountCurrency) {
    problems.push({ field: sources.amount.join(' + '), message: `the amount is in ${amountCurrency} but ${sources.currency.join(' + ')} says ${values.currency}` });
  }
  if (problems.length) return { ok: false, problems };

  const merged: EntityRow = { ...(stored ?? {}), ...values };
  let amount: AmountSource | undefined;
  if (entity === 'deal') {
    if (amountCurrency) merged.currency = amountCurrency;
    merged.currency ??= mapping.deal.currency;
    merged.stage ??= 'open';
    amount = typeof values.amount === 'string' ? 'given'
      : values.amount === undefined && typeof stored?.amount === 'string' && !(options.storedWithoutAmount && isZeroAmount(stored.amount)) ? 'kept'
        : 'zero';
    const stage = merged.stage as DealStage;
    if (amount === 'zero' && stage in defaultMissingAmount) {
      const choice = (mapping.deal.missingAmount ?? defaultMissingAmount)[stage];
      if (choice === 'skip') return { ok: 'skipped', stage, reason: `no amount: ${stage} deals without one are left out (deal.missing_amount in ${mappingFile(mapping)})` };
      // Refused, but the rest of the record is still checked, so every problem of it is told at once.
      if (choice === 'error') problems.push({ field: sources.amount?.join(' + ') ?? 'amount', message: missingAmountMessage(mapping, stage) });
      merged.amount = '0';
    }
  }
  const schema = entity === 'deal' ? DealRecord : entity === 'lead' ? LeadRecord : RepRecord.extend({ crm_id: RepRecord.shape.id });
  if (entity === 'rep') merged.id ??= merged.crm_id;
  const parsed = schema.safeParse(merged);
  if (parsed.success && problems.length === 0) return { ok: true, record: parsed.data as TranslatedRecord, ...(amount ? { amount } : {}) };
  if (parsed.success) return { ok: false, problems };
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    const source = sources[field]?.join(' + ') ?? field;
    const absent = merged[field] === undefined || merged[field] === null;
    problems.push({
      field: source,
      message: absent
        ? (sources[field] ? 'is required' : `${entity}.${field} is required and ${mapping.file} maps no ${via === 'csv' ? 'column' : 'field'} to it`)
        : withValue(issue.message, typeof merged[field] === 'string' ? merged[field] as string : undefined),
    });
  }
  return { ok: false, problems };
}

/**
 * The mapping's own entry for a CRM value: a stage or type called `constructor` or `toString` is
 * a value the mapping does not list, not the function every object inherits under that name.
 */
function ownValue<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** 0, 0.00, -0: a stored amount that may be the stand-in of a deal without one. */
export function isZeroAmount(text: string): boolean {
  return /^-?0*\.?0*$/.test(text.trim());
}

/** The file a setting goes in: the mapping's own, or the one to create for a built-in preset. */
export function mappingFile(mapping: CrmMapping): string {
  return mapping.preset && mapping.file.startsWith('(') ? `rules/crm/${mapping.name}.yaml, with preset: ${mapping.preset}` : mapping.file;
}

/** A deal the CRM gives no amount, refused by deal.missing_amount: which setting to change, and where. */
function missingAmountMessage(mapping: CrmMapping, stage: DealStage): string {
  const why = stage === 'won'
    ? 'a won deal without an amount would pay no commission and count no revenue'
    : `${stage} deals without an amount are refused by this mapping`;
  return `no amount: ${why}. Enter the amount in the CRM, or set deal.missing_amount: { ${stage}: zero } (store it with amount 0) or { ${stage}: skip } (leave it out) in ${mappingFile(mapping)}`;
}

/**
 * A date written with slashes or dots (15/03/2026, 3.15.2026) under a mapping that reads ISO dates:
 * the export's locale writes them so, and one setting reads them; say which and in which file.
 */
function dateFormatHint(mapping: CrmMapping, text: string): string {
  if (mapping.dateFormat !== 'YYYY-MM-DD' || !/^\d{1,2}[/.]\d{1,2}[/.]\d{4}\b/.test(text)) return '';
  return ` (for dates written like this, set date_format: DD/MM/YYYY or MM/DD/YYYY in ${mappingFile(mapping)})`;
}

/**
 * Which salesflow event a change is (the mapping's `events`): a deal whose stage moved to won or
 * lost is `won`/`lost`; a record salesflow did not hold is `created`; anything else `updated`.
 */
export function chooseEvent(mapping: CrmMapping, entity: 'deal' | 'lead', before: EntityRow | null, after: EntityRow): EventType | null {
  const events = mapping[entity].events;
  if (entity === 'deal') {
    const was = before ? before.stage : 'open';
    if (after.stage !== was && after.stage === 'won' && events.won) return events.won;
    if (after.stage !== was && after.stage === 'lost' && events.lost) return events.lost;
  }
  return before ? events.updated : events.created;
}

/** Which salesflow entity a CRM object name is, per the mapping (`deal` → deal, `contact` → lead). */
export function entityOf(mapping: CrmMapping, object: string): 'deal' | 'lead' | null {
  const lower = object.toLowerCase();
  if (mapping.deal.objects.some((o) => o.toLowerCase() === lower)) return 'deal';
  if (mapping.lead.objects.some((o) => o.toLowerCase() === lower)) return 'lead';
  return null;
}
