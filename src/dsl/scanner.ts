// A hand-written scanner for the token definitions in lexer.ts. It produces exactly what
// Chevrotain's lexer built from those definitions produced (same tokens, positions and lexing
// errors; tests/dsl/lexer.test.ts compares the two on every fixture and on random text), in a
// single pass over character codes: no regex tried per candidate token, keywords typed as they
// are read, and nothing to build at start-up.
import type { ILexingError, IToken, TokenType } from 'chevrotain';

/** The token types the scanner produces, passed in by lexer.ts (which defines them). */
export interface ScanTypes {
  Identifier: TokenType;
  CurrencyCode: TokenType;
  CurrencyWord: TokenType;
  DateLit: TokenType;
  TimeLit: TokenType;
  MoneyLit: TokenType;
  DurationLit: TokenType;
  PercentLit: TokenType;
  NumberLit: TokenType;
  StringLit: TokenType;
  UnterminatedString: TokenType;
  Comment: TokenType;
  /** Keyed by the punctuation's text. */
  punctuation: ReadonlyMap<string, TokenType>;
  keywords: ReadonlyMap<string, TokenType>;
  /** Sticky copies of the money and duration patterns (tried only after `NUMBER<space>`). */
  money: RegExp;
  duration: RegExp;
}

export interface ScanResult {
  tokens: IToken[];
  comments: IToken[];
  errors: ILexingError[];
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLower = (c: number): boolean => (c >= 97 && c <= 122) || c === 95;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isWordChar = (c: number): boolean => isDigit(c) || isLower(c) || isUpper(c);

const enum Char {
  Tab = 9, Newline = 10, Return = 13, Space = 32, Bang = 33, Quote = 34, Hash = 35, Percent = 37,
  Dot = 46, Colon = 58, Lt = 60, Eq = 61, Gt = 62, Minus = 45, Backslash = 92, Underscore = 95,
}

const tokenTypeIdx = (type: TokenType): number => (type as TokenType & { tokenTypeIdx: number }).tokenTypeIdx;

/** End of `\d(?:_?\d)*(?:\.\d(?:_?\d)*)?` starting at a digit. */
function decimalEnd(text: string, at: number): number {
  let i = digitsEnd(text, at);
  if (text.charCodeAt(i) === Char.Dot && isDigit(text.charCodeAt(i + 1))) i = digitsEnd(text, i + 1);
  return i;
}

function digitsEnd(text: string, at: number): number {
  let i = at + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) i++;
    else if (c === Char.Underscore && isDigit(text.charCodeAt(i + 1))) i += 2;
    else return i;
  }
}

const digitAt = (text: string, at: number): boolean => isDigit(text.charCodeAt(at));

/** `\d{4}-\d{2}-\d{2}(?!\d)` */
function isDate(text: string, at: number): boolean {
  return digitAt(text, at) && digitAt(text, at + 1) && digitAt(text, at + 2) && digitAt(text, at + 3)
    && text.charCodeAt(at + 4) === Char.Minus && digitAt(text, at + 5) && digitAt(text, at + 6)
    && text.charCodeAt(at + 7) === Char.Minus && digitAt(text, at + 8) && digitAt(text, at + 9) && !digitAt(text, at + 10);
}

/** Length of `\d{1,2}:\d{2}(?!\d)` at a digit, or 0. */
function timeLength(text: string, at: number): number {
  const colon = digitAt(text, at + 1) ? at + 2 : at + 1;
  if (text.charCodeAt(colon) !== Char.Colon) return 0;
  return digitAt(text, colon + 1) && digitAt(text, colon + 2) && !digitAt(text, colon + 3) ? colon + 3 - at : 0;
}

/**
 * Where a run of characters no token can start at ends: Chevrotain's recovery skips to the first
 * offset where some token pattern matches. Every pattern matches at its first characters except
 * `!=`, which needs its `=`.
 */
function canStartToken(text: string, at: number, types: ScanTypes): boolean {
  const c = text.charCodeAt(at);
  if (c === Char.Space || c === Char.Tab || c === Char.Newline || c === Char.Return) return true;
  if (c === Char.Hash || c === Char.Quote || isWordChar(c)) return true;
  if (c === Char.Bang) return text.charCodeAt(at + 1) === Char.Eq;
  return types.punctuation.has(text[at]);
}

// Same fields in the same order as Chevrotain's start-only tokens: one object shape throughout.
// (A module function, not a closure in scan: a closure over the position would keep it in a
// heap context, and the scanning loop reads and writes it all the time.)
function token(startOffset: number, startLine: number, startColumn: number, image: string, type: TokenType): IToken {
  return { image, startOffset, startLine, startColumn, tokenTypeIdx: tokenTypeIdx(type), tokenType: type };
}

