// How statements are shown: the SPEC §8 JSON shape for scripts, an aligned table for people.
import { addFixed, fixedText, parseFixed, plainFixed, withoutTrailingZeros, type Fixed } from '../money/fixed.js';
import { displayMoney, Decimal } from '../money/index.js';
import { minorUnits } from '../plan/catalog.js';
import type { Statement } from './statement.js';
import { creditedText, grouped, prorationText } from './statement-text.js';

/** Exactly the `simulate --format json` item of SPEC §8. */
export interface StatementJson {
  rule: string;
  rep: string;
  period: string;
  currency: string;
  measure: string | null;
  target: string;
  attainment: string | null;
  lines: { kind: string; description: string; amount: string }[];
  capped: boolean;
  total: string;
  rewards: string[];
  warnings: string[];
  /** Only for rules with `credit` or `convert`. */
  credited?: CreditedJson[];
  /** Only for a prorated rep. */
  proration?: Statement['proration'];
}

/** A credited deal in the JSON: SPEC field names (`closed_at`) and amounts with minor digits. */
export interface CreditedJson {
  deal: string;
  type: string;
  share: string;
  closed_at: string;
  amount: string;
  currency: string;
  conversion?: { rate: string; from: string };
  credited: string;
}

/**
 * An exact amount in major units with at least the currency's minor digits ("30000" USD →
 * "30000.00"), as SPEC §8 writes every amount; a credited amount finer than that (a 1/3 share,
 * a converted deal) keeps all its digits, since it is exact until the line amounts are rounded.
 */
export function majorUnits(amount: string, currency: string): string {
  const value = parseFixed(amount);
  if (!value) return amount;
  const exact = withoutTrailingZeros(value);
  return fixedText(exact, Math.max(minorUnits(currency), exact.scale));
}

function creditedJson(c: NonNullable<Statement['credited']>[number], currency: string): CreditedJson {
  return {
    deal: c.deal,
    type: c.type,
    share: c.share,
    closed_at: c.closedAt,
    amount: majorUnits(c.amount, c.currency),
    currency: c.currency,
    ...(c.conversion ? { conversion: { rate: c.conversion.rate, from: c.conversion.from } } : {}),
    credited: majorUnits(c.credited, currency),
  };
}

export function statementJson(s: Statement): StatementJson {
  return {
    rule: s.rule,
    rep: s.rep,
    period: s.period,
    currency: s.currency,
    measure: s.measure,
    target: s.target,
    attainment: s.attainment,
    lines: s.lines.map((l) => ({ kind: l.kind, description: l.description, amount: l.amount })),
    capped: s.capped,
    total: s.total,
    rewards: [...s.rewards],
    warnings: [...s.warnings],
    ...(s.credited ? { credited: s.credited.map((c) => creditedJson(c, s.currency)) } : {}),
    ...(s.proration ? { proration: s.proration } : {}),
  };
}

/**
 * Said under the credited deals wherever they are listed: the list leaves out a rep's own deals
 * credited whole in the statement's currency, so an approver adding it up against the measure
 * (Zoe: two credited deals for 80,050 USD of a 175,050 USD measure) could not tell why.
 */
export const CREDITED_LIST_SCOPE = 'only deals counted through a share, a team or a currency conversion are listed; the rep\'s own deals, counted whole in the statement\'s currency, are not';

/** The note above, when it applies: team credit lists every deal it counts (a rep's own never count). */
export function creditedListScope(s: Statement): string | null {
  const credited = s.credited ?? [];
  return credited.length > 0 && !credited.some((c) => c.type === 'team') ? CREDITED_LIST_SCOPE : null;
}

/**
 * What a statement's measure and target rest on, one sentence each: the proration of the target,
 * then every credited deal with its share and conversion. Shared by the table, the approval page
 * and the emails, so all three say the same.
 */
export function statementBasis(s: Statement): { proration: string | null; credited: string[] } {
  const show = (amount: string) => displayMoney(new Decimal(amount), s.currency);
  // A count or percent target (`measure deals_won`) is prorated too, but is not money.
  const quantity = s.quantity;
  const target = quantity === undefined ? show : quantity === 'percent' ? (v: string) => `${v}%` : (v: string) => v;
  return {
    proration: s.proration ? prorationText(s.proration, target) : null,
    // A credited amount keeps every digit it has (16,965.625 USD from 15,250 EUR × 1.1125), as the
    // JSON does: it is exact until the line amounts, and rounded here the listed deals did not add
    // up to the measure (a team of ten converted deals listed 517,258.76 USD of 517,258.75).
    // The deal's own amount too (up to 6 decimals): 100.000001 EUR × 1.5 read "100.00 EUR ... = 150.0000015 USD".
    credited: (s.credited ?? []).map((c) => creditedText(c, grouped(majorUnits(c.amount, c.currency), c.currency), grouped(majorUnits(c.credited, s.currency), s.currency), s.currency)),
  };
}

