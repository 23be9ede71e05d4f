// The checker: resolves names across all files (settings, metrics, rule names), checks each rule
// by kind, and checks every template against the scope of each rule kind that sends it. It never
// throws on bad input; every problem is a diagnostic in the bag.
import { builtinMetrics, entityNames } from '../plan/catalog.js';
import type { MetricDef } from '../plan/schema.js';
import { FRONT_MATTER_KEYS, scopePaths, templateScopes, type ParsedTemplate } from '../templates/index.js';
import type { Declaration, MetricDeclaration, RuleDeclaration, RuleFile, SettingsDeclaration, Span, Statement, UnfinishedMetric } from './ast.js';
import { isSender, ruleId, TemplateRegistry, type FileSettings, type KnownTemplate, type RuleContext } from './check-common.js';
import { checkCondition } from './check-expr.js';
import { checkGoal } from './check-goal.js';
import { checkIncentive } from './check-incentive.js';
import { checkSequence } from './check-sequence.js';
import { closest, DiagnosticBag, type Diagnostic, type SpanLike } from './diagnostics.js';
import type { CheckedRule } from './drafts.js';
import type { MessageKey } from './messages.js';
import type { CustomMetricInfo } from './scope.js';
import { isKnownCurrency, isTimeZone, knownCurrencies } from './types.js';
import { zoneSpelling } from '../plan/records.js';

export interface ParsedRuleFile {
  ast: RuleFile;
  /** Offsets of syntax errors: a declaration containing one is checked only in part (no cascades). */
  errorOffsets: number[];
  /** Those of errorOffsets that are a statement of their own (an unknown word where one starts). */
  statementErrorOffsets?: ReadonlySet<number>;
  /** The source text, to tell which statement a syntax error belongs to. */
  text: string;
}

export interface SourceTemplate {
  name: string;
  file: string;
  parsed: ParsedTemplate;
}

export interface CheckInput {
  files: ParsedRuleFile[];
  templates: ReadonlyMap<string, SourceTemplate>;
  /** Where templates are looked for, for the "unknown template" message. */
  templateFolder: string;
}

export interface CheckedProgram {
  metrics: MetricDef[];
  rules: CheckedRule[];
}

const where = (span: Span) => `${span.file}:${span.line}`;

/**
 * The syntax errors inside a declaration. An error at the first token of a declaration belongs to
 * the one before it: that is where a missing `}` is reported, and the declaration that follows is intact.
 */
function errorsIn(decl: Declaration, next: Declaration | undefined, errorOffsets: number[], text: string): number[] {
  if (errorOffsets.length === 0) return errorOffsets;
  let end = next ? next.span.offset : Infinity;
  // A declaration the parser could not build (`metric y = summ(deal.amount)`) leaves no node, so
  // its errors fell to the declaration before it, which was then checked only in part (its unknown
  // fields and type errors went unreported). A line that starts with a declaration keyword after
  // this one's end starts another declaration: errors past its first token are not this one's.
  declarationLine.lastIndex = decl.span.endOffset;
  const found = declarationLine.exec(text);
  if (found) end = Math.min(end, found.index + found[0].length - found[1].length);
  return errorOffsets.filter((o) => o > decl.span.offset && o <= end);
}

const declarationLine = /\n[ \t]*(settings|metric|goal|incentive|sequence)(?![a-zA-Z0-9_])/g;

