// Checks one mapping file (rules/crm/NAME.yaml) with positions: every unknown key, salesflow
// field, stage, event, time zone or currency is a diagnostic at its line and column with a caret
// and, for names, a "did you mean". Only what the team wrote is checked; presets are known good.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { closest, type Diagnostic } from '../../dsl/index.js';
import { formatMappingMessage, mappingMessages, type MappingMessageKey } from './messages.js';
import { dateFormats, entityEvents, mappableFields, missingAmountChoices, presetNames, type Entity } from './types.js';

const topKeys = ['preset', 'timezone', 'date_format', 'unknown_owner', 'deal', 'lead', 'rep', 'webhook'];
const entityKeys = ['objects', 'fields', 'csv', 'stages', 'types', 'unknown_stage', 'currency', 'missing_amount', 'events'];
const dealOnly = ['stages', 'types', 'unknown_stage', 'currency', 'missing_amount'];
const webhookKeys = ['signature', 'secret_header', 'records', 'object_path', 'object', 'event_id', 'version'];
const signatureKeys = ['header', 'algorithm', 'encoding', 'prefix'];
const stages = ['open', 'won', 'lost'];

// Here rather than from src/plan/records.ts: `salesflow check` stays free of zod at start-up.
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface CheckedFile {
  /** The file as plain data, when it parsed; null otherwise. */
  raw: Record<string, unknown> | null;
  diagnostics: Diagnostic[];
}

class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly lines: string[];
  constructor(private readonly file: string, text: string, private readonly counter: LineCounter) {
    this.lines = text.split(/\r?\n/);
  }

  at(key: MappingMessageKey, node: Node | null | undefined, args: string[], suggestion?: string): void {
    const [start, end] = node?.range ?? [0, 0];
    const from = this.counter.linePos(start);
    const to = this.counter.linePos(Math.max(start, end));
    const def = mappingMessages[key];
    const d: Diagnostic = {
      file: this.file, line: from.line, col: from.col, endLine: to.line, endCol: to.col,
      severity: def.severity, code: def.code, message: formatMappingMessage(key, args),
    };
    if (suggestion !== undefined) d.suggestion = suggestion;
    const lineText = this.lines[from.line - 1];
    if (lineText !== undefined) d.lineText = lineText;
    this.diagnostics.push(d);
  }
}

function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function scalarText(node: unknown): string | null {
  return isScalar(node) && node.value !== null && typeof node.value !== 'object' ? String(node.value) : null;
}

export function checkMappingText(file: string, text: string, name: string): CheckedFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const r = new Reporter(file, text, counter);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const [start, end] = error.pos;
      const from = counter.linePos(start);
      const to = counter.linePos(end);
      r.diagnostics.push({
        file, line: from.line, col: from.col, endLine: to.line, endCol: to.col, severity: 'error',
        code: mappingMessages.yamlSyntax.code, message: formatMappingMessage('yamlSyntax', [error.message.split('\n')[0]]),
        lineText: text.split(/\r?\n/)[from.line - 1],
      });
    }
    return { raw: null, diagnostics: r.diagnostics };
  }
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) r.at('badFileName', doc.contents, [name]);
  if (!isMap(doc.contents)) {
    r.at('notAMap', doc.contents, []);
    return { raw: null, diagnostics: r.diagnostics };
  }
  const top = doc.contents;
  for (const pair of top.items) {
    const key = keyText(pair);
    const value = pair.value as Node | null;
    switch (key) {
      case 'preset': choice(r, value, 'preset', presetNames); break;
      case 'timezone': {
        const tz = scalarText(value);
        if (tz === null) r.at('badType', value ?? (pair.key as Node), ['timezone', 'a time zone name']);
        else if (!isTimeZone(tz)) r.at('badTimezone', value, [tz]);
        break;
      }
      case 'date_format': choice(r, value, 'date_format', dateFormats); break;
      case 'unknown_owner': choice(r, value, 'unknown_owner', ['error', 'keep']); break;
      case 'deal': case 'lead': case 'rep': checkEntity(r, key, value); break;
      case 'webhook': checkWebhook(r, value); break;
      default: unknownKey(r, pair, key, 'the mapping', topKeys);
    }
  }
  const raw = doc.toJS() as Record<string, unknown>;
  if (raw.preset === undefined && !(raw.webhook as { signature?: unknown } | undefined)?.signature) r.at('noSignature', top, [name]);
  // The source name prefixes the event ids, keys the CRM lock and lists rejections: a preset's
  // events are named after the preset unless its file is named otherwise. Renaming such a file
  // would break idempotency for events already stored, so it is only warned about.
  const presetPair = top.items.find((pair) => keyText(pair) === 'preset');
  if (typeof raw.preset === 'string' && (presetNames as readonly string[]).includes(raw.preset) && raw.preset !== name && presetPair) {
    r.at('presetFileName', presetPair.value as Node, [raw.preset, name]);
  }
  return { raw, diagnostics: r.diagnostics };
}

