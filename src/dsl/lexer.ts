// Tokens of the rule language (SPEC §2). Literals with units (money, percent, durations) are single
// tokens so `2 days` and `1000 USD` can never be split into something else by the parser.
import type { ILexingError, IToken, TokenType } from 'chevrotain';
import { chevrotain } from './chevrotain.js';
import { moneyWordFix, type MoneyWordFix } from './money-words.js';
import { magnitudeOf, separatedAmount, withMagnitude } from './literals.js';
import { isKnownCurrency } from './types.js';

const { createToken, Lexer } = chevrotain;

// Each regex token states its first characters and whether it can span lines, so Chevrotain's
// lexer picks candidates by first character instead of trying every pattern.
const lower = [...'abcdefghijklmnopqrstuvwxyz_'];
const upper = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const digitChars = [...'0123456789'];

export const Identifier = createToken({ name: 'Identifier', pattern: /[a-z_][a-zA-Z0-9_]*/, label: 'a name', start_chars_hint: lower, line_breaks: false });

/** Every reserved word, in the order the reference docs list them. */
export const keywordNames = [
  'settings', 'timezone', 'currency', 'from',
  'metric', 'sum', 'count', 'avg', 'min', 'max', 'where',
  'goal', 'incentive', 'sequence',
  'for', 'reps', 'measure', 'target', 'per', 'period', 'every', 'at', 'of', 'end', 'when',
  'send', 'to', 'effective', 'commission', 'marginal', 'retroactive', 'up', 'pay', 'above',
  'bonus', 'spiff', 'cap', 'credit', 'prorate', 'convert', 'reward', 'approve', 'by', 'within', 'escalate', 'otherwise', 'reject',
  'on', 'stop', 'quiet', 'hours', 'weekends', 'wait', 'if', 'else',
  'and', 'or', 'not', 'in', 'true', 'false',
] as const;
export type Keyword = (typeof keywordNames)[number];

// Keywords are not lexer patterns: every word is scanned as a name and typed by one map lookup.
// This also keeps `format` an identifier rather than `for` + `mat`.
const keywordTokens = Object.fromEntries(
  keywordNames.map((word) => [word, createToken({ name: `Kw_${word}`, pattern: Lexer.NA, label: `'${word}'` })]),
) as Record<Keyword, TokenType>;
export const Kw = keywordTokens;
const keywordByWord = new Map<string, TokenType>(keywordNames.map((word) => [word, keywordTokens[word]]));

// Underscores are lexed anywhere after the first digit (`1__000`, `1_000_`, `1_.5`), and so are
// points (`1.`, `1.5.3`), so a misplaced one is a single clear error at the number (`badNumbers`),
// not a parse error at the `_` or `.` after it and another at whatever follows.
const digits = String.raw`\d[\d_]*`;
const decimal = `${digits}(?:\\.[\\d_]*)*`;
/** Where `_` may go: between two digits only. */
const wellGrouped = /^\d(?:_?\d)*(?:\.\d(?:_?\d)*)?$/;
const notWord = '(?![a-zA-Z0-9_])';

export const DateLit = createToken({ name: 'DateLit', pattern: /\d{4}-\d{2}-\d{2}(?![\d])/, label: 'a date (YYYY-MM-DD)', start_chars_hint: digitChars, line_breaks: false });
// Wider than HH:MM (`9:5`, `09:00:00`, `000:00`) so a time written wrong is one SF5001 at it,
// not a number, an unexpected ':' and whatever the parser makes of the rest.
export const TimeLit = createToken({ name: 'TimeLit', pattern: /\d{1,3}:\d{1,2}(?::\d{1,2})?(?![\d:])/, label: 'a time of day (HH:MM)', start_chars_hint: digitChars, line_breaks: false });
export const MoneyLit = createToken({
  name: 'MoneyLit', pattern: new RegExp(`${decimal}[ \\t]+[A-Z]{3}${notWord}`), label: 'an amount of money (like 100 EUR)', start_chars_hint: digitChars, line_breaks: false,
});
export const DurationLit = createToken({
  name: 'DurationLit',
  // `business` goes with days only: `3 business hours` is no duration (it was read as 3 business days).
  pattern: new RegExp(`${decimal}[ \\t]+(?:business[ \\t]+days?|minutes?|hours?|days?|weeks?)${notWord}`),
  label: 'a duration (like 30 minutes, 2 days, 3 business days, 1 week)',
  start_chars_hint: digitChars,
  line_breaks: false,
});
export const PercentLit = createToken({ name: 'PercentLit', pattern: new RegExp(`${decimal}%`), label: 'a percent', start_chars_hint: digitChars, line_breaks: false });
export const NumberLit = createToken({ name: 'NumberLit', pattern: new RegExp(decimal), label: 'a number', start_chars_hint: digitChars, line_breaks: false });
export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'a string', start_chars_hint: ['"'], line_breaks: false });
/**
 * A string missing its closing quote: lexed anyway so the parser can go on, reported by the parser.
 * A backslash at the end of its line (meant to continue the string) is part of it, not a second error.
 */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n\r]|\\.)*\\?/, label: 'a string', start_chars_hint: ['"'], line_breaks: false });
