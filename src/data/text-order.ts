// SQLite's BINARY collation in JS: the order of TEXT values as UTF-8 bytes, which is code point
// order. JS `<` compares UTF-16 code units instead, which differs for characters above U+FFFF
// (surrogate pairs) against U+E000–U+FFFF. Used to walk two ORDER BY results side by side.

/** A code unit mapped so that comparing mapped units of the first difference gives code point order. */
function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  // Surrogates (code points above U+FFFF) sort after U+E000–U+FFFF; shift them above it.
  if (unit <= 0xdfff) return unit + 0x2000;
  return unit - 0x800;
}

/** Negative, zero or positive, like SQLite comparing `a` and `b` with the BINARY collation. */
export function compareBinary(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}
