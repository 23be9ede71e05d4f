// Checks shared by all rule kinds: recipients, weekly schedules, sends and the templates they name,
// and which statements a place allows.
import { createHash } from 'node:crypto';
import { entityFields, entityNames, weekdays, type EntityName, type Weekday } from '../plan/catalog.js';
import type { Recipient, Send, WeeklySchedule } from '../plan/schema.js';
import type { PlaceholderUse, TemplateScopeKind } from '../templates/index.js';
import type { RecipientNode, ScheduleNode, Span, Statement, StatementKind, StringNode } from './ast.js';
import { closest, type DiagnosticBag } from './diagnostics.js';
import type { CustomMetricInfo } from './scope.js';
import { normalizeTime } from './types.js';

export interface FileSettings {
  timezone: string;
  from: string | null;
  currency: string | undefined;
}

// One plain address, as recipients and senders are both written: no spaces, one @, a dot in the host.
const emailPattern = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

export function isEmailAddress(text: string): boolean {
  return emailPattern.test(text);
}

/**
 * A sender is `ops@acme.example` or `Sales Ops <ops@acme.example>`. The display name may not hold
 * `, ; " < > @`: mailers would read those as a second address or a quoted part.
 */
export function isSender(text: string): boolean {
  const named = /^([^<>@,;"]*)<([^<>]+)>$/.exec(text.trim());
  return named ? isEmailAddress(named[2]) : isEmailAddress(text.trim());
}

export interface KnownTemplate {
  name: string;
  file: string;
  uses: PlaceholderUse[];
}

/** Which templates exist, and which rule kinds use each (for the placeholder check afterwards). */
export class TemplateRegistry {
  /** Template → rule kind → the first send of it there, named for messages. */
  readonly usedIn = new Map<string, Map<TemplateScopeKind, string>>();
  constructor(readonly templates: ReadonlyMap<string, KnownTemplate>, readonly folderHint: string) {}

  use(name: StringNode, scope: TemplateScopeKind, user: string, bag: DiagnosticBag): boolean {
    if (!this.templates.has(name.value)) {
      bag.report('unknownTemplate', name.span, [name.value, `${this.folderHint}/${name.value}.md`],
        closest(name.value, this.templates.keys()) ?? undefined);
      return false;
    }
    if (!this.usedIn.get(name.value)?.has(scope)) this.markUsed(name.value, scope, `${user} at ${name.span.file}:${name.span.line}`);
    return true;
  }

  markUsed(name: string, scope: TemplateScopeKind, user: string): void {
    let kinds = this.usedIn.get(name);
    if (!kinds) this.usedIn.set(name, (kinds = new Map()));
    if (!kinds.has(scope)) kinds.set(scope, user);
  }
}

export interface RuleContext {
  bag: DiagnosticBag;
  settings: FileSettings;
  customMetrics: ReadonlyMap<string, CustomMetricInfo>;
  templates: TemplateRegistry;
}

export const statementLabels: Record<StatementKind, string> = {
  for: 'for reps', measure: 'measure', target: 'target', period: 'period', effective: 'effective',
  every: 'every', atPercent: 'at N% of period', atEnd: 'at end of period', send: 'send',
  commission: 'commission', bonus: 'bonus', spiff: 'spiff', cap: 'cap', reward: 'reward',
  credit: 'credit', prorate: 'prorate target by', convert: 'convert currencies at closing rate',
  approve: 'approve by', on: 'on', stopOn: 'stop on', quietHours: 'quiet hours', wait: 'wait', if: 'if',
};

/** Reports statements given twice where one is expected; returns the first of each kind. */
export function singleStatements(body: Statement[], kinds: StatementKind[], ruleName: string, bag: DiagnosticBag): Map<StatementKind, Statement> {
  const seen = new Map<StatementKind, Statement>();
  for (const statement of body) {
    if (!kinds.includes(statement.kind)) continue;
    if (seen.has(statement.kind)) bag.report('repeatedStatement', statement.span, [statementLabels[statement.kind], ruleName]);
    else seen.set(statement.kind, statement);
  }
  return seen;
}

export function checkRecipient(node: RecipientNode, entities: readonly EntityName[], where: string, bag: DiagnosticBag): Recipient | null {
  if (node.kind === 'address') {
    const address = node.value.value.trim();
    if (!isEmailAddress(address)) {
      bag.report('badAddress', node.span, [address]);
      return null;
    }
    return { kind: 'address', address };
  }
  const [head, field, ...rest] = node.parts;
  const text = () => node.parts.map((p) => p.text).join('.');
  if (!head) return null;
  if (!(entityNames as readonly string[]).includes(head.text)) {
    bag.report('unknownEntity', head.span, [head.text, entities.join(', ')], closest(head.text, entities));
    return null;
  }
  const entity = head.text as EntityName;
  if (!entities.includes(entity)) {
    bag.report('entityNotInScope', head.span, [entity, where]);
    return null;
  }
  if (rest.length > 0) {
    bag.report('pathTooLong', node.span, [text()]);
    return null;
  }
  if (!field) return { kind: 'entity', entity };
  const info = entityFields[entity][field.text];
  if (!info) {
    const mailable = Object.entries(entityFields[entity]).filter(([, i]) => i.holds !== 'none').map(([f]) => f);
    const near = closest(field.text, mailable) ?? closest(field.text, Object.keys(entityFields[entity]));
    bag.report('unknownField', field.span, [entity, field.text], near ? `${entity}.${near}` : undefined);
    return null;
  }
  if (info.holds === 'none') {
    const mailable = Object.entries(entityFields[entity]).filter(([, i]) => i.holds !== 'none').map(([f]) => `${entity}.${f}`);
    bag.report('badRecipient', node.span, [text(), mailable.join(', ')]);
    return null;
  }
  return { kind: 'field', entity, field: field.text, holds: info.holds };
}

export function checkRecipients(nodes: RecipientNode[], entities: readonly EntityName[], where: string, bag: DiagnosticBag): Recipient[] | null {
  const recipients = nodes.map((n) => checkRecipient(n, entities, where, bag));
  return recipients.every((r) => r !== null) ? (recipients as Recipient[]) : null;
}

const weekdaySet: readonly string[] = weekdays;

export function checkSchedule(node: ScheduleNode, bag: DiagnosticBag): WeeklySchedule | null {
  const days = new Set<Weekday>();
  let ok = true;
  for (const day of node.days) {
    const expanded: readonly Weekday[] | undefined =
      day.text === 'day' ? weekdays
      : day.text === 'weekday' ? weekdays.slice(0, 5)
      : weekdaySet.includes(day.text) ? [day.text as Weekday]
      : undefined;
    if (!expanded) {
      // `mon`, `thu`, `thurs`: a day's name shortened is that day, too far from it for a typo.
      const shortened = day.text.length >= 2 ? weekdays.filter((w) => w.startsWith(day.text)) : [];
      bag.report('unknownDay', day.span, [day.text], shortened.length === 1 ? shortened[0] : closest(day.text, [...weekdays, 'day', 'weekday']));
      ok = false;
      continue;
    }
    if (expanded.every((d) => days.has(d))) bag.report('repeatedDay', day.span, [day.text]);
    expanded.forEach((d) => days.add(d));
  }
  const at = checkTime(node.at, bag);
  if (!ok || !at) return null;
  return { days: weekdays.filter((d) => days.has(d)), at };
}

export function checkTime(node: { value: { type: string; value?: unknown }; raw: string; span: Span }, bag: DiagnosticBag): string | null {
  const time = normalizeTime(node.raw);
  if (!time) bag.report('badTime', node.span, [node.raw]);
  return time;
}

export function checkSend(
  statement: Extract<Statement, { kind: 'send' }>,
  id: string,
  scope: { entities: readonly EntityName[]; where: string; templateScope: TemplateScopeKind; ruleLabel: string },
  ctx: RuleContext,
  templatesUsed: Set<string>,
): Send | null {
  const known = ctx.templates.use(statement.template, scope.templateScope, scope.ruleLabel, ctx.bag);
  if (known) templatesUsed.add(statement.template.value);
  const to = checkRecipients(statement.to, scope.entities, scope.where, ctx.bag);
  if (!known || !to) return null;
  return { id, template: statement.template.value, to, source: { file: statement.span.file, line: statement.span.line } };
}

/**
 * Slug used in workflow and schedule ids: lower-case letters, digits and dashes. A name with
 * letters or digits but none of a-z or 0-9 once accents are taken off (`営業目標`, `Цель продаж`)
 * gets `r-` and the first 12 hex digits of the sha256 of its NFC form: it was error SF2010 ("needs
 * at least one letter or digit"), so no plan ever carried another id for it. Empty: no letter or
 * digit at all (`"🚀"`, `"--"`).
 */
export function ruleId(name: string): string {
  // Most names are plain ASCII: skip the Unicode normalization then.
  const ascii = /^[\x20-\x7e]*$/.test(name);
  const slug = (ascii ? name : name.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug || ascii || !/[\p{L}\p{N}]/u.test(name)) return slug;
  return `r-${createHash('sha256').update(name.normalize('NFC').trim(), 'utf8').digest('hex').slice(0, 12)}`;
}