/**
 * A string in typographic quotes (`“goal-review”`, pasted from a document or a chat): lexed as one
 * token so it is one error, not three, and read on as the string it is (`tokenize` retypes it).
 */
export const CurlyString = createToken({ name: 'CurlyString', pattern: /[\u201c\u201d\u201e][^\u201c\u201d"\n\r]*[\u201c\u201d]/, start_chars_hint: ['\u201c', '\u201d', '\u201e'], line_breaks: false });
export const CurrencyCode = createToken({ name: 'CurrencyCode', pattern: /[A-Z]{3}(?![a-zA-Z0-9_])/, label: 'a currency code', start_chars_hint: upper, line_breaks: false });
/**
 * Any other capitalised word (`EURO`, `Eur`): only ever meant as a currency. Lexed rather than
 * left to "unexpected character" so it can be reported as one word; `tokenize` retypes it.
 */
export const CurrencyWord = createToken({ name: 'CurrencyWord', pattern: /[A-Z][a-zA-Z0-9_]*/, start_chars_hint: upper, line_breaks: false });

export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments', start_chars_hint: ['#'], line_breaks: false });
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, start_chars_hint: [' ', '\t', '\r', '\n'], line_breaks: true });

const punct = (name: string, pattern: string, label: string): TokenType => createToken({ name, pattern, label, line_breaks: false });
export const LCurly = punct('LCurly', '{', "'{'");
export const RCurly = punct('RCurly', '}', "'}'");
export const LBracket = punct('LBracket', '[', "'['");
export const RBracket = punct('RBracket', ']', "']'");
export const LParen = punct('LParen', '(', "'('");
export const RParen = punct('RParen', ')', "')'");
export const Comma = punct('Comma', ',', "','");
export const Dot = punct('Dot', '.', "'.'");
export const NotEq = punct('NotEq', '!=', "'!='");
export const LtEq = punct('LtEq', '<=', "'<='");
export const GtEq = punct('GtEq', '>=', "'>='");
export const Lt = punct('Lt', '<', "'<'");
export const Gt = punct('Gt', '>', "'>'");
export const Eq = punct('Eq', '=', "'='");
export const Plus = punct('Plus', '+', "'+'");
export const Minus = punct('Minus', '-', "'-'");
export const Star = punct('Star', '*', "'*'");
export const Slash = punct('Slash', '/', "'/'");

/** What the text is scanned into, in Chevrotain's priority order (the first pattern that matches wins). */
export const lexedTokens: TokenType[] = [
  WhiteSpace, Comment,
  DateLit, TimeLit, MoneyLit, DurationLit, PercentLit, NumberLit,
  StringLit, UnterminatedString, CurlyString,
  Identifier, CurrencyCode, CurrencyWord,
  LCurly, RCurly, LBracket, RBracket, LParen, RParen, Comma, Dot,
  NotEq, LtEq, GtEq, Lt, Gt, Eq, Plus, Minus, Star, Slash,
];

/** The parser's vocabulary: what the lexer produces plus the keywords it retypes words into. */
export const allTokens: TokenType[] = [...lexedTokens, ...keywordNames.map((k) => keywordTokens[k])];

// One lexer for the process: Chevrotain analyses the token set once when it is built.
const lexer = new Lexer(lexedTokens, { positionTracking: 'onlyStart', ensureOptimizations: false, skipValidations: true });

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  errors: ILexingError[];
  /** Words written as currencies that are not 3 capitals (`EURO`, `1000 usd`), to be reported. */
  badCurrencies: IToken[];
  /** Words after an amount meant as its currency (`1000 dollars`, `500 eru`), to be reported. */
  moneyWords: { amount: string; word: IToken; fix: MoneyWordFix }[];
  /** Capitalised words where a name or keyword belongs (`every Friday`), read in lower case; to be reported. */
  capitalisedNames: { written: string; token: IToken }[];
  /** Operators as other languages write them (`==`, `<>`, `&&`), read as the one meant; to be reported. */
  misspeltOperators: { written: string; token: IToken }[];
  /**
   * Numbers with a `_` not between two digits (`1__000`, `1_000_`), read without their underscores,
   * or with a point not followed by digits or more than one (`1.`, `1.5.3`), read as far as they
   * are a number (literals.ts); to be reported.
   */
  badNumbers: { written: string; token: IToken }[];
  /** Money written without a space before its code (`100EUR`), read as `100 EUR`; to be reported at the amount's token. */
  unspacedMoney: { amount: string; code: string; token: IToken }[];
  /** Strings in typographic quotes (`“x”`), read as the string in straight quotes; to be reported. */
  curlyStrings: { written: string; token: IToken }[];
  /**
   * Money or a number written with a k/m/bn suffix (`100k EUR`, `1.5m USD`, `revenue >= 100k`),
   * read as the amount meant (`100000 EUR`, `100000`; literals.ts); to be reported at the amount's token.
   */
  magnitudeSuffixes: { written: string; meant: string; token: IToken }[];
  /** A percent with a space before its sign (`120 %`), read as `120%`; to be reported at the number. */
  spacedPercents: { written: string; token: IToken }[];
  /**
   * Money with its digits grouped in thousands (`100,000 EUR`, `1.500.000 EUR`, `100.000 EUR`) or
   * a decimal comma (`10,50 EUR`), read as the amount meant (literals.ts); to be reported at the amount's token.
   */
  separatedAmounts: { written: string; kind: 'thousands' | 'point' | 'decimalComma'; meant: string; token: IToken }[];
}

