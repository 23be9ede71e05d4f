// Finds and loads CRM mappings: `crm/*.yaml` beside the rules (rules/crm/hubspot.yaml), each
// checked (check.ts), merged over its preset, and resolved into a CrmMapping. `salesflow check`
// and every plan compiled from rule paths (`apply`, `dev`, trials, `import --rules`) load mappings
// here, so they agree on what a file means; the resolved mappings then travel in the plan.
import { readFileSync } from 'node:fs';
import { basename, relative, sep } from 'node:path';
import type { Diagnostic } from '../../dsl/index.js';
import { checkMappingText } from './check.js';
import { mappingFiles } from './files.js';
import { formatMappingMessage, mappingMessages } from './messages.js';
import { presets, type RawMapping } from './presets.js';
import {
  type CrmMapping, type DateFormat, type DealStage, type DealType, type Entity, type EntityMapping, type EventType, type FieldSources,
  defaultMissingAmount, type HmacAlgorithm, type MissingAmountChoice, presetNames, type PresetName, requiredFields,
} from './types.js';

export interface LoadedMappings {
  mappings: CrmMapping[];
  diagnostics: Diagnostic[];
  /** How many mapping files were read. */
  files: number;
}

export function loadMappings(paths: string[], cwd = process.cwd()): LoadedMappings {
  const mappings: CrmMapping[] = [];
  const diagnostics: Diagnostic[] = [];
  const presetFiles = new Map<string, string>();
  const files = mappingFiles(paths, cwd);
  for (const absolute of files) {
    const file = relative(cwd, absolute).split(sep).join('/');
    const name = basename(absolute).replace(/\.ya?ml$/, '');
    const checked = checkMappingText(file, readFileSync(absolute, 'utf8'), name);
    diagnostics.push(...checked.diagnostics);
    if (!checked.raw || checked.diagnostics.some((d) => d.severity === 'error')) continue;
    const preset = checked.raw.preset as PresetName | undefined;
    if (preset) {
      const first = presetFiles.get(preset);
      if (first) {
        diagnostics.push(fileDiagnostic(file, 'presetTwice', [preset, first]));
        continue;
      }
      presetFiles.set(preset, file);
    }
    const mapping = resolveMapping(name, file, checked.raw);
    const missing = missingSources(mapping);
    if (missing.length) {
      diagnostics.push(...missing.map(([entity, key, field]) => fileDiagnostic(file, 'missingSource', [entity, key, field])));
      continue;
    }
    mappings.push(mapping);
  }
  return { mappings, diagnostics, files: files.length };
}

function fileDiagnostic(file: string, key: 'presetTwice' | 'missingSource', args: string[]): Diagnostic {
  const def = mappingMessages[key];
  return { file, line: 1, col: 1, endLine: 1, endCol: 1, severity: def.severity, code: def.code, message: formatMappingMessage(key, args) };
}

/** Entities the mapping takes from the CRM (it names objects for them) must say where their required fields are. */
function missingSources(mapping: CrmMapping): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const entity of ['deal', 'lead', 'rep'] as const) {
    const e = mapping[entity];
    for (const key of ['fields', 'csv'] as const) {
      if (Object.keys(e[key]).length === 0) continue;
      for (const field of requiredFields[entity]) {
        if (field === 'stage' && key === 'fields' && e.fields.stage === undefined) continue;
        if (!e[key][field]) out.push([entity, key, field]);
      }
    }
  }
  return out;
}

/** The preset as a mapping, for a CRM the team did not write a file for. */
export function builtInMapping(preset: PresetName): CrmMapping {
  return resolveMapping(preset, `(built-in ${preset} preset)`, { preset });
}

/**
 * The mapping that serves a source: a file named NAME, else the file adjusting preset NAME, else
 * the built-in preset NAME; null when NAME is none of these.
 */
