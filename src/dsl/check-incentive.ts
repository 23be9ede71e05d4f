// incentive "..." { for reps; period; effective; measure; target; commission { bands }; bonus;
// spiff; cap; reward; approve by ... { escalate; otherwise } } (SPEC §5).
import { lookupTable } from '../plan/catalog.js';
import type { Duration, Expr, IncentiveRule, Money } from '../plan/schema.js';
import { incentiveTemplateNames } from '../templates/index.js';
import type { CommissionBandNode, LiteralNode, RuleDeclaration, Statement } from './ast.js';
import { checkRecipient, singleStatements, statementLabels, type RuleContext } from './check-common.js';
import { checkDuration } from './check-duration.js';
import { checkCondition, literalToValue } from './check-expr.js';
import { checkMeasure, checkPeriod, checkTarget } from './check-goal.js';
import { closest, type DiagnosticBag } from './diagnostics.js';
import type { CheckedRule } from './drafts.js';
import { finerThanMinorUnit } from './minor-unit.js';
import { printExpr } from './print-expr.js';
import type { ExprScope } from './scope.js';

type Of<K extends Statement['kind']> = Extract<Statement, { kind: K }>;

const incentiveStatements = new Set([
  'for', 'period', 'effective', 'measure', 'target', 'commission', 'bonus', 'spiff', 'cap', 'reward', 'approve',
  'credit', 'prorate', 'convert',
]);

/** Compares two plain decimal strings without going through binary floating point. */
export function compareDecimals(a: string, b: string): number {
  const [ai, af = ''] = a.replace(/^-/, '').split('.');
  const [bi, bf = ''] = b.replace(/^-/, '').split('.');
  const sign = (s: string) => (s.startsWith('-') && !/^-0+(\.0+)?$/.test(s) ? -1 : 1);
  if (sign(a) !== sign(b)) return sign(a) - sign(b);
  const intA = ai.replace(/^0+/, '');
  const intB = bi.replace(/^0+/, '');
  const width = Math.max(af.length, bf.length);
  const left = `${intA.padStart(Math.max(intA.length, intB.length), '0')}${af.padEnd(width, '0')}`;
  const right = `${intB.padStart(Math.max(intA.length, intB.length), '0')}${bf.padEnd(width, '0')}`;
  const order = left < right ? -1 : left > right ? 1 : 0;
  return sign(a) * order;
}

const isZero = (d: string) => /^-?0+(\.0+)?$/.test(d);

/**
 * A bonus, spiff or cap amount in the rule's currency. `paidAsIs`: the amount is paid (bonus) or
 * bounds the total (cap) as written, so one finer than the currency's minor unit is a warning; a
 * spiff is exact per deal (count × amount is rounded once, so `spiff 0.125 USD` is legal).
 */
function checkAmount(node: LiteralNode, currency: string | undefined, bag: DiagnosticBag, paidAsIs = true): Money | null {
  const value = literalToValue(node, bag);
  if (!value || value.type !== 'money') return null;
  if (isZero(value.value.amount)) {
    bag.report('nonPositiveAmount', node.span);
    return null;
  }
  if (currency && value.value.currency !== currency) {
    bag.report('lineCurrency', node.span, [value.value.currency, currency]);
    return null;
  }
  // `bonus 100.5 JPY` paid 101 JPY without a word: each line is rounded to the minor unit (SPEC §3),
  // so an amount finer than it is not what the rule author reads, nor what payroll sees.
  const finer = paidAsIs ? finerThanMinorUnit(value.value) : null;
  if (finer) bag.report('finerThanMinorUnit', node.span, [finer.written, value.value.currency, finer.digits, finer.rounded]);
  return value.value;
}

type Band = { upTo: string | null; rate: string };

/**
 * Bands with their bounds: all % of target, or all amounts in the target's currency (the first
 * bound decides which; a bound of the other kind is an error, as is one that does not rise).
 */