function unknownKey(r: Reporter, pair: Pair, key: string, where: string, expected: readonly string[]): void {
  r.at('unknownKey', pair.key as Node, [key, where, expected.join(', ')], closest(key, expected));
}

function choice(r: Reporter, node: Node | null, what: string, allowed: readonly string[]): string | null {
  const text = scalarText(node);
  if (text === null) { r.at('badType', node, [what, `one of ${allowed.join(', ')}`]); return null; }
  if (!allowed.includes(text)) { r.at('badChoice', node, [what, allowed.join(', '), text], closest(text, allowed)); return null; }
  return text;
}

function asMap(r: Reporter, node: Node | null, what: string): YAMLMap | null {
  if (node === null || (isScalar(node) && node.value === null)) return null;
  if (!isMap(node)) { r.at('badType', node, [what, 'a map of keys']); return null; }
  return node;
}

function checkEntity(r: Reporter, entity: Entity, node: Node | null): void {
  const map = asMap(r, node, entity);
  if (!map) return;
  for (const pair of map.items) {
    const key = keyText(pair);
    const value = pair.value as Node | null;
    const where = `${entity}.${key}`;
    switch (key) {
      case 'objects':
        if (!(scalarText(value) !== null || (isSeq(value) && value.items.every((i) => scalarText(i) !== null)))) {
          r.at('badType', value ?? (pair.key as Node), [where, 'an object name or a list of them']);
        }
        break;
      case 'fields': case 'csv': checkSources(r, entity, where, value); break;
      case 'types': {
        if (entity !== 'deal') { unknownKey(r, pair, key, entity, entityKeys.filter((k) => !dealOnly.includes(k))); break; }
        const typesMap = asMap(r, value, where);
        for (const type of typesMap?.items ?? []) choice(r, type.value as Node | null, `the type of "${keyText(type)}"`, ['new', 'renewal', 'expansion']);
        break;
      }
      case 'stages': {
        if (entity !== 'deal') { unknownKey(r, pair, key, entity, entityKeys.filter((k) => !dealOnly.includes(k))); break; }
        const stagesMap = asMap(r, value, where);
        for (const stage of stagesMap?.items ?? []) choice(r, stage.value as Node | null, `the stage of "${keyText(stage)}"`, stages);
        break;
      }
      case 'unknown_stage': choice(r, value, where, [...stages, 'error']); break;
      case 'missing_amount': {
        if (entity !== 'deal') { unknownKey(r, pair, key, entity, entityKeys.filter((k) => !dealOnly.includes(k))); break; }
        if (value === null || (isScalar(value) && value.value === null)) {
          r.at('badType', pair.key as Node, [where, `one of ${missingAmountChoices.join(', ')}, or a map of stages (open, won, lost) to them`]);
        } else checkMissingAmount(r, where, value);
        break;
      }
      case 'currency': {
        const code = scalarText(value);
        if (code === null || !/^[A-Z]{3}$/.test(code)) r.at('badCurrency', value ?? (pair.key as Node), [code ?? '']);
        break;
      }
      case 'events': checkEvents(r, entity, where, value); break;
      default: unknownKey(r, pair, key, entity, entityKeys);
    }
  }
}