function checkSettings(file: ParsedRuleFile, bag: DiagnosticBag): FileSettings {
  const blocks = file.ast.declarations.filter((d): d is SettingsDeclaration => d.kind === 'settings');
  blocks.slice(1).forEach((b) => bag.report('duplicateSettings', b.span));
  const settings: FileSettings = { timezone: 'UTC', from: null, currency: undefined };
  const seen = new Set<string>();
  for (const entry of blocks[0]?.entries ?? []) {
    if (seen.has(entry.key)) bag.report('duplicateSetting', entry.span, [entry.key]);
    seen.add(entry.key);
    if (entry.key === 'timezone') {
      // As the tz database spells it: the incentive's period-end schedule runs in this zone, and
      // Temporal looks zones up case-sensitively (`europe/berlin` would fail at apply).
      if (isTimeZone(entry.value)) settings.timezone = zoneSpelling(entry.value);
      else bag.report('unknownTimezone', entry.valueSpan, [entry.value], closest(entry.value, Intl.supportedValuesOf('timeZone')));
    } else if (entry.key === 'currency') {
      if (isKnownCurrency(entry.value)) settings.currency = entry.value;
      // A code that is not 3 capitals (`EURO`) was reported by the lexer already.
      else if (/^[A-Z]{3}$/.test(entry.value)) bag.report('unknownCurrency', entry.valueSpan, [entry.value], closest(entry.value, knownCurrencies()));
    } else {
      if (isSender(entry.value)) settings.from = entry.value;
      else bag.report('badAddress', entry.valueSpan, [entry.value]);
    }
  }
  return settings;
}

function metricType(decl: MetricDeclaration, bag: DiagnosticBag): 'money' | 'number' | null {
  const arg = decl.arg.parts.map((p) => p.text).join('.');
  if (decl.aggregate === 'count') {
    if (arg === 'deal') return 'number';
    bag.report('badMetricArgument', decl.arg.span, [decl.aggregate, arg, 'count counts deals: write count(deal)']);
    return null;
  }
  if (arg === 'deal.amount') return 'money';
  bag.report('badMetricArgument', decl.arg.span, [decl.aggregate, arg, `${decl.aggregate} works on deal.amount`]);
  return null;
}

const reservedMetricNames = new Set<string>([...Object.keys(builtinMetrics), 'attainment', ...entityNames]);

