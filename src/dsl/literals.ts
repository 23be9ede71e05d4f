// Turns literal lexemes into values. Kept apart from the grammar so the formatter and tests can
// reuse it, and so the parser's actions stay one-liners.
import { minorUnits } from '../plan/catalog.js';
import type { DurationUnitName, LiteralValue } from './ast.js';

export function plainNumber(text: string): string {
  const plain = text.includes('_') ? text.replace(/_/g, '') : text;
  // `1.` or `1.5.3`, already reported by the lexer: read as far as it is a number, so the rule is
  // checked on with a value every later step can read.
  if (!plain.endsWith('.') && plain.indexOf('.') === plain.lastIndexOf('.')) return plain;
  return /^\d+(?:\.\d+)?/.exec(plain)?.[0] ?? '0';
}

/** The power of ten a spreadsheet suffix stands for (`k` thousand, `m`/`mm` million, `b`/`bn` billion), any case. */
export function magnitudeOf(suffix: string): number | undefined {
  return ({ k: 3, m: 6, mm: 6, b: 9, bn: 9 } as Record<string, number>)[suffix.toLowerCase()];
}

/** `1.5` with `m` → `1500000`: exact, by moving the decimal point (never through a float). */
export function withMagnitude(written: string, suffix: string): string {
  const places = magnitudeOf(suffix) ?? 0;
  const [whole, fraction = ''] = written.replace(/_/g, '').split('.');
  const digits = `${whole}${fraction.padEnd(places, '0')}`;
  const point = whole.length + places;
  const value = `${digits.slice(0, point)}${point < digits.length ? `.${digits.slice(point)}` : ''}`;
  return value.replace(/^0+(?=\d)/, '');
}

/**
 * An amount written as a spreadsheet or a European document writes it, and the amount meant:
 * digits grouped in thousands (`100,000`, `1.500.000`, and `100.000` in a currency with fewer than
 * 3 decimals, where a third decimal of 0 would say nothing), or a decimal comma (`10,50`).
 * Undefined for any other number.
 */
export function separatedAmount(written: string, currency: string): { meant: string; kind: 'thousands' | 'point' | 'decimalComma' } | undefined {
  if (/^[1-9]\d{0,2}(,\d{3})+(\.\d+)?$/.test(written)) return { meant: written.replace(/,/g, ''), kind: 'thousands' };
  if (/^[1-9]\d{0,2}(\.\d{3}){2,}$/.test(written)) return { meant: written.replace(/\./g, ''), kind: 'thousands' };
  // A third decimal of 0 says nothing in such a currency (`2.125 EUR` is a spiff's exact amount;
  // `0.500 EUR` cannot be grouped): only `12.500 EUR` is read as grouped.
  if (/^[1-9]\d{0,2}\.\d{2}0$/.test(written) && minorUnits(currency) < 3) return { meant: written.replace('.', ''), kind: 'point' };
  if (/^\d+,\d{1,2}$/.test(written)) return { meant: written.replace(',', '.'), kind: 'decimalComma' };
  return undefined;
}

/** A number's value; `100k` and `100,000`, already reported by the lexer, are read as the number they mean. */
export function numberValue(image: string): string {
  if (image.includes(',')) return separatedAmount(image, '')?.meant ?? plainNumber(image.replace(/,/g, ''));
  const suffixed = /^([\d_.]+)([a-zA-Z]{1,2})$/.exec(image);
  if (suffixed && magnitudeOf(suffixed[2]) !== undefined) return withMagnitude(plainNumber(suffixed[1]), suffixed[2]);
  return plainNumber(image);
}

