// JSON from senders (POST /events, CRM webhooks, `events send` files) parsed without losing the
// digits of long numbers. JSON.parse reads every number as a double, which keeps at most 15
// significant digits exactly: `"amount": 99999999999.999999` would become 100000000000 and be
// stored as a different amount, and a 19-digit record id would be rounded into another record's.
// A number literal with more than 15 significant digits is therefore read as a string of its exact
// digits; where a decimal is expected (amounts, scores) the string is taken as written, and where
// a JSON number is required (HubSpot's occurredAt) the value is refused by that field's check.

/** Digits that a double carries exactly (DBL_DIG). */
const EXACT_DIGITS = 15;

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Significant digits of a literal's mantissa: leading and trailing zeros do not count (9000000000000000
 * and 1.50000000000000000 are exact as doubles, and must stay numbers where a number is required).
 */
function significantDigits(literal: string): number {
  const mantissa = literal.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

/** `text` with every long number literal outside strings quoted; null when there is none. */
function quoteLongNumbers(text: string): string | null {
  let out = '';
  let last = 0;
  let changed = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      // Skip the string, escapes included.
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) continue;
      const literal = match[0];
      if (significantDigits(literal) > EXACT_DIGITS) {
        out += `${text.slice(last, i)}"${literal}"`;
        last = i + literal.length;
        changed = true;
      }
      i += literal.length - 1;
    }
  }
  return changed ? out + text.slice(last) : null;
}

/**
 * JSON.parse, except that number literals with more than 15 significant digits come back as strings
 * of their exact digits. Errors are JSON.parse's own on the text as sent (positions included).
 */
export function parseJsonExact(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  const quoted = quoteLongNumbers(text);
  return quoted === null ? value : (JSON.parse(quoted) as unknown);
}