export function check(input: CheckInput, bag: DiagnosticBag): CheckedProgram {
  const settingsByFile = new Map<string, FileSettings>();
  const metricDecls: { decl: MetricDeclaration; errors: number[]; settings: FileSettings; text: string }[] = [];
  const unfinished: UnfinishedMetric[] = [];
  const ruleDecls: { decl: RuleDeclaration; errors: number[]; ownStatements: ReadonlySet<number>; end: number; text: string; settings: FileSettings }[] = [];

  for (const file of input.files) {
    const settings = checkSettings(file, bag);
    settingsByFile.set(file.ast.file, settings);
    const decls = file.ast.declarations;
    unfinished.push(...(file.ast.unfinishedMetrics ?? []));
    decls.forEach((decl, i) => {
      const errors = errorsIn(decl, decls[i + 1], file.errorOffsets, file.text);
      if (decl.kind === 'metric') metricDecls.push({ decl, errors, settings, text: file.text });
      else if (decl.kind !== 'settings') ruleDecls.push({ decl, errors, ownStatements: file.statementErrorOffsets ?? new Set(), end: decls[i + 1]?.span.offset ?? Infinity, text: file.text, settings });
    });
  }

  // Metrics first: rules in any file may use a metric from any other file.
  const customMetrics = new Map<string, CustomMetricInfo>();
  const metricSpans = new Map<string, Span>();
  // In source order, so a duplicate is reported at the later one whichever of them is unfinished.
  const named = [
    ...metricDecls.map(({ decl, errors }) => ({ name: decl.name, decl: decl as MetricDeclaration | null, errors, aggregate: decl.aggregate })),
    ...unfinished.map((u) => ({ name: u.name, decl: null, errors: [], aggregate: u.aggregate })),
  ].sort((a, b) => (a.name.span.file === b.name.span.file ? a.name.span.offset - b.name.span.offset : a.name.span.file < b.name.span.file ? -1 : 1));
  for (const { name: { text: name, span }, decl, errors, aggregate } of named) {
    if (reservedMetricNames.has(name)) bag.report('metricShadowsBuiltin', span, [name]);
    else if (metricSpans.has(name)) bag.report('duplicateMetric', span, [name, where(metricSpans.get(name)!)]);
    else {
      metricSpans.set(name, span);
      // A metric with a syntax error is still defined: its uses are not "unknown metric", and its
      // aggregate alone gives its type (sum, avg, min and max work on money, count counts).
      const byAggregate = aggregate === null ? null : aggregate === 'count' ? 'number' : 'money';
      const argumentIntact = decl && !errors.some((o) => o >= decl.arg.span.offset && o <= decl.arg.span.endOffset);
      const type = decl && argumentIntact ? metricType(decl, bag) ?? byAggregate : byAggregate;
      customMetrics.set(name, { name, type, ...(aggregate ? { aggregate } : {}) });
    }
  }
  const metrics: MetricDef[] = [];
  for (const { decl, errors, settings, text } of metricDecls) {
    const info = customMetrics.get(decl.name.text);
    if (!info || metricSpans.get(decl.name.text) !== decl.name.span) continue;
    const whereScope = {
      entities: ['deal'] as const, where: "a metric's `where`", metrics: false, attainment: false,
      currency: settings.currency, customMetrics, usedMetrics: new Set<string>(),
    };
    if (errors.length > 0) {
      // A `where` the syntax error left whole is checked as usual; not one it went through (the tree
      // recovery built there has holes), nor one it follows on the same line, as for a rule's
      // statements (`>= 50 000 EUR`: the `000 EUR` was meant as part of it).
      const w = decl.where;
      const broken = (o: number) => o >= w!.span.offset && (o <= w!.span.endOffset || /^[ \t]*$/.test(text.slice(w!.span.endOffset, o)));
      if (w && !errors.some(broken)) checkCondition(w, whereScope, bag);
      continue;
    }
    const whereExpr = decl.where ? checkCondition(decl.where, whereScope, bag) : null;
    const arg = decl.arg.parts.map((p) => p.text).join('.');
    metrics.push({
      name: info.name, aggregate: decl.aggregate, entity: 'deal', field: decl.aggregate === 'count' ? null : arg.replace(/^deal\./, ''),
      where: whereExpr, type: info.type ?? (decl.aggregate === 'count' ? 'number' : 'money'), source: { file: decl.span.file, line: decl.span.line },
    });
  }

  const known = new Map<string, KnownTemplate>();
  for (const [name, t] of input.templates) known.set(name, { name, file: t.file, uses: t.parsed.uses });
  const registry = new TemplateRegistry(known, input.templateFolder);

  const rules: CheckedRule[] = [];
  const names = new Map<string, Span>();
  const ids = new Map<string, string>();
  for (const { decl, errors, ownStatements, end, text, settings } of ruleDecls) {
    const name = decl.name.value;
    const first = names.get(name);
    const id = ruleId(name);
    const clash = id ? ids.get(id) : undefined;
    // A rule whose name is taken or gives no id is still checked, and left out of the plan: a
    // copied rule not renamed yet, or named "🚀", must not hide the mistakes in its body until the
    // name is fixed.
    let named = false;
    if (first) bag.report('duplicateRule', decl.name.span, [name, where(first)]);
    else if (!id && decl.name.raw !== '') bag.report('emptyRuleId', decl.name.span);
    else if (clash) bag.report('duplicateRuleId', decl.name.span, [name, id, clash]);
    else named = true;
    if (!first) names.set(name, decl.name.span);
    if (named) ids.set(id, name);
    const ctx = { bag, settings, customMetrics, templates: registry };
    if (errors.length > 0) {
      checkRecovered(decl, id || 'unnamed', { errors, ownStatements, end, text }, ctx);
      continue;
    }
    const checked = checkRule(decl, id || 'unnamed', ctx);
    if (checked && named) rules.push(checked);
  }

  checkTemplates(input.templates, registry, bag);
  return { metrics, rules };
}

function checkRule(decl: RuleDeclaration, id: string, ctx: RuleContext): CheckedRule | null {
  return decl.kind === 'goal' ? checkGoal(decl, id, ctx)
    : decl.kind === 'incentive' ? checkIncentive(decl, id, ctx)
    : checkSequence(decl, id, ctx);
}