// What `==`, `<>`, `&&` ... mean here. They are read as that operator (its token, with its text as
// the image, which the parser takes the operator from), so the parser reads on.
const operatorFor: Record<string, TokenType> = { '==': Eq, '=>': GtEq, '=<': LtEq, '<>': NotEq, '&&': Kw.and, '||': Kw.or };
const operatorText = (type: TokenType): string => (type === Kw.and ? 'and' : type === Kw.or ? 'or' : (type.PATTERN as string));

const retype = (token: IToken, type: TokenType): void => {
  token.tokenType = type;
  token.tokenTypeIdx = tokenTypeIdx(type);
};

/** Chevrotain's tokens with every word that is a reserved word typed as that keyword (one map lookup per word). */
function lex(text: string): { tokens: IToken[]; comments: IToken[]; errors: ILexingError[] } {
  const result = lexer.tokenize(text);
  const { tokens } = result;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.tokenType !== Identifier) continue;
    const keyword = keywordByWord.get(token.image);
    if (keyword) retype(token, keyword);
  }
  return { tokens, comments: (result.groups.comments ?? []) as IToken[], errors: result.errors };
}

export function tokenize(text: string): LexResult {
  const { tokens, comments, errors } = lex(text);
  const badCurrencies: IToken[] = [];
  const moneyWords: LexResult['moneyWords'] = [];
  const misspeltOperators: LexResult['misspeltOperators'] = [];
  const capitalisedNames: LexResult['capitalisedNames'] = [];
  let merged = 0;
  const badNumbers: LexResult['badNumbers'] = [];
  const unspacedMoney: LexResult['unspacedMoney'] = [];
  const curlyStrings: LexResult['curlyStrings'] = [];
  const magnitudeSuffixes: LexResult['magnitudeSuffixes'] = [];
  const separatedAmounts: LexResult['separatedAmounts'] = [];
  let brackets = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const type = token.tokenType;
    // `100,000 EUR` (a number, commas, and money `000 EUR`) and `100.000 EUR` (a point where the
    // currency has no third decimal): thousands grouped as in a spreadsheet; `10,50 EUR`: a decimal comma. `100.000 EUR` read
    // as written is 100 EUR: a target a thousand times too small, and no word said.
    if (type === LBracket) brackets++;
    else if (type === RBracket) brackets--;
    // `revenue >= 100,000` (no currency): outside a list's brackets no comma follows a number, so
    // the groups are one number. The last group decides: a comma and digits right after it would
    // make it a middle one.
    if (type === NumberLit && brackets <= 0 && i >= 2 && !(tokens[i + 1]?.tokenType === Comma && adjacent(token, tokens[i + 1]))) {
      const first = groupStart(tokens, i);
      const written = text.slice(tokens[first].startOffset, token.startOffset + token.image.length);
      const separated = first < i ? separatedAmount(written, '') : undefined;
      if (separated?.kind === 'thousands') {
        separatedAmounts.push({ written, kind: separated.kind, meant: separated.meant, token: tokens[first] });
        tokens[first].image = written;
        for (let dropped = first + 1; dropped <= i; dropped++) tokens[dropped] = { ...tokens[dropped], tokenType: CurrencyWord };
        merged += i - first;
        continue;
      }
    }
    if (type === MoneyLit) {
      const [number, code] = token.image.split(/[ \t]+/);
      const first = groupStart(tokens, i);
      const written = text.slice(tokens[first].startOffset, token.startOffset + number.length);
      const separated = separatedAmount(written, code);
      if (separated) {
        separatedAmounts.push({ written, kind: separated.kind, meant: `${separated.meant} ${code}`, token: tokens[first] });
        if (first < i) {
          const amount = tokens[first];
          retype(amount, MoneyLit);
          amount.image = text.slice(amount.startOffset, token.startOffset + token.image.length);
          for (let dropped = first + 1; dropped <= i; dropped++) tokens[dropped] = { ...tokens[dropped], tokenType: CurrencyWord };
          merged += i - first;
        }
        continue;
      }
    }
    // `100k EUR`, `1.5M USD`: a suffix right after the digits, then a currency, can only be an
    // amount written the spreadsheet way. Read on as the amount meant, report the suffix once
    // (it was a "not an amount of money" at the number and an unexpected word at the `k`).
    if ((type === Identifier || type === CurrencyWord) && magnitudeOf(token.image) !== undefined && followsNumber(tokens, i)) {
      const amount = tokens[i - 1];
      const code = tokens[i + 1];
      const written = amount.image + token.image;
      const meant = withMagnitude(/^[\d_.]+/.exec(amount.image)![0], token.image);
      if (adjacent(amount, token) && code?.tokenType === CurrencyCode && code.startLine === token.startLine) {
        magnitudeSuffixes.push({ written, meant: `${meant} ${code.image}`, token: amount });
        retype(amount, MoneyLit);
        amount.image = text.slice(amount.startOffset, code.startOffset + code.image.length);
        tokens[i] = { ...token, tokenType: CurrencyWord };
        tokens[i + 1] = { ...code, tokenType: CurrencyWord };
        merged += 2;
        i++;
        continue;
      }
      // `revenue >= 100k`: no name follows a number, so the word is its suffix here too (not
      // after `wait` or `within`, where `30m` is minutes written short, a duration's message).
      const before = tokens[i - 2]?.tokenType;
      if (adjacent(amount, token) && before !== Kw.wait && before !== Kw.within) {
        magnitudeSuffixes.push({ written, meant, token: amount });
        amount.image = written;
        tokens[i] = { ...token, tokenType: CurrencyWord };
        merged++;
        continue;
      }
    }
    if (type === CurlyString) {
      // Same length in straight quotes, so every position after it stays where it was.
      curlyStrings.push({ written: token.image, token });
      token.image = `"${token.image.slice(1, -1)}"`;
      retype(token, StringLit);
      continue;
    }
    if (type === NumberLit || type === MoneyLit || type === PercentLit || type === DurationLit) {
      const written = /^[\d_.]+/.exec(token.image)![0];
      if (!wellGrouped.test(written)) badNumbers.push({ written, token });
    }
    if (type === Eq || type === Gt || type === Lt) {
      const previous = tokens[i - 1];
      const meant = previous && previous.startOffset + previous.image.length === token.startOffset
        ? operatorFor[previous.image + token.image] : undefined;
      if (meant) {
        misspeltOperators.push({ written: previous.image + token.image, token: previous });
        previous.image = operatorText(meant);
        retype(previous, meant);
        tokens[i] = { ...token, tokenType: CurrencyWord };
        merged++;
      }
      continue;
    }
    // `100EUR` (no space) can only be money: read on as `100 EUR`, report the missing space.
    if (type === CurrencyCode && followsNumber(tokens, i)) {
      const amount = tokens[i - 1];
      if (amount.startOffset + amount.image.length === token.startOffset) {
        unspacedMoney.push({ amount: amount.image, code: token.image, token: amount });
        merged += mergeIntoMoney(text, tokens, i);
        continue;
      }
    }
    // No name ever follows a number, so `1000 usd` can only be money with a lower-case code, and
    // `1000 dollars` money with a name for its currency: read on as money, report the word.
    if (type === Identifier) {
      if (!followsNumber(tokens, i)) continue;
      if (token.image.length === 3 && isKnownCurrency(token.image.toUpperCase())) {
        badCurrencies.push(token);
        merged += mergeIntoMoney(text, tokens, i);
        continue;
      }
      const fix = moneyWordFix(token.image);
      if (fix) {
        moneyWords.push({ amount: tokens[i - 1].image, word: token, fix });
        merged += mergeIntoMoney(text, tokens, i);
      }
    } else if (type === CurrencyWord) {
      if (followsNumber(tokens, i)) {
        badCurrencies.push(token);
        merged += mergeIntoMoney(text, tokens, i);
      } else if (tokens[i - 1]?.tokenType === Kw.currency) {
        badCurrencies.push(token);
        retype(token, CurrencyCode);
      } else {
        // Only an amount or `currency` is followed by a currency: `Friday`, `Send` or `Lead` is
        // a name or keyword written with a capital. Read on as written in lower case.
        capitalisedNames.push({ written: token.image, token });
        token.image = /[a-z]/.test(token.image) ? token.image[0].toLowerCase() + token.image.slice(1) : token.image.toLowerCase();
        retype(token, keywordByWord.get(token.image) ?? Identifier);
      }
    }
  }
  // Merging leaves the word's slot marked as a CurrencyWord; dropping it is rare, so only then copy.
  let kept = merged ? tokens.filter((t) => t.tokenType !== CurrencyWord) : tokens;
  let unexpected = errors;
  if (errors.length > 0) {
    // `&&` and `||` are characters no token starts with: read them as `and` / `or` instead.
    const words = errors.filter((e) => e.length === 2 && Object.hasOwn(operatorFor, text.substr(e.offset, 2)));
    if (words.length > 0) {
      unexpected = errors.filter((e) => !words.includes(e));
      kept = [...kept];
      for (const e of words) {
        const type = operatorFor[text.substr(e.offset, 2)];
        const token: IToken = { image: operatorText(type), startOffset: e.offset, startLine: e.line, startColumn: e.column, tokenTypeIdx: tokenTypeIdx(type), tokenType: type };
        const at = kept.findIndex((t) => t.startOffset > e.offset);
        kept.splice(at < 0 ? kept.length : at, 0, token);
        misspeltOperators.push({ written: text.substr(e.offset, 2), token });
      }
    }
  }
  // `120 %` (a space before the sign, as French typography and some spreadsheets write it): the
  // `%` alone is no token; read as the percent meant, report the space.
  const spacedPercents: LexResult['spacedPercents'] = [];
  for (const e of unexpected) {
    if (e.length !== 1 || text[e.offset] !== '%') continue;
    let before = kept.length - 1;
    while (before >= 0 && kept[before].startOffset > e.offset) before--;
    const number = kept[before];
    if (!number || number.tokenType !== NumberLit || !/^[ \t]+$/.test(text.slice(number.startOffset + number.image.length, e.offset))) continue;
    spacedPercents.push({ written: text.slice(number.startOffset, e.offset + 1), token: number });
    retype(number, PercentLit);
    number.image = text.slice(number.startOffset, e.offset + 1);
  }
  if (spacedPercents.length) unexpected = unexpected.filter((e) => !spacedPercents.some((p) => p.token.startOffset + p.written.length === e.offset + 1));
  return { tokens: kept, comments, errors: unexpected, badCurrencies, moneyWords, capitalisedNames, misspeltOperators, badNumbers, unspacedMoney, curlyStrings, magnitudeSuffixes, separatedAmounts, spacedPercents };
}

