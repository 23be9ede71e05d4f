// How goal emails show attainment (and a measure that is itself a percent, such as win_rate) so
// that the figure never contradicts the checkpoint that sent it. Rounded half up, 39.9999% showed
// as "40%" in an alert that fired because attainment was under 40%. Shown instead: two decimals
// rounded down ("39.99%"), which agrees with every `<`, `<=` and `>=` bound of up to two decimals
// (a shown "100%" means 100% was reached); where the two-decimal figure would still make the
// condition come out the other way (`attainment > 40%` at 40.00001%), as many more decimals as it
// takes ("40.00001%"). The decision itself is made on the exact value; this only chooses the text.
// Statements show attainment by the same rule, through the same function (src/payouts/shown-figures.ts).
import { fixedText, parseFixed, plainFixed } from '../money/fixed.js';
import { Decimal } from '../money/index.js';
import { measureMoney } from '../payouts/render.js';
import { FIXED_ONE, shownAmount, shownRatio } from '../payouts/shown-figures.js';
import { minorUnits } from '../plan/catalog.js';

export interface ShownFigure {
  /** As the email writes it: "39.99%", "9,999.99 USD". */
  text: string;
  /** The figure shown, to check the next figure of the same email against. */
  value: Decimal;
}

/**
 * `exact` for an email: the fewest decimals (at least two, rounded down) at which `agrees` holds,
 * i.e. at which the checkpoint's condition, evaluated on the shown figure, comes out as it did on
 * the exact one; the exact value when no shorter figure agrees.
 */
export function shownPercent(exact: Decimal, agrees: (shown: Decimal) => boolean): ShownFigure {
  const fixed = parseFixed(exact.toFixed());
  if (!fixed) return { text: `${exact.toFixed()}%`, value: exact };
  const shown = plainFixed(shownRatio(fixed, FIXED_ONE, (v) => agrees(new Decimal(plainFixed(v)))));
  return { text: `${shown}%`, value: new Decimal(shown) };
}

/**
 * A money measure for an email: to the currency's minor unit rounded down ("9,999.99 USD" for
 * 9,999.995), with more digits when `agrees` needs them, as statements show theirs. Rounded half up,
 * an alert sent because revenue was under 10,000 USD read "10,000.00 USD of 10,000.00 USD".
 */
export function shownMoney(exact: Decimal, currency: string, agrees: (shown: Decimal) => boolean): ShownFigure {
  const fixed = parseFixed(exact.toFixed());
  if (!fixed) return { text: measureMoney(exact.toFixed(), currency), value: exact };
  const shown = shownAmount(fixed, minorUnits(currency), (v) => agrees(new Decimal(plainFixed(v))));
  return { text: measureMoney(fixedText(shown, shown.scale), currency), value: new Decimal(plainFixed(shown)) };
}
