// Exact fixed-point decimals on BigInt, for hot paths where decimal.js costs too much (100k
// statements in one `simulate`). A value is an integer count of 10^-scale units, so adding,
// multiplying, comparing and half-up rounding are integer operations: exact, never a JS `number`.
// Division is the one operation not offered as a value: `ratioHalfUp` and `compareRatio` answer
// the two questions statements ask of a quotient (its rounded digits, its order against a bound).

/** units × 10^-scale. `scale` is a small non-negative integer (a count of decimal places). */
export interface Fixed {
  readonly units: bigint;
  readonly scale: number;
}

const POWERS: bigint[] = [1n];

/** 10^n as a BigInt, cached: statements rescale by the same few powers over and over. */
export function pow10(n: number): bigint {
  for (let i = POWERS.length; i <= n; i++) POWERS.push(POWERS[i - 1] * 10n);
  return POWERS[n];
}

export const FIXED_ZERO: Fixed = { units: 0n, scale: 0 };

export function fixed(units: bigint, scale = 0): Fixed {
  return { units, scale };
}

/** A plain decimal string ("1500", "-12.50", "0.000001") exactly; null for anything else. */
export function parseFixed(text: string): Fixed | null {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (i >= n) return null;
  let dot = -1;
  // The digits' value as a number too: exact while there are at most 15 of them (below 2^53),
  // where BigInt of it is cheaper than BigInt of the text without its point.
  let value = 0;
  for (let k = i; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c === 46 /* . */) {
      if (dot !== -1 || k === i || k === n - 1) return null;
      dot = k;
    } else if (c < 48 || c > 57) return null;
    else value = value * 10 + (c - 48);
  }
  const digits = n - i - (dot === -1 ? 0 : 1);
  if (digits <= 15) return { units: BigInt(i === 1 ? -value : value), scale: dot === -1 ? 0 : n - dot - 1 };
  if (dot === -1) return { units: BigInt(text), scale: 0 };
  return { units: BigInt(text.slice(0, dot) + text.slice(dot + 1)), scale: n - dot - 1 };
}

function rescale(a: Fixed, scale: number): bigint {
  return a.scale === scale ? a.units : a.units * pow10(scale - a.scale);
}

export function addFixed(a: Fixed, b: Fixed): Fixed {
  const scale = a.scale > b.scale ? a.scale : b.scale;
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function subFixed(a: Fixed, b: Fixed): Fixed {
  const scale = a.scale > b.scale ? a.scale : b.scale;
  return { units: rescale(a, scale) - rescale(b, scale), scale };
}

export function mulFixed(a: Fixed, b: Fixed): Fixed {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

export function negFixed(a: Fixed): Fixed {
  return { units: -a.units, scale: a.scale };
}

/** -1, 0 or 1, like `Decimal.comparedTo`. */
export function cmpFixed(a: Fixed, b: Fixed): number {
  const scale = a.scale > b.scale ? a.scale : b.scale;
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Integer quotient of n ÷ d (d > 0) rounded half-up: ties away from zero, as ROUND_HALF_UP does. */
function divHalfUp(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let q = abs / d;
  if ((abs - q * d) * 2n >= d) q += 1n;
  return negative ? -q : q;
}

/** Rounded half-up (ties away from zero) to `places` decimals; the result has exactly that scale. */
export function roundFixed(a: Fixed, places: number): Fixed {
  if (a.scale <= places) return { units: rescale(a, places), scale: places };
  return { units: divHalfUp(a.units, pow10(a.scale - places)), scale: places };
}

/** Digits of |units| with the decimal point `scale` places from the right ("-1234", 2 → "-12.34"). */
function pointed(units: bigint, scale: number): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/**
 * Rounded half-up to `places` decimals and written with exactly that many ("15500.00"), like
 * decimal.js `toDecimalPlaces(places, ROUND_HALF_UP).toFixed(places)`: no sign on a zero.
 */
export function fixedText(a: Fixed, places: number): string {
  const r = roundFixed(a, places);
  return pointed(r.units, places);
}

/** Plain decimal text without trailing zeros or exponent ("12.5", "0.000001"), like `Decimal.toFixed()`. */
export function plainFixed(a: Fixed): string {
  const { units, scale } = withoutTrailingZeros(a);
  return pointed(units, scale);
}

/** The same value at its smallest scale: 1.0834500000 has 5 decimals, not 10. */
export function withoutTrailingZeros(a: Fixed): Fixed {
  let { units, scale } = a;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale--;
  }
  return { units, scale };
}

/** (num ÷ den) rounded half-up to `places` decimals, exactly (den ≠ 0). */
export function ratioHalfUp(num: Fixed, den: Fixed, places: number): Fixed {
  // num/den = (num.units·10^den.scale) / (den.units·10^num.scale); scale the numerator by 10^places.
  let n = num.units * pow10(den.scale + places);
  let d = den.units * pow10(num.scale);
  if (d < 0n) { n = -n; d = -d; }
  return { units: divHalfUp(n, d), scale: places };
}

/** (num ÷ den) rounded down (toward −∞) to `places` decimals, exactly (den ≠ 0). */
export function ratioFloor(num: Fixed, den: Fixed, places: number): Fixed {
  let n = num.units * pow10(den.scale + places);
  let d = den.units * pow10(num.scale);
  if (d < 0n) { n = -n; d = -d; }
  const q = n / d;
  // BigInt division truncates toward zero; a negative quotient with a remainder is one lower.
  return { units: n < 0n && q * d !== n ? q - 1n : q, scale: places };
}

/** Order of (num ÷ den) against `bound`, exactly, without dividing (den ≠ 0). */
export function compareRatio(num: Fixed, den: Fixed, bound: Fixed): number {
  return compareScaledRatio(num, den, mulFixed(bound, den));
}

/** compareRatio with bound × den already computed (callers comparing many quotients with one bound). */
export function compareScaledRatio(num: Fixed, den: Fixed, boundTimesDen: Fixed): number {
  // num/den ? bound  ⇔  num ? bound·den when den > 0 (flipped when den < 0).
  const order = cmpFixed(num, boundTimesDen);
  return den.units < 0n ? -order : order;
}

/** Count of significant integer-and-fraction digits of units: a size guard for callers. */
export function digitCount(a: Fixed): number {
  const u = a.units < 0n ? -a.units : a.units;
  return u === 0n ? 1 : u.toString().length;
}