/**
 * A rule with a syntax error is checked only in its intact statements, so one typo does not hide
 * the next. What each diagnostic depends on decides whether it is said:
 * - a statement's own text (unknown names, templates, fields, crediting; bad times, dates, bands,
 *   amounts): always, for an intact statement;
 * - the rule's context (the measure and target, which give the currency and the measure's type;
 *   a sequence's trigger, which gives the entities in scope): only when the statements giving it
 *   are intact, else it would only repeat the syntax error;
 * - the rule as a whole (a missing statement, no approval, sends nothing): never, since the
 *   statement the error broke may be the one "missing".
 * A statement is intact when no error lies in it or at the token right after it: that is where a
 * token missing at its end is reported, unless that token is an unknown word starting a statement
 * of its own on a line of its own (`spiff ...` ⏎ `bonsu 5 USD`; a stray word on the statement's
 * own line, `target 100000 oops`, may have been meant as part of it). An error at the first token of a statement the parser
 * built from there (`above pay 15%` ⏎ `credit splitz` with the commission's `}` missing) is the
 * statement before it ending too early: it breaks that one, not the one it found.
 */
function checkRecovered(decl: RuleDeclaration, id: string, source: { errors: number[]; ownStatements: ReadonlySet<number>; end: number; text: string }, ctx: RuleContext): void {
  const startsAnother = (o: number, i: number) => i > 0 && !source.ownStatements.has(o) && decl.body[i].span.offset === o;
  const broken = (i: number) => {
    const statement = decl.body[i];
    const until = decl.body[i + 1]?.span.offset ?? source.end;
    const { offset, endOffset } = statement.span;
    // A table or approval block the file ends in is read as far as it goes: the end of the file
    // right after its last entry is not an error in it.
    const errors = isCut(statement) ? source.errors.filter((o) => o !== endOffset) : source.errors;
    if (errors.some((o) => o >= offset && !startsAnother(o, i) && !source.ownStatements.has(o)
      && (o <= endOffset || (o <= until && onlyBlanksBetween(source.text, endOffset, o))))) return true;
    // An unknown word where a statement may start says the one before parsed whole (a file ending
    // right after it is one too), unless it stands on that statement's own line after a space.
    return errors.some((o) => source.ownStatements.has(o) && o >= offset
      && (o < endOffset || (o > endOffset && o <= until && /^[ \t]+$/.test(source.text.slice(endOffset, o)))));
  };
  const body = decl.body.filter((_, i) => !broken(i));
  if (body.length === 0) return;
  const dropped = decl.body.filter((s) => !body.includes(s));
  const givesContext = (s: Statement) => decl.kind === 'sequence'
    ? s.kind === 'on' || (s.kind === 'every' && Boolean(s.forReps))
    : s.kind === 'measure' || s.kind === 'target';
  const contextKinds = decl.kind === 'sequence' ? [['on', 'every']] : [['measure'], ['target']];
  const contextIntact = !dropped.some(givesContext)
    && contextKinds.every((kinds) => body.some((s) => givesContext(s) && kinds.includes(s.kind)));
  // Its sends do not count as uses of a template: the placeholder check would judge the template
  // against a scope the broken rule may not have.
  const templates = new TemplateRegistry(ctx.templates.templates, ctx.templates.folderHint);
  // A check-in or `if` whose block the file ends in (its text stops before a `}`) is cut short too.
  const endsFile = (s: Statement) => (s.kind === 'if' || s.kind === 'every' || s.kind === 'atPercent' || s.kind === 'atEnd')
    && source.text[s.span.endOffset - 1] !== '}' && onlyBlanksBetween(source.text, s.span.endOffset, source.text.length);
  const cutSpans = body.filter((s) => isCut(s) || endsFile(s)).map((s) => s.span);
  checkRule({ ...decl, body }, id, { ...ctx, bag: new RecoveredDiagnostics(ctx.bag, contextIntact, cutSpans), templates });
}

