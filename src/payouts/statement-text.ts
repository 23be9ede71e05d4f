// The words of a statement: every line description and warning, from amounts already formatted.
// Both statement paths (decimal.js and fixed-point) write through these, so their text can only
// differ if their numbers do, and the property test compares the numbers.
//
// Texts are joined from arrays rather than built with `+` or template literals: V8 keeps a `+`
// result as a tree of pieces (a cons string), and 100k statements held by `simulate` would keep
// three times the memory of their flat text, all of it traced by the garbage collector.
import { fixedText, parseFixed, withoutTrailingZeros } from '../money/fixed.js';
import { minorUnits } from '../plan/catalog.js';

/** One flat string of the parts. */
function flat(...parts: string[]): string {
  return parts.join('');
}

/** "1234567.50" → "1,234,567.50 USD": display of an already formatted amount, without re-rounding. */
export function grouped(fixed: string, currency: string): string {
  const negative = fixed.charCodeAt(0) === 45; // '-'
  const digits = negative ? fixed.slice(1) : fixed;
  const dot = digits.indexOf('.');
  const wholeLength = dot === -1 ? digits.length : dot;
  if (wholeLength <= 3) return `${fixed} ${currency}`;
  let out = digits.slice(0, wholeLength % 3 || 3);
  for (let i = wholeLength % 3 || 3; i < wholeLength; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return `${negative ? '-' : ''}${out}${dot === -1 ? '' : digits.slice(dot)} ${currency}`;
}

export function listIds(ids: string[]): string {
  const shown = ids.slice(0, 5).join(', ');
  return ids.length > 5 ? `${shown} and ${ids.length - 5} more` : shown;
}

export function retroactiveText(name: string, measureShown: string, attainmentPlain: string | null, label: string, rateShown: string, amountShown: string): string {
  const at = attainmentPlain !== null ? ` at ${attainmentPlain}% attainment` : '';
  return flat('retroactive: ', name, ' ', measureShown, at, ' reaches band "', label, '"; ', measureShown, ' × ', rateShown, ' = ', amountShown);
}

export function marginalText(name: string, range: string, label: string, portionShown: string, rateShown: string, amountShown: string): string {
  return flat('marginal: ', name, ' ', range, ' (band "', label, '"): ', portionShown, ' × ', rateShown, ' = ', amountShown);
}

export function bandRange(lowerShown: string, boundShown: string | null): string {
  return boundShown === null ? `above ${lowerShown}` : `${lowerShown} to ${boundShown}`;
}

export function pastLastBandWarning(name: string, lowerShown: string): string {
  return flat(name, ' past the last band bound (', lowerShown, ') earns no commission: the rule has no "above" band');
}

export function windowCutWarning(start: string, end: string, period: string): string {
  return flat('only deals closed ', start, ' to ', end, " count: the rule's effective dates cut ", period);
}

/**
 * A deal's stored amount ("8000", "48000.10") as the statement shows money ("8,000.00 GBP"): the
 * currency's minor digits, or all of the stored ones when there are more; never rounded.
 */
function dealAmountShown(amount: string, currency: string): string {
  const value = parseFixed(amount);
  if (!value) return `${amount} ${currency}`;
  const exact = withoutTrailingZeros(value);
  return grouped(fixedText(exact, Math.max(minorUnits(currency), exact.scale)), currency);
}

/** `what` names what is in `statementCurrency`: a statement, or a goal's figures. */
export function leftOutWarning(deal: { id: string; stage: string; amount: string; currency: string }, statementCurrency: string, what = 'the statement is'): string {
  return flat('deal ', deal.id, ' (', deal.stage, ', ', dealAmountShown(deal.amount, deal.currency), ') is left out: it is in ', deal.currency,
    ', ', what, ' in ', statementCurrency, ' (no currency conversion)');
}

export function noRateWarning(deal: { id: string; stage: string; amount: string; currency: string; firstRateFrom?: string }, statementCurrency: string, on: string): string {
  // The pair has rates, all from later dates: a rate row from on or before the deal's date is what is missing.
  if (deal.firstRateFrom) {
    return flat('deal ', deal.id, ' (', deal.stage, ', ', dealAmountShown(deal.amount, deal.currency), ') is left out: no ', deal.currency, ' to ',
      statementCurrency, ' rate is effective on ', on, ': the first is from ', deal.firstRateFrom, ' (import --kind rates: a ', deal.currency, ' to ',
      statementCurrency, ' row from ', on, ' or earlier)');
  }
  // A rate imported the other way round (USD,GBP for a GBP deal on a USD statement) is the likely
  // mistake, and rates are never inverted: the warning says which row is needed.
  return flat('deal ', deal.id, ' (', deal.stage, ', ', dealAmountShown(deal.amount, deal.currency), ') is left out: no ', deal.currency, ' to ',
    statementCurrency, ' rate is effective on ', on, ' (import --kind rates: currency ', deal.currency, ', to ', statementCurrency,
    '; a ', statementCurrency, ' to ', deal.currency, ' rate is not used the other way)');
}

/**
 * `prorate target by employment` for a rep hired (or gone) inside the period, whose credited deals
 * closed before the start date (or after the end date) raise attainment against a target cut for
 * the days employed. Said on the statement, naming the deals, so comp ops can see it.
 * - `credit team` (a manager): the SPEC credits the team's deals of the whole period (the data holds
 *   who manages whom now, not since when); every team deal is named.
 * - otherwise: a deal counts in the period it closes in (SPEC §5), the rep's own and shared ones
 *   alike; the first five are named.
 */
export function outsideEmploymentWarning(
  rep: string, before: { date: string; deals: string[] } | null, after: { date: string; deals: string[] } | null, fraction: string, team: boolean,
): string {
  const noun = team ? 'team deal' : 'deal';
  const ids = (deals: string[]) => (team ? deals.join(', ') : listIds(deals));
  const parts: string[] = [];
  if (before) parts.push(flat(noun, before.deals.length === 1 ? ' ' : 's ', ids(before.deals), ' closed before ', rep, "'s start_date ", before.date));
  if (after) parts.push(flat(noun, after.deals.length === 1 ? ' ' : 's ', ids(after.deals), ' closed after ', rep, "'s end_date ", after.date));
  const one = (before?.deals.length ?? 0) + (after?.deals.length ?? 0) === 1;
  const why = team ? "`credit team` counts the team's deals of the whole period" : 'a deal counts in the period it closes in';
  return flat(parts.join(' and '), one ? ' counts' : ' count', ' in the measure: ', why, ', while `prorate` cuts the target to ', fraction, ' days employed');
}

/**
 * `prorate target by employment` for a rep employed none of the period (hired after it, or gone
 * before it). The SPEC's arithmetic gives a target of 0; it says nothing more, so the statement is
 * computed as written, and this warning makes sure comp ops look at it: a 0 target puts any
 * credited measure past every band.
 */
export function notEmployedWarning(rep: string, period: string, dates: string, targetShown: string, credited: boolean): string {
  return flat(rep, ' was not employed in ', period, ' (', dates, '): the target is prorated to ', targetShown,
    credited ? '; all of the measure credited to this rep falls past the last band bound' : '');
}

export function undefinedMeasureWarning(metric: string, period: string): string {
  return `${metric} is not defined for ${period}: no commission`;
}

export function nonMoneyMeasureWarning(metric: string, type: string): string {
  return `commission needs a money measure; ${metric} is a ${type}`;
}

export function otherCurrencyWarning(description: string, currency: string, statementCurrency: string): string {
  return `${description}: pays in ${currency}, the statement is in ${statementCurrency}; not paid`;
}

export function bonusText(description: string, values: string, amountShown: string): string {
  return flat(description, ': condition holds', values, '; ', amountShown);
}

/** The values a condition read, for the line's explanation: " (deals_won = 12, attainment = 160.00%)". */
export function conditionValuesText(shown: string[]): string {
  return shown.length ? ` (${shown.join(', ')})` : '';
}

/** `split`: the deals credited at a share below 100% ("D7 at 60%"), paid that share of the spiff. */
export function spiffText(description: string, ids: string[], eachShown: string, amountShown: string, split: string[] = []): string {
  const shares = split.length ? flat('; split: ', listIds(split)) : '';
  return flat(description, ': ', String(ids.length), ' matching won deal', ids.length === 1 ? '' : 's', ' (', listIds(ids), ') × ',
    eachShown, shares, ' = ', amountShown);
}

export function capCurrencyWarning(capCurrency: string, statementCurrency: string): string {
  return `cap is in ${capCurrency}, the statement is in ${statementCurrency}; not applied`;
}

export function capText(capShown: string, totalShown: string, cutShown: string): string {
  return flat('cap ', capShown, ': total ', totalShown, ' cut by ', cutShown);
}

/** Share labels on statements: why a deal counts for the rep. */
const creditLabels = { own: 'own deal', revenue: 'revenue share', overlay: 'overlay share', team: 'team deal' } as const;

/**
 * One credited deal as the statement shows it: "D7 (2026-02-03): 60% revenue share of 50,000.00
 * EUR at 1.08 EUR→USD (rate from 2026-01-01) = 32,400.00 USD". Amounts are shown to minor units;
 * the measure adds up the exact ones.
 */
export function creditedText(
  c: { deal: string; type: keyof typeof creditLabels; share: string; closedAt: string; amount: string; currency: string; conversion?: { rate: string; from: string }; credited: string },
  amountShown: string,
  creditedShown: string,
  statementCurrency: string,
): string {
  // An own or team deal counts whole; a revenue or overlay share always names its percent, 100% too.
  const share = c.share === '100' && (c.type === 'own' || c.type === 'team') ? '' : `${c.share}% `;
  const rate = c.conversion ? flat(' at ', c.conversion.rate, ' ', c.currency, '→', statementCurrency, ' (rate from ', c.conversion.from, ')') : '';
  return flat(c.deal, ' (', c.closedAt, '): ', share, creditLabels[c.type], ' of ', amountShown, rate, ' = ', creditedShown);
}

/** "target 250,000.00 USD × 17/31 = 137,096.77 USD (employed part of the period)". */
export function prorationText(p: { fraction: string; target: string; prorated: string; bounds?: string[]; over?: { start: string; end: string } }, show: (amount: string) => string): string {
  const bounds = p.bounds?.length ? flat('; band bounds ', p.bounds.map(show).join(', ')) : '';
  const over = p.over ? flat(" of the rule's part of the period, ", p.over.start, ' to ', p.over.end) : '';
  return flat('target ', show(p.target), ' × ', p.fraction, ' days employed', over, ' = ', show(p.prorated), bounds);
}
