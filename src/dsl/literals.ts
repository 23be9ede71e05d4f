// Turns literal lexemes into values. Kept apart from the grammar so the formatter and tests can
// reuse it, and so the parser's actions stay one-liners.
import type { DurationUnitName, LiteralValue } from './ast.js';

export function plainNumber(text: string): string {
  return text.replace(/_/g, '');
}

export function moneyValue(image: string): LiteralValue {
  // `1000 usd` reaches here too, already reported by the lexer: read it as the code it means.
  const match = /^([\d_.]+)\s*([A-Za-z]\w*)$/.exec(image);
  return { type: 'money', amount: plainNumber(match?.[1] ?? '0'), currency: match?.[2]?.toUpperCase() ?? 'XXX' };
}

export function durationValue(image: string): LiteralValue {
  const words = image.trim().split(/\s+/);
  const amount = plainNumber(words[0] ?? '0');
  const business = words.length === 3;
  const unitWord = (words[words.length - 1] ?? 'days').replace(/s$/, '');
  const units: Record<string, DurationUnitName> = { minute: 'minutes', hour: 'hours', day: 'days', week: 'weeks' };
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
    default:
      return raw;
  }
}

export interface StringProblem {
  kind: 'badEscape';
  escape: string;
  /** Offset of the backslash inside the lexeme. */
  at: number;
}

/** The value of a quoted string lexeme; escapes other than \" \\ \n \t are reported. */
export function stringValue(image: string, terminated: boolean): { value: string; problems: StringProblem[] } {
  const inner = image.slice(1, terminated ? -1 : undefined);
  const problems: StringProblem[] = [];
  let value = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = inner[i + 1] ?? '';
    const escapes: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };
    const decoded = escapes[next];
    if (decoded === undefined) problems.push({ kind: 'badEscape', escape: `\\${next}`, at: i + 1 });
    value += decoded ?? next;
    i++;
  }
  return { value, problems };
}