const isCut = (s: Statement) => (s.kind === 'commission' || s.kind === 'approve') && s.cut === true;

/** Said of a whole table or approval block: a block the file cuts short may have had it further on. */
const wholeBlock = new Set<MessageKey>(['noOtherwise', 'noAboveBand', 'noAboveAmountBand', 'emptyCommission', 'emptyBlock']);

/** Whether only whitespace and comments lie between two offsets. */
function onlyBlanksBetween(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === '#') while (i + 1 < to && text[i + 1] !== '\n' && text[i + 1] !== '\r') i++;
    else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return false;
  }
  return true;
}

/** Decided by the text of one intact statement (see checkRecovered). */
const selfContained = new Set<MessageKey>([
  'unknownEntity', 'unknownField', 'unknownMetric', 'unknownEvent', 'unknownName', 'unknownPeriod', 'unknownTemplate',
  'unknownDay', 'badTime', 'badDate', 'badAddress', 'unknownCurrency', 'badDuration', 'pathTooLong', 'entityIsNotValue',
  'attainmentOutsideRule', 'metricNotAllowed', 'unknownValue', 'statementNotAllowed', 'repeatedStatement', 'twoTriggers',
  'zeroTarget', 'badCheckpointPercent', 'emptyQuietHours', 'repeatedDay', 'effectiveOrder', 'repeatedCheckinSend', 'emptyBlock',
  'bandOrder', 'aboveNotLast', 'fallingRate', 'noAboveBand', 'noAboveAmountBand', 'badBandBound', 'mixedBandBounds',
  'bandAmountOrder', 'emptyCommission', 'noOtherwise', 'spiffPerDeal', 'nonPositiveAmount', 'blankReward', 'duplicateReward',
  'unknownCredit', 'unknownProration', 'unknownConversion',
]);

/** Decided by the rule's context: its measure and target, or a sequence's trigger (see checkRecovered). */
const contextual = new Set<MessageKey>([
  'incentiveCurrency', 'lineCurrency', 'bandCurrency', 'currencyMismatch', 'measureType', 'amountBoundsNeedMoney',
  'commissionNeedsMoney', 'numberExpected', 'typeMismatch', 'operandTypes', 'compareTypes', 'notCondition',
  'mixedListTypes', 'orderingNotPossible', 'entityNotInScope', 'badRecipient', 'stopOnTrigger', 'stopOnRepSequence', 'bandBoundUnit',
]);

/** Passes on the diagnostics a rule with a syntax error can still decide (see checkRecovered); the rest are dropped. */
class RecoveredDiagnostics extends DiagnosticBag {
  constructor(private readonly target: DiagnosticBag, private readonly contextIntact: boolean, private readonly cutSpans: readonly Span[] = []) {
    super();
  }

  override report(key: MessageKey, span: Span | SpanLike, args: readonly (string | number)[] = [], suggestion?: string): Diagnostic {
    const inCut = wholeBlock.has(key) && this.cutSpans.some((c) => c.file === span.file && within(span, c));
    if (!inCut && (selfContained.has(key) || (this.contextIntact && contextual.has(key)))) return this.target.report(key, span, args, suggestion);
    return { file: span.file, line: span.line, col: span.col, endLine: span.endLine, endCol: span.endCol, severity: 'error', code: '', message: '' };
  }
}

/** Whether a span lies inside another, by line and column (a SpanLike may carry no offsets). */
function within(inner: SpanLike, outer: Span): boolean {
  const before = (l1: number, c1: number, l2: number, c2: number) => l1 < l2 || (l1 === l2 && c1 <= c2);
  return before(outer.line, outer.col, inner.line, inner.col) && before(inner.endLine, inner.endCol, outer.endLine, outer.endCol);
}

/** Every placeholder some kind of rule can fill. */
const anyScopePaths: ReadonlySet<string> = new Set(
  (Object.keys(templateScopes) as (keyof typeof templateScopes)[]).flatMap((kind) => [...scopePaths(kind)]),
);