function checkBands(bands: CommissionBandNode[], targetCurrency: string | null, bag: DiagnosticBag): { bands: Band[]; amounts: boolean } {
  const result: Band[] = [];
  const firstBound = bands.find((b) => b.upTo !== null && b.upTo.value.type !== 'number')?.upTo ?? null;
  const amounts = firstBound?.value.type === 'money';
  let previousBound: string | null = null;
  let previousShown = '';
  let previousRate: string | null = null;
  bands.forEach((band, index) => {
    const rate = band.pay.value.type === 'percent' ? band.pay.value.value : '0';
    if (band.upTo === null) {
      if (index !== bands.length - 1) bag.report('aboveNotLast', band.span);
    } else {
      const value = band.upTo.value;
      const isAmount = value.type === 'money';
      if (value.type === 'number') {
        bag.report('bandBoundUnit', band.upTo.span, ...boundUnitFix(band.upTo.raw, value.value, firstBound ? amounts : null, targetCurrency));
      } else if (isAmount !== amounts) {
        bag.report('mixedBandBounds', band.upTo.span, [amounts ? 'an amount' : 'a % of target']);
      } else {
        const bound = value.type === 'money' ? value.amount : value.type === 'percent' ? value.value : '0';
        const shown = value.type === 'money' ? `${bound} ${value.currency}` : `${bound}%`;
        if (value.type === 'money' && targetCurrency !== null && value.currency !== targetCurrency) {
          bag.report('bandCurrency', band.upTo.span, [value.currency, targetCurrency], `${bound} ${targetCurrency}`);
        } else if (value.type === 'money') {
          // `up to 150000.001 USD`: statements show the band as "to 150,000.00 USD" while the
          // measure is compared with 150000.001, so what the rep reads is not the bound applied.
          const finer = finerThanMinorUnit({ amount: bound, currency: value.currency });
          if (finer) bag.report('finerMoneyFigure', band.upTo.span, [`the band bound ${finer.written}`, value.currency, finer.digits, finer.rounded, 'the measure is compared with the bound as written'], finer.suggestion);
        }
        if (isZero(bound)) bag.report('badBandBound', band.upTo.span, [value.type === 'money' ? `0 ${value.currency}` : '0%']);
        else if (previousBound !== null && compareDecimals(bound, previousBound) <= 0) {
          if (isAmount) bag.report('bandAmountOrder', band.upTo.span, [shown, previousShown]);
          else bag.report('bandOrder', band.upTo.span, [bound, previousBound]);
        }
        previousBound = bound;
        previousShown = shown;
      }
    }
    if (previousRate !== null && compareDecimals(rate, previousRate) < 0) bag.report('fallingRate', band.pay.span, [previousRate, rate]);
    previousRate = rate;
    result.push({ upTo: band.upTo === null ? null : previousBound, rate });
  });
  const last = bands[bands.length - 1];
  if (last && last.upTo !== null && previousBound !== null) {
    if (amounts) bag.report('noAboveAmountBand', last.span, [previousShown]);
    else bag.report('noAboveBand', last.span, [previousBound]);
  }
  return { bands: result, amounts };
}

/**
 * What `up to 100` (no unit) is reported with: the bound written both ways the table allows, and
 * the one suggested: the kind the table's other bounds use, else a % for a number that reads as
 * an attainment (up to 1000) and an amount for a larger one (`up to 150000`).
 */
function boundUnitFix(written: string, value: string, amounts: boolean | null, targetCurrency: string | null): [string[], string] {
  const percent = `up to ${written}%`;
  if (targetCurrency === null) return [[written, `\`${percent}\` (a % of target)`], percent];
  const amount = `up to ${written} ${targetCurrency}`;
  const asAmount = amounts ?? compareDecimals(value, '1000') > 0;
  const ways = asAmount ? `\`${amount}\` (an amount of the measure) or \`${percent}\` (a % of target)` : `\`${percent}\` (a % of target) or \`${amount}\` (an amount of the measure)`;
  return [[written, ways], asAmount ? amount : percent];
}

const creditForms: Record<string, NonNullable<IncentiveRule['credit']>> = lookupTable({
  'splits': 'splits', 'overlay splits': 'overlay', 'all splits': 'all', 'team': 'team', 'team all levels': 'team_all_levels',
});