/** `missing_amount: zero` for every stage, or per stage: `missing_amount: { open: zero, won: error }`. */
function checkMissingAmount(r: Reporter, where: string, node: Node): void {
  if (!isMap(node)) { choice(r, node, where, missingAmountChoices); return; }
  for (const pair of node.items) {
    const stage = keyText(pair);
    if (!stages.includes(stage)) { unknownKey(r, pair, stage, where, stages); continue; }
    const value = pair.value as Node | null;
    if (value === null || (isScalar(value) && value.value === null)) {
      r.at('badType', pair.key as Node, [`${where}.${stage}`, `one of ${missingAmountChoices.join(', ')}`]);
    } else choice(r, value, `${where}.${stage}`, missingAmountChoices);
  }
}

function checkSources(r: Reporter, entity: Entity, where: string, node: Node | null): void {
  const map = asMap(r, node, where);
  for (const pair of map?.items ?? []) {
    const field = keyText(pair);
    if (!mappableFields[entity].includes(field)) {
      r.at('unknownField', pair.key as Node, [entity, field], closest(field, mappableFields[entity]));
      continue;
    }
    const value = pair.value as Node | null;
    const valid = value === null || (isScalar(value) && value.value === null) || scalarText(value) !== null ||
      (isSeq(value) && value.items.length > 0 && value.items.every((i) => scalarText(i) !== null));
    if (!valid) r.at('badType', value ?? (pair.key as Node), [`${where}.${field}`, 'a field name, a list of them (joined by a space), or null to drop it']);
  }
}

function checkEvents(r: Reporter, entity: Entity, where: string, node: Node | null): void {
  const map = asMap(r, node, where);
  if (!map) return;
  const changes = entity === 'deal' ? ['created', 'updated', 'won', 'lost'] : ['created', 'updated'];
  const allowed = entity === 'rep' ? [] : entityEvents[entity];
  for (const pair of map.items) {
    const change = keyText(pair);
    if (!changes.includes(change)) { unknownKey(r, pair, change, where, changes); continue; }
    const value = pair.value as Node | null;
    const event = scalarText(value);
    if (event === null || event === 'none') continue;
    if (!allowed.includes(event as never)) r.at('badEvent', value, [event, entity, allowed.join(', ') || '(no events)'], closest(event, allowed));
  }
}

function checkWebhook(r: Reporter, node: Node | null): void {
  const map = asMap(r, node, 'webhook');
  for (const pair of map?.items ?? []) {
    const key = keyText(pair);
    const value = pair.value as Node | null;
    if (key === 'signature') {
      const sig = asMap(r, value, 'webhook.signature');
      for (const s of sig?.items ?? []) {
        const k = keyText(s);
        const v = s.value as Node | null;
        if (k === 'algorithm') choice(r, v, 'webhook.signature.algorithm', ['sha1', 'sha256', 'sha512']);
        else if (k === 'encoding') choice(r, v, 'webhook.signature.encoding', ['hex', 'base64']);
        else if (k === 'header') {
          const header = scalarText(v);
          if (header === null || !/^[A-Za-z0-9-]+$/.test(header)) r.at('badType', v ?? (s.key as Node), ['webhook.signature.header', 'an HTTP header name']);
        } else if (k !== 'prefix') unknownKey(r, s, k, 'webhook.signature', signatureKeys);
      }
      if (sig && !sig.items.some((s) => keyText(s) === 'header')) r.at('badType', sig, ['webhook.signature', 'a map with at least a header']);
    } else if (key === 'event_id') {
      if (!(scalarText(value) !== null || (isSeq(value) && value.items.every((i) => scalarText(i) !== null)))) {
        r.at('badType', value ?? (pair.key as Node), ['webhook.event_id', 'a field path or a list of them']);
      }
    } else if (webhookKeys.includes(key)) {
      if (value !== null && scalarText(value) === null && !(isScalar(value) && value.value === null)) r.at('badType', value, [`webhook.${key}`, 'a text value']);
    } else unknownKey(r, pair, key, 'webhook', webhookKeys);
  }
}