export function findMapping(mappings: readonly CrmMapping[], source: string): CrmMapping | null {
  return mappings.find((m) => m.name === source) ??
    mappings.find((m) => m.preset === source) ??
    ((presetNames as readonly string[]).includes(source) ? builtInMapping(source as PresetName) : null);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The team's values over the preset's; maps merge key by key, anything else replaces. */
function merge(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v) : v;
    return out;
  }
  return over === undefined ? base : over;
}

const list = (v: unknown): string[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function sources(v: unknown): FieldSources {
  const out: FieldSources = {};
  for (const [field, from] of Object.entries(isPlainObject(v) ? v : {})) {
    const paths = list(from);
    if (paths.length) out[field] = paths;
  }
  return out;
}

function event(v: unknown): EventType | null {
  return v === null || v === undefined || v === 'none' ? null : (v as EventType);
}

function entityMapping(v: unknown, entity: Entity): EntityMapping {
  const e = isPlainObject(v) ? v : {};
  const events = isPlainObject(e.events) ? e.events : {};
  const stages: Record<string, DealStage> = {};
  for (const [value, stage] of Object.entries(isPlainObject(e.stages) ? e.stages : {})) stages[value.trim().toLowerCase()] = stage as DealStage;
  const types: Record<string, DealType> = {};
  for (const [value, type] of Object.entries(isPlainObject(e.types) ? e.types : {})) types[value.trim().toLowerCase()] = type as DealType;
  const mapping: EntityMapping = {
    objects: list(e.objects),
    types,
    fields: sources(e.fields),
    csv: sources(e.csv),
    stages,
    unknownStage: (e.unknown_stage as EntityMapping['unknownStage'] | undefined) ?? 'error',
    currency: typeof e.currency === 'string' ? e.currency : null,
    events: entity === 'deal'
      ? { created: event(events.created), updated: event(events.updated), won: event(events.won), lost: event(events.lost) }
      : { created: event(events.created), updated: event(events.updated) },
  };
  // Only when the file says: a mapping that does not keeps the hash it had before the option existed.
  if (entity === 'deal' && e.missing_amount !== undefined && e.missing_amount !== null) {
    const given = e.missing_amount;
    mapping.missingAmount = isPlainObject(given)
      ? { ...defaultMissingAmount, ...(given as Record<string, MissingAmountChoice>) }
      : { open: given as MissingAmountChoice, won: given as MissingAmountChoice, lost: given as MissingAmountChoice };
  }
  return mapping;
}

export function resolveMapping(name: string, file: string, raw: RawMapping): CrmMapping {
  const preset = (raw.preset as PresetName | undefined) ?? null;
  const merged = (preset ? merge(presets[preset], raw) : raw) as Record<string, unknown>;
  const webhook = isPlainObject(merged.webhook) ? merged.webhook : {};
  const signature = isPlainObject(webhook.signature) ? webhook.signature : null;
  const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return {
    name,
    file,
    preset,
    timezone: text(merged.timezone) ?? 'UTC',
    dateFormat: (text(merged.date_format) ?? 'YYYY-MM-DD') as DateFormat,
    unknownOwner: merged.unknown_owner === 'keep' ? 'keep' : 'error',
    deal: entityMapping(merged.deal, 'deal'),
    lead: entityMapping(merged.lead, 'lead'),
    rep: entityMapping(merged.rep, 'rep'),
    webhook: {
      signature: signature && typeof signature.header === 'string'
        ? {
          header: signature.header,
          algorithm: ((signature.algorithm as string | undefined) ?? 'sha256') as HmacAlgorithm,
          encoding: signature.encoding === 'base64' ? 'base64' : 'hex',
          prefix: typeof signature.prefix === 'string' ? signature.prefix : '',
        }
        : null,
      secretHeader: text(webhook.secret_header),
      records: text(webhook.records) ?? '',
      objectPath: text(webhook.object_path),
      object: text(webhook.object),
      eventId: list(webhook.event_id),
      version: text(webhook.version),
    },
  };
}