/**
 * "1234.50" USD → "1,234.50 USD". Statement amounts already carry the currency's minor digits
 * and are only grouped; anything else (a custom money measure's average) is rounded first.
 */
function money(amount: string, currency: string): string {
  const dot = amount.indexOf('.');
  const decimals = dot === -1 ? 0 : amount.length - dot - 1;
  return decimals === minorUnits(currency) ? grouped(amount, currency) : displayMoney(new Decimal(amount), currency);
}

/**
 * A statement's money measure for people: every digit it was given, at least the minor ones
 * ("119999.995" → "119,999.995 USD"). The statement chose those digits so the figure reads as its
 * conditions and bands did (shown-figures.ts); rounding it again here would undo that.
 */
export function measureMoney(measure: string, currency: string): string {
  return grouped(majorUnits(measure, currency), currency);
}

function quantity(value: string | null, currency: string, isMoney: boolean, unit = ''): string {
  if (value === null) return 'unknown';
  return isMoney ? money(value, currency) : `${value}${unit}`;
}

/**
 * One statement as a block of the table: header with measure and attainment, aligned lines,
 * total, rewards, warnings, and a blank line after it.
 */
export function statementBlock(s: Statement, isMoney = s.quantity === undefined): string {
  const out: string[] = [];
  const kindWidth = 10;
  const amounts = [...s.lines.map((l) => money(l.amount, s.currency)), money(s.total, s.currency)];
  const width = Math.max(...amounts.map((a) => a.length));
  const attainment = s.attainment === null ? 'n/a' : `${s.attainment}%`;
  out.push(`${s.rule} · ${s.period} · ${s.rep} ${s.repName}`);
  // A percent measure (win_rate) and its target read as percents, as the proration line writes them.
  const unit = s.quantity === 'percent' ? '%' : '';
  const measure = isMoney && s.measure !== null ? measureMoney(s.measure, s.currency) : quantity(s.measure, s.currency, isMoney, unit);
  out.push(`  ${s.measureMetric} ${measure} of target ${quantity(s.target, s.currency, isMoney, unit)} = ${attainment} attainment`);
  const basis = statementBasis(s);
  if (basis.proration) out.push(`  ${'prorated'.padEnd(kindWidth)} ${basis.proration}`);
  for (const credited of basis.credited) out.push(`  ${'credited'.padEnd(kindWidth)} ${credited}`);
  if (s.lines.length === 0) out.push('  (nothing to pay)');
  s.lines.forEach((line, i) => {
    out.push(`  ${line.kind.padEnd(kindWidth)} ${amounts[i].padStart(width)}  ${line.description}`);
  });
  out.push(`  ${'total'.padEnd(kindWidth)} ${amounts[amounts.length - 1].padStart(width)}${s.capped ? '  (capped)' : ''}`);
  for (const reward of s.rewards) out.push(`  reward     ${reward}`);
  for (const warning of s.warnings) out.push(`  warning    ${warning}`);
  out.push('', '');
  return out.join('\n');
}

/** Every statement's block, one after the other. */
export function statementTable(statements: Statement[], measureIsMoney: (s: Statement) => boolean = () => true): string {
  return statements.map((s) => statementBlock(s, measureIsMoney(s))).join('');
}

/** Totals per currency, added up statement by statement, for the last line of the table. */
// Sums on BigInt fixed point: a decimal.js sum per statement was a tenth of simulate's time.
export class Totals {
  private readonly sums = new Map<string, Fixed>();
  private count = 0;

  add(s: Statement): void {
    this.count++;
    const total = parseFixed(s.total);
    if (total === null) throw new Error(`statement ${s.rule} ${s.rep}: total ${s.total} is not a decimal`);
    const sum = this.sums.get(s.currency);
    this.sums.set(s.currency, sum === undefined ? total : addFixed(sum, total));
  }

  line(): string {
    const parts = [...this.sums].map(([cur, sum]) => displayMoney(new Decimal(plainFixed(sum)), cur));
    return `${this.count} statement${this.count === 1 ? '' : 's'}${parts.length ? `, total ${parts.join(' + ')}` : ''}`;
  }
}