export function scan(text: string, types: ScanTypes): ScanResult {
  const tokens: IToken[] = [];
  const comments: IToken[] = [];
  const errors: ILexingError[] = [];
  const length = text.length;
  let offset = 0;
  let line = 1;
  let column = 1;

  while (offset < length) {
    const c = text.charCodeAt(offset);
    let end = offset + 1;
    if (c === Char.Space || c === Char.Tab || c === Char.Newline || c === Char.Return) {
      // Skipped; line breaks are \n, \r\n and a lone \r.
      let lastBreak = -1;
      let breaks = 0;
      for (end = offset; end < length; end++) {
        const w = text.charCodeAt(end);
        if (w === Char.Newline) { breaks++; lastBreak = end; }
        else if (w === Char.Return) {
          breaks++;
          if (text.charCodeAt(end + 1) === Char.Newline) end++;
          lastBreak = end;
        } else if (w !== Char.Space && w !== Char.Tab) break;
      }
      if (breaks > 0) {
        line += breaks;
        column = end - lastBreak;
      } else column += end - offset;
      offset = end;
      continue;
    }
    if (isLower(c)) {
      while (end < length && isWordChar(text.charCodeAt(end))) end++;
      const image = text.slice(offset, end);
      tokens.push(token(offset, line, column, image, types.keywords.get(image) ?? types.Identifier));
    } else if (isDigit(c)) {
      let type = types.NumberLit;
      if (isDate(text, offset)) { type = types.DateLit; end = offset + 10; }
      else {
        const time = timeLength(text, offset);
        if (time) { type = types.TimeLit; end = offset + time; }
        else {
          end = decimalEnd(text, offset);
          const next = text.charCodeAt(end);
          if (next === Char.Space || next === Char.Tab) {
            const money = matchAt(types.money, text, offset);
            const duration = money ? 0 : matchAt(types.duration, text, offset);
            if (money) { type = types.MoneyLit; end = offset + money; }
            else if (duration) { type = types.DurationLit; end = offset + duration; }
          } else if (next === Char.Percent) { type = types.PercentLit; end++; }
        }
      }
      tokens.push(token(offset, line, column, text.slice(offset, end), type));
    } else if (isUpper(c)) {
      while (end < length && isWordChar(text.charCodeAt(end))) end++;
      // `[A-Z]{3}` not followed by a word character; any other capitalised word is a CurrencyWord.
      const code = end - offset === 3 && isUpper(text.charCodeAt(offset + 1)) && isUpper(text.charCodeAt(offset + 2));
      tokens.push(token(offset, line, column, text.slice(offset, end), code ? types.CurrencyCode : types.CurrencyWord));
    } else if (c === Char.Quote) {
      let terminated = false;
      for (; end < length; end++) {
        const s = text.charCodeAt(end);
        if (s === Char.Quote) { terminated = true; end++; break; }
        if (s === Char.Newline || s === Char.Return) break;
        if (s === Char.Backslash) {
          // `\\.`: the escaped character may be anything `.` matches (not a line terminator).
          const escaped = text.charCodeAt(end + 1);
          if (end + 1 >= length || escaped === Char.Newline || escaped === Char.Return || escaped === 0x2028 || escaped === 0x2029) break;
          end++;
        }
      }
      tokens.push(token(offset, line, column, text.slice(offset, end), terminated ? types.StringLit : types.UnterminatedString));
    } else if (c === Char.Hash) {
      while (end < length) {
        const h = text.charCodeAt(end);
        if (h === Char.Newline || h === Char.Return) break;
        end++;
      }
      comments.push(token(offset, line, column, text.slice(offset, end), types.Comment));
    } else {
      const two = (c === Char.Bang || c === Char.Lt || c === Char.Gt) && text.charCodeAt(offset + 1) === Char.Eq;
      const image = two ? text.slice(offset, offset + 2) : text[offset];
      const type = c === Char.Bang && !two ? undefined : types.punctuation.get(image);
      if (type) {
        end = offset + image.length;
        tokens.push(token(offset, line, column, image, type));
      } else {
        while (end < length && !canStartToken(text, end, types)) end++;
        const skipped = end - offset;
        errors.push({
          offset, line, column, length: skipped,
          message: `unexpected character: ->${text.charAt(offset)}<- at offset: ${offset}, skipped ${skipped} characters.`,
        });
      }
    }
    column += end - offset;
    offset = end;
  }
  return { tokens, comments, errors };
}

/** Length of a sticky pattern's match at `at`, or 0. */
function matchAt(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex - at : 0;
}