export function moneyValue(image: string): LiteralValue {
  // `100,000 EUR`, `100.000 EUR` and `10,50 EUR` reach here too, already reported by the lexer: read them as the amount they mean.
  const grouped = /^([\d.,]+)[ \t]+([A-Z]{3})$/.exec(image);
  const meant = grouped ? separatedAmount(grouped[1], grouped[2]) : undefined;
  if (grouped && meant) return { type: 'money', amount: meant.meant, currency: grouped[2] };
  // `100k EUR` reaches here too, already reported by the lexer: read it as the amount it means.
  const suffixed = /^([\d_.]+)([a-zA-Z]{1,2})[ \t]+([A-Z]{3})$/.exec(image);
  if (suffixed && magnitudeOf(suffixed[2]) !== undefined) {
    return { type: 'money', amount: withMagnitude(plainNumber(suffixed[1]), suffixed[2]), currency: suffixed[3] };
  }
  // `1000 usd` reaches here too, already reported by the lexer: read it as the code it means.
  const match = /^([\d_.]+)\s*([A-Za-z]\w*)$/.exec(image);
  return { type: 'money', amount: plainNumber(match?.[1] ?? '0'), currency: match?.[2]?.toUpperCase() ?? 'XXX' };
}

const units: Record<string, DurationUnitName> = { minute: 'minutes', hour: 'hours', day: 'days', week: 'weeks' };

export function durationValue(image: string): LiteralValue {
  const words = image.trim().split(/\s+/);
  const amount = plainNumber(words[0] ?? '0');
  const business = words.length === 3;
  const unitWord = (words[words.length - 1] ?? 'days').replace(/s$/, '');
  const unit: DurationUnitName = business ? 'business_days' : (units[unitWord] ?? 'days');
  return { type: 'duration', amount, unit };
}

/** Normalized display of a literal, as the formatter writes it. */
export function canonicalLiteral(value: LiteralValue, raw: string): string {
  switch (value.type) {
    case 'money': {
      const [amount] = raw.trim().split(/\s+/);
      return `${amount} ${value.currency}`;
    }
    case 'duration':
      return raw.trim().split(/\s+/).join(' ');
    case 'time':
      return value.value;
    default:
      return raw;
  }
}

export interface StringProblem {
  /** badEscape: `\\q`; nulCharacter: a raw U+0000, which no stored text holds and SQL text cannot carry. */
  kind: 'badEscape' | 'nulCharacter';
  escape: string;
  /** Offset of the backslash inside the lexeme. */
  at: number;
}

const escapes: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

/** `value` as a rule file writes it: quoted, with the escapes `stringValue` reads back. */
export function stringLiteral(value: string): string {
  return `"${value.replace(/[\\"\n\t]/g, (c) => `\\${c === '\n' ? 'n' : c === '\t' ? 't' : c}`)}"`;
}

/** The value of a quoted string lexeme; escapes other than \" \\ \n \t are reported. */
export function stringValue(image: string, terminated: boolean): { value: string; problems: StringProblem[] } {
  const inner = image.slice(1, terminated ? -1 : image.length - (endsInLoneBackslash(image) ? 1 : 0));
  const problems: StringProblem[] = [];
  // A NUL ends the SQL text SQLite reads and PostgreSQL refuses it, so a literal holding one would
  // reach `simulate` as a database crash; no CSV, webhook or database value can hold one anyway.
  for (let nul = inner.indexOf('\0'); nul >= 0; nul = inner.indexOf('\0', nul + 1)) {
    problems.push({ kind: 'nulCharacter', escape: '\0', at: nul + 1 });
  }
  // Most strings have no escapes: their value is the text as written (one string, not one per character).
  let backslash = inner.indexOf('\\');
  if (backslash < 0) return { value: inner, problems };
  let value = '';
  let from = 0;
  while (backslash >= 0) {
    const next = inner[backslash + 1] ?? '';
    const decoded = escapes[next];
    if (decoded === undefined) problems.push({ kind: 'badEscape', escape: `\\${next}`, at: backslash + 1 });
    value += inner.slice(from, backslash) + (decoded ?? next);
    from = backslash + 2;
    backslash = from < inner.length ? inner.indexOf('\\', from) : -1;
  }
  return { value: value + inner.slice(from), problems };
}

/**
 * Whether an unterminated string lexeme ends in a backslash that escapes nothing (its line ended
 * there, as if it continued the string): not an escape, and not part of its value.
 */
export function endsInLoneBackslash(image: string): boolean {
  const trailing = /\\*$/.exec(image)![0].length;
  return trailing % 2 === 1;
}
