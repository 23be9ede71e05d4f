// How a statement shows attainment, a money measure and the metrics a bonus condition read, so
// that no figure contradicts what the statement decided. Rounded half up, 119.999% showed as "120.00%" on a
// statement that rightly did not give the reward `when attainment >= 120%`. Shown instead: two
// decimals rounded down ("119.99"), which agrees with every `<`, `<=` and `>=` bound of up to two
// decimals; where the two-decimal figure would still make a condition or the band reached come out
// the other way (`attainment > 120%` at 120.004%), as many more decimals as it takes ("120.004").
// Goal emails do the same (src/activities/goal-figures.ts). A money measure credited by a share or
// converted at an 8-decimal rate has digits past the minor unit (119,999.995 USD showed as
// "120,000.00 USD" beside a bonus `when revenue < 120000 USD` that was paid): it is shown to the
// minor unit rounded down, with more digits on the same terms. Decisions use the exact value;
// this only chooses the text.
import { cmpFixed, mulFixed, ratioFloor, withoutTrailingZeros, type Fixed } from '../money/fixed.js';

const PLACES = 2;
/** Past this many decimals a quotient that never ends is shown cut there (conditions with arithmetic on attainment only). */
const MOST_PLACES = 12;

export const FIXED_ONE: Fixed = { units: 1n, scale: 0 };

/**
 * num ÷ den for people to read: the fewest decimals (at least `least`, rounded down) at which
 * `agrees` holds on the shown figure; the exact value once the decimals reach it.
 */
export function shownRatio(num: Fixed, den: Fixed, agrees: (shown: Fixed) => boolean, least = PLACES): Fixed {
  const most = Math.max(MOST_PLACES, least + MOST_PLACES - PLACES);
  for (let places = least; places < most; places++) {
    const shown = ratioFloor(num, den, places);
    if (cmpFixed(mulFixed(shown, den), num) === 0 || agrees(shown)) return shown;
  }
  // Cut there: trailing zeros of the cut say nothing ("0.00", not "0.000000000000" for 2e-13%).
  const cut = withoutTrailingZeros(ratioFloor(num, den, most));
  return cut.scale >= least ? cut : { units: cut.units * 10n ** BigInt(least - cut.scale), scale: least };
}

/** An amount for people to read: at least the currency's minor digits, rounded down, as `shownRatio`. */
export function shownAmount(amount: Fixed, minor: number, agrees: (shown: Fixed) => boolean): Fixed {
  return shownRatio(amount, FIXED_ONE, agrees, minor);
}
