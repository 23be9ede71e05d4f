// goal "..." { for reps; measure; target ... per PERIOD; every ... { send }; at N% of period
// [when] { send }; at end of period { send } } (SPEC §5).
import { builtinMetrics, periodKinds, type PeriodKind } from '../plan/catalog.js';
import type { Expr, GoalCheckpoint, Send, Value } from '../plan/schema.js';
import type { ExprNode, Name, RuleDeclaration, Span, Statement } from './ast.js';
import { checkSchedule, checkSend, singleStatements, statementLabels, type RuleContext } from './check-common.js';
import { checkCondition, literalToValue } from './check-expr.js';
import { closest, type DiagnosticBag } from './diagnostics.js';
import type { CheckedRule } from './drafts.js';
import { finerThanMinorUnit } from './minor-unit.js';
import type { ExprScope } from './scope.js';

const goalStatements = new Set(['for', 'measure', 'target', 'every', 'atPercent', 'atEnd']);

export function checkPeriod(name: Name, bag: DiagnosticBag): PeriodKind | null {
  if ((periodKinds as readonly string[]).includes(name.text)) return name.text as PeriodKind;
  bag.report('unknownPeriod', name.span, [name.text], closest(name.text, periodKinds));
  return null;
}

export interface MeasureInfo {
  metric: string;
  builtin: boolean;
  type: 'money' | 'number' | 'percent';
}

export function checkMeasure(name: Name, ctx: RuleContext): MeasureInfo | null {
  const builtin = builtinMetrics[name.text];
  if (builtin) return { metric: name.text, builtin: true, type: builtin.type };
  const custom = ctx.customMetrics.get(name.text);
  // A metric whose declaration broke before its aggregate has no type to check the target against.
  if (custom) return custom.type === null ? null : { metric: name.text, builtin: false, type: custom.type };
  ctx.bag.report('unknownMetric', name.span, [name.text], closest(name.text, [...Object.keys(builtinMetrics), ...ctx.customMetrics.keys()]));
  return null;
}

/** The target must be of the measure's type: money for revenue, a number for deals_won. */
export function checkTarget(target: Extract<Statement, { kind: 'target' }>, measure: MeasureInfo | null, bag: DiagnosticBag, currency?: string): Value | null {
  const value = literalToValue(target.value, bag);
  if (!value) return null;
  const expected = measure?.type;
  if (!['money', 'number', 'percent'].includes(value.type)) {
    bag.report('numberExpected', target.value.span, ['an amount of money, a number or a percent']);
    return null;
  }
  if (measure && expected !== value.type) {
    const example = value.type === 'number' ? target.value.raw : '100';
    const wanted = expected === 'money' ? `an amount of money (like ${example} ${currency ?? 'EUR'})` : expected === 'percent' ? 'a percent' : 'a number';
    // `target 100000` for revenue: the amount in the file's currency is the likely fix.
    // `target 50` for win_rate: the percent is the likely fix.
    const fix = expected === 'money' && value.type === 'number' && currency ? `${target.value.raw} ${currency}`
      : expected === 'percent' && value.type === 'number' ? `${target.value.raw}%`
      : undefined;
    bag.report('measureType', target.value.span, [measure.metric, expected === 'money' ? 'money' : `a ${expected}`, wanted], fix);
    return null;
  }
  // `target 100000.005 USD`: statements and goal emails show "100,000.01 USD", while attainment
  // divides by 100000.005 (80,000 USD reads 79.99% of a target shown as 100,000.01).
  if (value.type === 'money') {
    const finer = finerThanMinorUnit(value.value);
    if (finer) bag.report('finerMoneyFigure', target.value.span, [`the target ${finer.written}`, value.value.currency, finer.digits, finer.rounded, 'attainment is computed on the amount as written'], finer.suggestion);
  }
  return value;
}

/**
 * A goal's target must be more than zero: attainment (measure ÷ target) is undefined otherwise, so
 * every email would read "unknown" and no `when attainment < N%` alert could ever fire. (An
 * incentive's may be zero: its statement handles it, as for a rep prorated to no days.)
 */
function checkGoalTarget(target: Extract<Statement, { kind: 'target' }>, value: Value | null, bag: DiagnosticBag): Value | null {
  if (!value) return null;
  const amount = value.type === 'money' ? value.value.amount : value.value;
  if (/^0+(\.0+)?$/.test(String(amount))) {
    bag.report('zeroTarget', target.value.span);
    return null;
  }
  return value;
}

/** A recipient as the rule wrote it: `rep`, `rep.manager`, `"vp@acme.example"`. */
function recipientText(to: Send['to'][number]): string {
  return to.kind === 'entity' ? to.entity : to.kind === 'field' ? `${to.entity}.${to.field}` : `"${to.address}"`;
}

/**
 * Two check-ins that send one template to one recipient at the same moment on the same condition
 * (`every monday at 09:00` beside `every weekday at 09:00`, `at 100% of period` beside `at end of
 * period`) mail it twice at once; the rep sees a duplicate, never anything useful. `sentAt` maps
 * each moment, template, recipient and condition sent so far to its check-in.
 */
function warnRepeatedSends(
  when: GoalCheckpoint['when'], condition: Expr | null, sends: Send[], span: Span, sentAt: Map<string, Span>, bag: DiagnosticBag,
): void {
  const moments = when.kind === 'every' ? when.schedule.days.map((day) => `${day}@${when.schedule.at}`)
    : when.kind === 'end' || Number(when.percent) === 100 ? ['end'] : [`${Number(when.percent)}%`];
  const conditionKey = JSON.stringify(condition, (key, value) => (key === 'source' || key === 'span' ? undefined : value));
  for (const send of sends) {
    for (const to of send.to) {
      for (const moment of moments) {
        const key = `${moment}|${send.template}|${JSON.stringify(to)}|${conditionKey}`;
        const earlier = sentAt.get(key);
        if (earlier === undefined) sentAt.set(key, span);
        else if (earlier !== span) {
          bag.report('repeatedCheckinSend', span, [send.template, recipientText(to), String(earlier.line)]);
          return;
        }
      }
    }
  }
}