function checkCredit(statement: Of<'credit'>, bag: DiagnosticBag): IncentiveRule['credit'] | null {
  const written = statement.words.map((w) => w.text).join(' ');
  const form = creditForms[written];
  if (form) return form;
  const near = closest(written, Object.keys(creditForms));
  bag.report('unknownCredit', statement.span, [written], near && `credit ${near}`);
  return null;
}

function checkProrate(statement: Of<'prorate'>, bag: DiagnosticBag): IncentiveRule['prorate'] | null {
  if (statement.basis.text === 'employment') return 'employment';
  bag.report('unknownProration', statement.basis.span, [statement.basis.text], closest(statement.basis.text, ['employment']));
  return null;
}

/** What a measure that does not add up over a period's days is, for SF6026; null for a sum or a count. */
function measureKind(measure: { metric: string; builtin: boolean }, ctx: RuleContext): { what: string; half: string } | null {
  if (measure.builtin) {
    switch (measure.metric) {
      case 'win_rate': return { what: 'a rate', half: 'half the win rate' };
      case 'avg_deal_size': return { what: 'an average', half: 'deals of half the size' };
      case 'pipeline': return { what: 'the open amount now', half: 'half the open pipeline' };
      default: return null;
    }
  }
  const aggregate = ctx.customMetrics.get(measure.metric)?.aggregate;
  if (aggregate === 'avg') return { what: 'an average', half: 'half the average' };
  if (aggregate === 'min' || aggregate === 'max') return { what: `the ${aggregate === 'min' ? 'smallest' : 'largest'} deal`, half: `a deal half the size` };
  return null;
}

/** The currencies, other than the rule's, that `deal.amount` is compared with in a condition. */
function foreignAmountComparisons(expr: Expr, currency: string): string[] {
  const found = new Set<string>();
  const isAmount = (e: Expr) => e.kind === 'field' && e.entity === 'deal' && e.field === 'amount';
  const moneyCurrency = (e: Expr) => (e.kind === 'literal' && e.value.type === 'money' ? e.value.value.currency : null);
  const walk = (e: Expr): void => {
    if (e.kind !== 'binary') { if (e.kind === 'not') walk(e.operand); return; }
    if (e.op === 'and' || e.op === 'or') { walk(e.left); walk(e.right); return; }
    const other = isAmount(e.left) ? moneyCurrency(e.right) : isAmount(e.right) ? moneyCurrency(e.left) : null;
    if (other && other !== currency) found.add(other);
  };
  walk(expr);
  return [...found];
}

function checkConvert(statement: Of<'convert'>, bag: DiagnosticBag): IncentiveRule['convert'] | null {
  const [what, which, rate] = statement.words.map((w) => w.text);
  if (what === 'currencies' && which === 'closing' && rate === 'rate') return 'closing_rate';
  const written = `${what} at ${which} ${rate}`;
  // The fix said once: as the suggestion when the words are near it, else in the message.
  const near = closest(written, ['currencies at closing rate']) && 'convert currencies at closing rate';
  bag.report('unknownConversion', statement.span, [written, near ? '' : ': write `convert currencies at closing rate`'], near);
  return null;
}