const tokenTypeIdx = (type: TokenType): number => (type as TokenType & { tokenTypeIdx: number }).tokenTypeIdx;

/** Whether `next` starts right where `token` ends (no space between). */
const adjacent = (token: IToken, next: IToken): boolean => token.startOffset + token.image.length === next.startOffset;

/** The first token of `1,250,000` ending at token `i`: numbers and commas written without spaces. */
function groupStart(tokens: IToken[], i: number): number {
  let first = i;
  while (first >= 2 && tokens[first - 1].tokenType === Comma && tokens[first - 2].tokenType === NumberLit
    && adjacent(tokens[first - 2], tokens[first - 1]) && adjacent(tokens[first - 1], tokens[first])) first -= 2;
  return first;
}

function followsNumber(tokens: IToken[], i: number): boolean {
  const previous = tokens[i - 1];
  return previous !== undefined && previous.tokenType === NumberLit && previous.startLine === tokens[i].startLine;
}

/** Makes `1000 usd` one money token, so the parser reads on; the word's own token is marked dropped. */
function mergeIntoMoney(text: string, tokens: IToken[], i: number): number {
  const amount = tokens[i - 1];
  const word = tokens[i];
  retype(amount, MoneyLit);
  amount.image = text.slice(amount.startOffset, word.startOffset + word.image.length);
  tokens[i] = { ...word, tokenType: CurrencyWord };
  return 1;
}