export function checkGoal(decl: RuleDeclaration, id: string, ctx: RuleContext): CheckedRule | null {
  const { bag } = ctx;
  const name = decl.name.value;
  for (const statement of decl.body) {
    if (!goalStatements.has(statement.kind) || (statement.kind === 'every' && statement.forReps)) {
      const label = statement.kind === 'every' ? 'every ... for reps' : statementLabels[statement.kind];
      bag.report('statementNotAllowed', statement.span, [label, 'a goal']);
    }
  }
  const single = singleStatements(decl.body, ['for', 'measure', 'target'], name, bag);
  const forReps = single.get('for') as Extract<Statement, { kind: 'for' }> | undefined;
  const measureStatement = single.get('measure') as Extract<Statement, { kind: 'measure' }> | undefined;
  const targetStatement = single.get('target') as Extract<Statement, { kind: 'target' }> | undefined;
  if (!measureStatement) bag.report('missingStatement', decl.name.span, ['goal', name, 'measure METRIC']);
  if (!targetStatement) bag.report('missingStatement', decl.name.span, ['goal', name, 'target AMOUNT per PERIOD']);
  else if (!targetStatement.per) bag.report('missingStatement', targetStatement.span, ['goal', name, 'target ... per PERIOD']);

  const measure = measureStatement ? checkMeasure(measureStatement.metric, ctx) : null;
  const target = targetStatement ? checkGoalTarget(targetStatement, checkTarget(targetStatement, measure, bag, ctx.settings.currency), bag) : null;
  const period = targetStatement?.per ? checkPeriod(targetStatement.per, bag) : null;
  const currency = target?.type === 'money' ? target.value.currency : ctx.settings.currency;
  const usedMetrics = new Set<string>();
  if (measure && !measure.builtin) usedMetrics.add(measure.metric);

  const repScope: ExprScope = {
    entities: ['rep'], where: "a goal's `for reps`", metrics: false, attainment: false, currency,
    customMetrics: ctx.customMetrics, usedMetrics,
  };
  const conditionScope: ExprScope = { ...repScope, where: 'a goal condition', metrics: true, attainment: true };
  const reps = forReps?.where ? checkCondition(forReps.where, repScope, bag) : null;

  const templatesUsed = new Set<string>();
  const checkpoints: GoalCheckpoint[] = [];
  const sentAt = new Map<string, Span>();
  let ok = true;
  const checkpointStatements = decl.body.filter((s) => s.kind === 'atPercent' || s.kind === 'atEnd' || (s.kind === 'every' && s.body));
  checkpointStatements.forEach((statement, index) => {
    const checkpointId = `c${index + 1}`;
    let when: GoalCheckpoint['when'] | null = null;
    let condition: Expr | null = null;
    let body: Statement[] = [];
    if (statement.kind === 'every') {
      const schedule = checkSchedule(statement.schedule, bag);
      when = schedule ? { kind: 'every', schedule } : null;
      body = statement.body ?? [];
    } else if (statement.kind === 'atPercent') {
      const percent = Number(statement.percent.value.type === 'percent' ? statement.percent.value.value : NaN);
      if (!(percent > 0 && percent <= 100)) bag.report('badCheckpointPercent', statement.percent.span, [statement.percent.raw]);
      else when = { kind: 'fraction', percent: (statement.percent.value as { value: string }).value };
      body = statement.body;
    } else if (statement.kind === 'atEnd') {
      when = { kind: 'end' };
      body = statement.body;
    }
    if (statement.kind !== 'every' || statement.body) {
      const whenNode = (statement as { when: ExprNode | null }).when;
      if (whenNode) {
        condition = checkCondition(whenNode, conditionScope, bag);
        if (!condition) ok = false;
      }
    }
    const sends: Send[] = [];
    let sendIndex = 0;
    for (const inner of body) {
      if (inner.kind !== 'send') {
        bag.report('statementNotAllowed', inner.span, [statementLabels[inner.kind], 'a goal check-in (only `send`)']);
        ok = false;
        continue;
      }
      sendIndex++;
      const send = checkSend(inner, `${checkpointId}.s${sendIndex}`, { entities: ['rep'], where: 'a goal', templateScope: 'goal', ruleLabel: `goal "${name}"` }, ctx, templatesUsed);
      if (send) sends.push(send);
      else ok = false;
    }
    if (body.length === 0) bag.report('emptyBlock', statement.span);
    if (!when) ok = false;
    else {
      checkpoints.push({ id: checkpointId, when, condition, sends });
      warnRepeatedSends(when, condition, sends, statement.span, sentAt, bag);
    }
  });
  if (checkpointStatements.length === 0) bag.report('goalWithoutCheckpoints', decl.name.span, [name]);

  if (!measure || !target || !period || (forReps?.where && !reps) || !ok) return null;
  return {
    draft: {
      kind: 'goal', name, id, source: { file: decl.span.file, line: decl.span.line },
      timezone: ctx.settings.timezone, from: ctx.settings.from,
      reps, measure, target, period, checkpoints,
    },
    templates: [...templatesUsed],
    metrics: [...usedMetrics],
  };
}