export function checkIncentive(decl: RuleDeclaration, id: string, ctx: RuleContext): CheckedRule | null {
  const { bag } = ctx;
  const name = decl.name.value;
  const errorsBefore = bag.errorCount();
  for (const statement of decl.body) {
    if (!incentiveStatements.has(statement.kind)) bag.report('statementNotAllowed', statement.span, [statementLabels[statement.kind], 'an incentive']);
  }
  const single = singleStatements(decl.body, ['for', 'period', 'effective', 'measure', 'target', 'commission', 'cap', 'approve', 'credit', 'prorate', 'convert'], name, bag);
  const get = <K extends Statement['kind']>(k: K) => single.get(k) as Of<K> | undefined;
  const measureStatement = get('measure');
  const targetStatement = get('target');
  if (!measureStatement) bag.report('missingStatement', decl.name.span, ['incentive', name, 'measure METRIC']);
  if (!targetStatement) bag.report('missingStatement', decl.name.span, ['incentive', name, 'target AMOUNT']);
  const measure = measureStatement ? checkMeasure(measureStatement.metric, ctx) : null;
  const target = targetStatement ? checkTarget(targetStatement, measure, bag, ctx.settings.currency) : null;

  const periodStatement = get('period');
  let period = periodStatement ? checkPeriod(periodStatement.period, bag) : null;
  if (targetStatement?.per) {
    const per = checkPeriod(targetStatement.per, bag);
    if (periodStatement && per && per !== period) bag.report('repeatedStatement', targetStatement.per.span, ['period', name]);
    period ??= per;
  }
  if (!periodStatement && !targetStatement?.per) bag.report('missingStatement', decl.name.span, ['incentive', name, 'period PERIOD']);

  let effective: IncentiveRule['effective'] = { from: null, to: null };
  const effectiveStatement = get('effective');
  if (effectiveStatement) {
    const from = literalToValue(effectiveStatement.from, bag);
    const to = literalToValue(effectiveStatement.to, bag);
    if (from?.type === 'date' && to?.type === 'date') {
      if (to.value < from.value) bag.report('effectiveOrder', effectiveStatement.span, [from.value, to.value]);
      effective = { from: from.value, to: to.value };
    }
  }

  const currency = target?.type === 'money' ? target.value.currency : ctx.settings.currency;
  if (!currency && target) bag.report('incentiveCurrency', decl.name.span, [name]);
  const usedMetrics = new Set<string>();
  if (measure && !measure.builtin) usedMetrics.add(measure.metric);
  const repScope: ExprScope = {
    entities: ['rep'], where: "an incentive's `for reps`", metrics: false, attainment: false, currency,
    customMetrics: ctx.customMetrics, usedMetrics,
  };
  const conditionScope: ExprScope = { ...repScope, where: 'an incentive condition', metrics: true, attainment: true };
  const dealScope: ExprScope = { ...repScope, entities: ['deal', 'rep'], where: "a spiff's `where`" };
  const forReps = get('for');
  const reps = forReps?.where ? checkCondition(forReps.where, repScope, bag) : null;

  const commissionStatement = get('commission');
  const targetCurrency = target?.type === 'money' ? target.value.currency : null;
  const checkedBands = commissionStatement ? checkBands(commissionStatement.bands, targetCurrency, bag) : null;
  if (commissionStatement && checkedBands?.amounts && measure && measure.type !== 'money') {
    bag.report('amountBoundsNeedMoney', commissionStatement.span, [name, `${measure.metric}, a ${measure.type}`]);
  } else if (commissionStatement && measure && measure.type !== 'money') {
    // A warning, not an error: such a rule still runs (bonuses, spiffs, rewards), and check reads no data.
    bag.report('commissionNeedsMoney', commissionStatement.span, [name, `${measure.metric}, a ${measure.type}`]);
  }
  const commission: IncentiveRule['commission'] = commissionStatement && checkedBands
    ? { method: commissionStatement.method, bands: checkedBands.bands, ...(checkedBands.amounts ? { bounds: 'amount' as const } : {}) }
    : null;
  const creditStatement = get('credit');
  const credit = creditStatement ? checkCredit(creditStatement, bag) : null;
  const prorateStatement = get('prorate');
  const prorate = prorateStatement ? checkProrate(prorateStatement, bag) : null;
  if (prorate && measure) {
    // Days employed scale a total (revenue, a count), not a rate, an average or a snapshot: a 50%
    // win-rate target prorated to 24.19% paid a rep at a 33% win rate as 137% attained.
    const kind = measureKind(measure, ctx);
    if (kind) bag.report('prorateNeedsTotal', prorateStatement!.span, [measure.metric, kind.what, kind.half]);
  }
  const convertStatement = get('convert');
  const convert = convertStatement ? checkConvert(convertStatement, bag) : null;
  if (commissionStatement && commissionStatement.bands.length === 0) bag.report('emptyCommission', commissionStatement.span); // not "sends nothing": a commission pays

  const bonuses: IncentiveRule['bonuses'] = [];
  const spiffs: IncentiveRule['spiffs'] = [];
  const rewards: IncentiveRule['rewards'] = [];
  for (const statement of decl.body) {
    if (statement.kind === 'bonus') {
      const amount = checkAmount(statement.amount, currency, bag);
      const when = checkCondition(statement.when, conditionScope, bag);
      if (amount && when) bonuses.push({ id: `bonus${bonuses.length + 1}`, amount, when, description: `bonus when ${printExpr(statement.when)}` });
    } else if (statement.kind === 'spiff') {
      const amount = checkAmount(statement.amount, currency, bag, false);
      if (statement.per.text !== 'deal') bag.report('spiffPerDeal', statement.per.span);
      const where = statement.where ? checkCondition(statement.where, dealScope, bag) : null;
      if (where && currency) {
        // Amounts are never converted to a literal's currency: only deals in that currency can
        // match, and without `convert` those are left out of the rule altogether.
        for (const other of foreignAmountComparisons(where, currency)) {
          bag.report('foreignAmountInSpiff', statement.where!.span, [other, currency, convert
            ? `only deals in ${other} can match (on their own amount); deals in ${currency}, or converted to ${currency}, are never compared with ${other} amounts`
            : `it never matches: deals in ${other} are left out of the incentive (no \`convert\`), and deals in ${currency} are never compared with ${other} amounts`]);
        }
      }
      const description = statement.where ? `spiff per won deal where ${printExpr(statement.where)}` : 'spiff per won deal';
      if (amount) spiffs.push({ id: `spiff${spiffs.length + 1}`, amount, where, description });
    } else if (statement.kind === 'reward') {
      const name = statement.text.value.trim();
      if (name === '') bag.report('blankReward', statement.text.span);
      else if (rewards.some((r) => r.reward.trim().toLowerCase() === name.toLowerCase())) bag.report('duplicateReward', statement.text.span, [name]);
      const when = statement.when ? checkCondition(statement.when, conditionScope, bag) : null;
      const description = statement.when ? `${statement.text.value} when ${printExpr(statement.when)}` : statement.text.value;
      rewards.push({ id: `reward${rewards.length + 1}`, reward: statement.text.value, when, description });
    }
  }
  const capStatement = get('cap');
  const cap = capStatement ? checkAmount(capStatement.amount, currency, bag) : null;

  const approveStatement = get('approve');
  let approval: IncentiveRule['approval'] = null;
  if (approveStatement) {
    const approver = checkRecipient(approveStatement.by, ['rep'], 'an incentive', bag);
    const within = checkDuration(approveStatement.within, bag);
    const escalations = approveStatement.escalations.map((e) => {
      const to = checkRecipient(e.to, ['rep'], 'an incentive', bag);
      const duration = checkDuration(e.within, bag);
      return to && duration ? { to, within: duration } : null;
    });
    if (!approveStatement.otherwise) bag.report('noOtherwise', approveStatement.span);
    if (approver && within && escalations.every((e) => e !== null)) {
      approval = {
        approver, within, escalations: escalations as { to: typeof approver; within: Duration }[],
        otherwise: approveStatement.otherwise?.decision ?? 'reject',
      };
    }
  } else {
    bag.report('noApproval', decl.name.span, [name]);
  }
  if (!commissionStatement && bonuses.length + spiffs.length + rewards.length === 0 && decl.body.length > 0) {
    bag.report('incentiveNothingPaid', decl.name.span, [name]);
  }

  const templates: string[] = approveStatement
    ? [incentiveTemplateNames.approval, incentiveTemplateNames.statement, incentiveTemplateNames.rejected]
    : [incentiveTemplateNames.statement];
  for (const template of templates) ctx.templates.markUsed(template, 'incentive', `incentive "${name}" at ${decl.span.file}:${decl.span.line}`);

  const errorsAfter = bag.errorCount();
  if (errorsAfter > errorsBefore || !measure || !target || !period || !currency) return null;
  return {
    draft: {
      kind: 'incentive', name, id, source: { file: decl.span.file, line: decl.span.line },
      timezone: ctx.settings.timezone, from: ctx.settings.from,
      reps, period, effective, measure, target, currency, commission, bonuses, spiffs, cap, rewards, approval,
      // Only when written, so the plan of a rule without them is exactly what it was.
      ...(credit ? { credit } : {}), ...(prorate ? { prorate } : {}), ...(convert ? { convert } : {}),
    },
    templates,
    metrics: [...usedMetrics],
  };
}