function checkTemplates(templates: ReadonlyMap<string, SourceTemplate>, registry: TemplateRegistry, bag: DiagnosticBag): void {
  for (const template of templates.values()) {
    const span = (line: number, col: number, endCol: number) => ({ file: template.file, line, col, endLine: line, endCol });
    // `subjet: ...` is the subject misspelt: one error at it, offering `subject`, not "no subject
    // line" at the `---` and a warning about an unknown key besides.
    const misspeltSubject = template.parsed.problems.some((p) => p.kind === 'noSubject')
      ? template.parsed.problems.find((p) => p.kind === 'unknownFrontMatterKey' && closest(p.key, FRONT_MATTER_KEYS) === 'subject')
      : undefined;
    for (const problem of template.parsed.problems) {
      const at = span(problem.line, problem.col, problem.endCol);
      if (problem === misspeltSubject) continue;
      if (problem.kind === 'noSubject' && misspeltSubject) {
        bag.report('templateNoSubject', span(misspeltSubject.line, misspeltSubject.col, misspeltSubject.endCol), [template.name], 'subject');
      } else if (problem.kind === 'noSubject') bag.report('templateNoSubject', at, [template.name]);
      else if (problem.kind === 'emptySubject') bag.report('emptySubject', at, [template.name]);
      else if (problem.kind === 'unclosedFrontMatter') bag.report('unclosedFrontMatter', at);
      else if (problem.kind === 'badFrontMatter') bag.report('badFrontMatter', at, [problem.message]);
      else if (problem.kind === 'unknownFrontMatterKey') {
        bag.report('unknownFrontMatterKey', at, [problem.key, FRONT_MATTER_KEYS.join(', ')], closest(problem.key, FRONT_MATTER_KEYS));
      } else bag.report('badPlaceholder', at, [problem.text], problem.fix);
    }
    // A body left out (all of it written in the front matter, a file cut short) mails an empty
    // email; only a template that parsed is judged, so a never-closed front matter is one error.
    const parsedWell = !template.parsed.problems.some((p) => p.kind === 'unclosedFrontMatter' || p.kind === 'badFrontMatter' || p.kind === 'noSubject');
    if (parsedWell && template.parsed.template.body.trim() === '') {
      const line = Math.max(1, template.parsed.frontMatterEndLine);
      // Under the closing `---`, or the `subject:` key of a bare subject line.
      bag.report('emptyTemplateBody', span(line, 1, line === 1 ? 9 : 4), [template.name]);
    }
    const usedIn = registry.usedIn.get(template.name);
    // A template no rule sends (yet) has no one scope to check against; a placeholder that no kind
    // of rule offers is wrong whichever rule comes to send it, so it is a warning now, not a
    // surprise in the first email.
    if (!usedIn) {
      const reported = new Set<string>();
      for (const use of template.parsed.uses) {
        if (anyScopePaths.has(use.path) || reported.has(use.path)) continue;
        reported.add(use.path);
        const near = anyScopePaths.has(`${use.path}.name`) ? `${use.path}.name` : closest(use.path, anyScopePaths);
        bag.report('placeholderInNoScope', span(use.line, use.col, use.endCol), [use.path, template.name], near ? `{{${near}}}` : undefined);
      }
    }
    for (const [kind, user] of usedIn ?? []) {
      const paths = scopePaths(kind);
      const reported = new Set<string>();
      for (const use of template.parsed.uses) {
        if (paths.has(use.path) || reported.has(use.path)) continue;
        reported.add(use.path);
        // `{{lead}}` is an entity, not a value: offer its name.
        const near = paths.has(`${use.path}.name`) ? `${use.path}.name` : closest(use.path, paths);
        bag.report('unknownPlaceholder', span(use.line, use.col, use.endCol), [use.path, templateScopes[kind].description, user],
          near ? `{{${near}}}` : undefined);
      }
    }
  }
}
