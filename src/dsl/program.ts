// Orchestrates one run over in-memory sources, in pipeline order: text → tokens → AST → checked
// rules → plan (like TypeScript's program.ts). File-system access lives in load.ts.
import type { IToken } from 'chevrotain';
import { minorUnits, weekdays } from '../plan/catalog.js';
import type { Plan, Template } from '../plan/schema.js';
import { defaultTemplateTexts, parseTemplate } from '../templates/index.js';
import type { RuleFile } from './ast.js';
import { check, type ParsedRuleFile, type SourceTemplate } from './checker.js';
import { compilePlan } from './compile.js';
import { MAX_EXPRESSION_DEPTH, mayNestTooDeep, tooDeeplyBracketed, tooDeepExpressions } from './expression-depth.js';
import { closest, DiagnosticBag, type Diagnostic } from './diagnostics.js';
import { keywordNames, Kw, tokenize } from './lexer.js';
import { codeForCurrencyWord, durationUnitMeant } from './money-words.js';
import { parseTokens } from './parser.js';
import { HOLE_SEPARATOR, QUOTED_DAY } from './syntax-errors.js';
import { dropUnsupported } from './unsupported.js';
import { isKnownCurrency, knownCurrencies } from './types.js';
import { describeUnexpected } from './unexpected-character.js';

export interface SourceFile {
  /** As it appears in diagnostics and the plan: relative, with forward slashes. */
  path: string;
  text: string;
}

export interface CompileInput {
  rules: SourceFile[];
  /** `templates/NAME.md` files; the template name is the file name without `.md`. */
  templates: SourceFile[];
  /** Shown in "unknown template" messages; default "rules/templates". */
  templateFolder?: string;
}

export interface CompileResult {
  plan: Plan | null;
  diagnostics: Diagnostic[];
}

export interface Analysis {
  bag: DiagnosticBag;
  files: ParsedRuleFile[];
  /** The unvalidated plan; null when there is any error. */
  plan: Plan | null;
}

export function templateName(path: string): string {
  return (path.split('/').pop() ?? path).replace(/\.md$/, '');
}

const statementKeywords = ['for', 'measure', 'target', 'period', 'effective', 'every', 'at', 'send', 'commission', 'bonus',
  'spiff', 'cap', 'credit', 'prorate', 'convert', 'reward', 'approve', 'on', 'stop', 'quiet', 'wait', 'if'];
const declarationKeywords = ['settings', 'metric', 'goal', 'incentive', 'sequence'];

/** Lexes and parses one file, reporting lexical and syntax errors into the bag. */
export function parseSource(source: SourceFile, bag: DiagnosticBag): ParsedRuleFile {
  bag.addSource(source.path, source.text);
  const lexed = tokenize(source.text);
  const errorOffsets: number[] = [];
  const statementErrorOffsets = new Set<number>();
  for (const error of lexed.errors) {
    const char = String.fromCodePoint(source.text.codePointAt(error.offset) ?? 0xfffd);
    const line = error.line ?? 1;
    const col = error.column ?? 1;
    bag.report('unexpectedCharacter', { file: source.path, line, col, endLine: line, endCol: col + char.length }, [describeUnexpected(char)], wordFor[char]);
    errorOffsets.push(error.offset);
  }
  for (const word of lexed.badCurrencies) {
    const span = tokenSpan(source.path, word, word.image.length);
    const upper = word.image.toUpperCase();
    const caseOnly = upper.length === 3 && isKnownCurrency(upper);
    bag.report('badCurrencyCode', span, [word.image], caseOnly ? upper : closest(upper, knownCurrencies()) ?? codeForCurrencyWord(word.image));
    // `usd` is USD miswritten: the rule is checked on as USD. `EURO` has no currency to check with.
    if (!caseOnly) errorOffsets.push(word.startOffset);
  }
  for (const { written, token } of lexed.misspeltOperators) {
    const span = tokenSpan(source.path, token, written.length);
    // Read as the operator meant, so the rule is checked on as written with it (like `usd`).
    bag.report('misspeltOperator', span, [written, token.image], token.image);
  }
  for (const { written, token } of lexed.badNumbers) {
    const span = tokenSpan(source.path, token, written.length);
    // A point without digits after it, or a second one (`1.`, `1.5.3`): read as far as it is a
    // number (`1`, `1.5`), so the rule is checked on; `1.` can only have meant 1.
    const points = written.split('.').length - 1;
    if (points > 1 || written.endsWith('.')) {
      bag.report('badDecimalPoint', span, [written], points === 1 ? written.slice(0, -1).replace(/_+$/, '') : undefined);
      continue;
    }
    // Read as the number without its underscores, so the rule is checked on (like `usd`).
    const fix = written.replace(/_+/g, '_').replace(/^_|_$/g, '').replace(/_?\._?/, '.');
    bag.report('badNumber', span, [written], fix);
  }
  for (const { amount, code, token } of lexed.unspacedMoney) {
    const written = `${amount}${code}`;
    const span = tokenSpan(source.path, token, written.length);
    // Read as the money meant, so the rule is checked on (like `usd`).
    bag.report('unspacedMoney', span, [written, `${amount} ${code}`], `${amount} ${code}`);
  }
  for (const { written, meant, token } of lexed.magnitudeSuffixes) {
    const span = tokenSpan(source.path, token, written.length);
    // Read as the amount meant, so the rule is checked on (like `usd`).
    bag.report('magnitudeSuffix', span, [written, meant], meant);
  }
  for (const { written, token } of lexed.spacedPercents) {
    const span = tokenSpan(source.path, token, written.length);
    const meant = written.replace(/[ \t]+%$/, '%');
    // Read as the percent meant, so the rule is checked on (like `100EUR`).
    bag.report('spacedPercent', span, [written.replace(/[ \t]+/, ' '), meant], meant);
  }
  for (const { written, kind, meant, token } of lexed.separatedAmounts) {
    const span = tokenSpan(source.path, token, written.length);
    const code = meant.split(' ')[1];
    // Read as the amount meant, so the rule is checked on (like `usd`).
    if (kind === 'thousands') bag.report('thousandsSeparator', span, [written, meant], meant);
    else if (kind === 'decimalComma') bag.report('decimalComma', span, [written, meant], meant);
    else {
      const digits = minorUnits(code);
      const read = `${written.replace(/\.?0+$/, '')} ${code}`;
      bag.report('pointAsThousands', span, [`${written} ${code}`, read, meant, `${code} has ${digits === 0 ? 'no decimals' : `${digits} decimal${digits === 1 ? '' : 's'}`}`], meant);
    }
  }
  for (const { written, token } of lexed.curlyStrings) {
    const span = tokenSpan(source.path, token, written.length);
    // Read as the string meant, so the rule is checked on (like `usd`): one error, not three.
    bag.report('unexpectedCharacter', span, [describeUnexpected(written[0])], token.image);
  }
  for (const { amount, word, fix } of lexed.moneyWords) {
    const span = tokenSpan(source.path, word, word.image.length);
    const example = `${amount} ${fix.code}`;
    bag.report('moneyWithoutCode', span, [word.image, example], fix.misspelt ? example : undefined);
    errorOffsets.push(word.startOffset);
  }
  const comments: RuleFile['comments'] = lexed.comments.map((t) => ({
    text: t.image,
    span: {
      file: source.path, line: t.startLine ?? 1, col: t.startColumn ?? 1, endLine: t.startLine ?? 1,
      endCol: (t.startColumn ?? 1) + t.image.length, offset: t.startOffset, endOffset: t.startOffset + t.image.length,
    },
  }));
  const unsupported = dropUnsupported(lexed.tokens);
  for (const { word, what, last } of unsupported.found) {
    // Tokens carry their start only; none spans lines, so the statement ends where its last token does.
    const line = word.startLine ?? 1;
    const span = {
      file: source.path, line, col: word.startColumn ?? 1, endLine: line,
      endCol: (last.startColumn ?? 1) + last.image.length, offset: word.startOffset, endOffset: last.startOffset + last.image.length,
    };
    bag.report('unsupportedStatement', span, [word.image, what]);
  }
  // Where the lexer already reported something: a word the parser finds after it on its line is
  // debris of that mistake (`rep.rôle` leaves `le`), not a statement of its own.
  const lexicalErrors = lexed.errors.map((e) => ({ line: e.line ?? 1, offset: e.offset }));
  const bracketed = tooDeeplyBracketed(unsupported.tokens);
  if (bracketed) {
    // Not parsed at all: the parser would overflow its stack. One error, the file's rules unchecked.
    const { token } = bracketed;
    const span = tokenSpan(source.path, token, token.image.length);
    bag.report('expressionTooDeep', span, [`more than ${MAX_EXPRESSION_DEPTH}`, MAX_EXPRESSION_DEPTH]);
    return { ast: { file: source.path, declarations: [], comments }, errorOffsets: [token.startOffset], statementErrorOffsets, text: source.text };
  }
  const parsed = parseTokens(source.path, unsupported.tokens, comments, lexicalErrors);
  for (const problem of parsed.problems) {
    bag.report(problem.key, problem.span, problem.args, problem.suggestion);
    // Read as meant (SF1110, SF1111): the statement is whole, so it is checked on (like `usd`).
    if (!problem.readOn) errorOffsets.push(problem.span.offset);
  }
  for (const { span, depth } of mayNestTooDeep(unsupported.tokens) ? tooDeepExpressions(parsed.ast) : []) {
    bag.report('expressionTooDeep', span, [depth, MAX_EXPRESSION_DEPTH]);
    errorOffsets.push(span.offset);
  }
  let quotedUpTo = -1;
  /** Where an unquoted string was offered quoted: [from, to) offsets of the words it takes. */
  const quoted: [number, number][] = [];
  // `metric umsätze = ...`: the rest of a word after a character the lexer refused (`tze`) is that
  // mistake's debris; "expected '=' but found 'tze'" would be a second error for one typo.
  const afterLexicalError = new Set(lexed.errors.map((e) => e.offset + e.length));
  for (const error of parsed.syntaxErrors) {
    if (afterLexicalError.has(error.span.offset) && !error.missingAtLineEnd) {
      errorOffsets.push(error.span.offset);
      continue;
    }
    const [written, lexedFound = ''] = error.message.split(HOLE_SEPARATOR);
    // The lexer reads `Q3` as `q3` (SF1108); the message shows the word as the author wrote it.
    const lexedWord = /^'([a-z_][a-zA-Z0-9_]*)'$/.exec(lexedFound)?.[1];
    const asWritten = lexedWord ? source.text.slice(error.span.offset, error.span.offset + lexedWord.length) : '';
    const found = lexedWord && asWritten !== lexedWord && asWritten.toLowerCase() === lexedWord ? `'${asWritten}'` : lexedFound;
    const expected = afterSchedule(written, lexed.tokens, error.span.offset);
    // `send goal-checkin to`: the rest of the unquoted word only repeats the first error.
    if (error.span.offset < quotedUpTo) continue;
    const word = lexedWord;
    // `measure` ⏎ `target ...`: the name is missing, the keyword on the next line is not meant as one.
    if (word && expected === 'a name' && !error.missingAtLineEnd && (keywordNames as readonly string[]).includes(word)) {
      bag.report('reservedWord', error.span, [word]);
    } else if (found === 'end of file' && expected.includes("'}'")) {
      const opener = unclosedBrace(lexed.tokens);
      if (opener) bag.report('unclosedBrace', error.span, [opener.startLine ?? 1]);
      else bag.report(error.code, error.span, [expected, found]);
    } else {
      // `measures revenue`: a misspelt keyword is the likeliest cause of an unexpected word.
      const statementLevel = expected.includes('statement') || expected.includes('declaration');
      const candidates = [
        ...(expected.includes('statement') ? statementKeywords : expected.includes('declaration') ? declarationKeywords : keywordNames),
        // `for reps wher ...`, `metric m = count(deal) wher ...`: a word on the line of the statement
        // before it more likely continues that statement than starts one.
        ...(statementLevel ? continuation(lexed.tokens, error.span.offset) : []),
      ];
      const grouped = spaceGrouped(source.text, lexed.tokens, error.span.offset);
      const near = grouped ? grouped
        : expected === 'a currency code' && word && isKnownCurrency(word.toUpperCase()) ? word.toUpperCase()
        : expected === 'a currency code' && word && codeForCurrencyWord(word) ? codeForCurrencyWord(word)
        : expected.startsWith('a duration') ? durationFix(lexed.tokens, error.span.offset)
        : expected.startsWith('a time of day') ? timeFix(lexed.tokens, error.span.offset)
        // `up to 100% pay 5`: the rate with its % left out.
        : expected === 'a percent' && /^'\d[\d_]*(\.\d+)?'$/.test(found) ? `${found.slice(1, -1)}%`
        : expected === 'a quoted string' ? quoteFix(source.text, lexed.tokens, error.span.offset)
        : expected === QUOTED_DAY ? closest(found.slice(2, -2).trim(), [...weekdays, 'day', 'weekday'])
        : word && !(keywordNames as readonly string[]).includes(word) ? closest(word, candidates) : undefined;
      // One message, one code: "expected a declaration" is SF1104 whichever way the parser got there
      // (a word after a finished rule or metric was SF1101, a lone word SF1104).
      const code = expected.startsWith('a declaration (') ? 'unexpectedInput' : error.code;
      bag.report(code, error.span, [expected, found], near);
      if (expected === 'a quoted string' && near) {
        quotedUpTo = error.span.offset + near.length - 2;
        quoted.push([error.span.offset, quotedUpTo]);
      }
    }
    errorOffsets.push(error.span.offset);
    if (error.ownStatement) statementErrorOffsets.add(error.span.offset);
  }
  for (const { written, token } of lexed.capitalisedNames) {
    // `goal Q3 revenue {`: the name is missing its quotes, and the error offering "Q3 revenue"
    // covers its words; "write q3 in lower case" would contradict it.
    if (quoted.some(([from, to]) => token.startOffset >= from && token.startOffset < to)) continue;
    const span = tokenSpan(source.path, token, written.length);
    // Checked on as the lower-case word, which is what it can only mean.
    bag.report('capitalisedName', span, [written, token.image], token.image);
  }
  return { ast: parsed.ast, errorOffsets, statementErrorOffsets, text: source.text };
}

/** For the token at `offset` after another on its line: the word that continues that line's statement. */
function continuation(tokens: IToken[], offset: number): string[] {
  let i = tokens.findIndex((t) => t.startOffset === offset);
  if (i <= 0 || tokens[i - 1].startLine !== tokens[i].startLine) return [];
  while (i > 0 && tokens[i - 1].startLine === tokens[i].startLine) i--;
  // Conditions of payouts and check-ins are `when`; filters of reps, deals and events are `where`.
  return ['bonus', 'reward', 'at', 'every'].includes(tokens[i].image) ? ['when'] : ['where'];
}

// `&` and `|` alone (`&&` and `||` are read as `and` and `or`), and `!` as other languages write them.
const wordFor: Record<string, string | undefined> = { '&': 'and', '|': 'or', '!': 'not' };

/**
 * After `every DAYS at HH:MM` the grammar takes a goal's check-in (`when`, `{`) or a sequence's
 * trigger (`for reps`); only one of them fits the rule it is in, so only that one is offered (a
 * sequence missing `for reps` was told it could write `when` or `{`).
 */
function afterSchedule(expected: string, tokens: IToken[], offset: number): string {
  if (expected !== "'when', '{' or 'for'") return expected;
  let kind: string | undefined;
  for (const t of tokens) {
    if (t.startOffset >= offset) break;
    if (t.tokenType === Kw.goal || t.tokenType === Kw.sequence || t.tokenType === Kw.incentive) kind = t.image;
  }
  return kind === 'sequence' ? "'for reps' (a sequence on a schedule: every DAY at HH:MM for reps)" : kind === 'goal' ? "'when' or '{'" : expected;
}

/**
 * `target 100 000 EUR`: digits grouped with a space, as many languages write them, leave the
 * groups after the first as a stray token; the number meant, grouped with `_`.
 */
function spaceGrouped(text: string, tokens: IToken[], offset: number): string | undefined {
  const at = tokens.findIndex((t) => t.startOffset === offset);
  if (at < 0) return undefined;
  const digits = (t: IToken) => /^\d+$/.test(t.image);
  const group = (t: IToken) => /^\d{3}(?![\d_.])/.test(t.image);
  const sameLine = (a: IToken, b: IToken) => a.startLine === b.startLine;
  let first = at;
  while (first > 0 && group(tokens[first]) && digits(tokens[first - 1]) && sameLine(tokens[first - 1], tokens[first])) first--;
  let last = at;
  while (tokens[last + 1] && digits(tokens[last]) && group(tokens[last + 1]) && sameLine(tokens[last], tokens[last + 1])) last++;
  if (first === last) return undefined;
  const written = text.slice(tokens[first].startOffset, tokens[last].startOffset + tokens[last].image.length);
  return /^\d{1,3}( \d{3})+(\.\d+)?(%| [A-Z]{3}| [a-z]+)?$/.test(written) ? written.replace(/(\d) (?=\d)/g, '$1_') : undefined;
}

/** `at 4pm`: the time of day meant, as HH:MM. */
function timeFix(tokens: IToken[], offset: number): string | undefined {
  const i = tokens.findIndex((t) => t.startOffset === offset);
  const [hour, suffix] = [tokens[i], tokens[i + 1]];
  if (!hour || !/^\d{1,2}$/.test(hour.image) || !suffix || !/^(am|pm)$/i.test(suffix.image) || suffix.startLine !== hour.startLine) return undefined;
  const h = Number(hour.image);
  if (h < 1 || h > 12) return undefined;
  const h24 = (h % 12) + (suffix.image.toLowerCase() === 'pm' ? 12 : 0);
  return `${String(h24).padStart(2, '0')}:00`;
}

/** `send goal-checkin to rep`: the word written without quotes, quoted. */
function quoteFix(text: string, tokens: IToken[], offset: number): string | undefined {
  let i = tokens.findIndex((t) => t.startOffset === offset);
  if (i < 0 || !/^[a-zA-Z0-9_]/.test(tokens[i].image)) return undefined;
  // `goal Q3 revenue {`: a rule's name is every word up to the `{` on its line.
  if (i > 0 && [Kw.goal, Kw.incentive, Kw.sequence].includes(tokens[i - 1].tokenType)) {
    let last = i;
    while (tokens[last + 1] && tokens[last + 1].startLine === tokens[i].startLine && tokens[last + 1].image !== '{') last++;
    if (tokens[last + 1]?.image === '{') return JSON.stringify(text.slice(offset, tokens[last].startOffset + tokens[last].image.length));
  }
  let end = tokens[i].startOffset + tokens[i].image.length;
  while (tokens[i + 1] && tokens[i + 1].startOffset === end && tokens[i + 1].image !== '{') end += tokens[++i].image.length;
  return JSON.stringify(text.slice(offset, end));
}

/** `wait 2 dayz`, `wait 2 hrs`: the number and a misspelt or shortened unit after it, as the duration probably meant. */
function durationFix(tokens: IToken[], offset: number): string | undefined {
  const i = tokens.findIndex((t) => t.startOffset === offset);
  const [amount, unit] = [tokens[i], tokens[i + 1]];
  if (!amount || !/^\d/.test(amount.image) || !unit || unit.startLine !== amount.startLine || !/^[a-z]/.test(unit.image)) return undefined;
  const near = durationUnitMeant(unit.image);
  if (!near) return undefined;
  const plural = near === 'business' ? 'business days' : near;
  return `${amount.image} ${amount.image === '1' ? plural.replace(/s$/, '') : plural}`;
}

/**
 * The `{` an author most likely forgot to close. A `}` that starts a line but is not indented like
 * the line of the `{` it closes was probably meant for an outer block; otherwise the innermost
 * open brace. Runs only for a file that ends inside a block.
 */
function unclosedBrace(tokens: IToken[]): IToken | undefined {
  const open: IToken[] = [];
  const indent = new Map<number, number>();
  let suspect: IToken | undefined;
  let lastLine = 0;
  for (const token of tokens) {
    const line = token.startLine ?? 1;
    const firstOnLine = line !== lastLine;
    if (firstOnLine) indent.set(line, token.startColumn ?? 1);
    lastLine = line;
    if (token.image === '{') open.push(token);
    else if (token.image === '}') {
      const opener = open.pop();
      if (opener && !suspect && firstOnLine && token.startColumn !== indent.get(opener.startLine ?? 1)) suspect = opener;
    }
  }
  return suspect ?? open[open.length - 1];
}

/** `compile: false` stops after checking: what `check` needs. */
export function analyze(input: CompileInput, options: { compile: boolean } = { compile: true }): Analysis {
  const bag = new DiagnosticBag();
  const byPath = (a: SourceFile, b: SourceFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const files = [...input.rules].sort(byPath).map((source) => parseSource(source, bag));

  const sourceTemplates = new Map<string, SourceTemplate>();
  for (const source of [...input.templates].sort(byPath)) {
    const name = templateName(source.path);
    bag.addSource(source.path, source.text);
    const existing = sourceTemplates.get(name);
    if (existing) {
      bag.report('duplicateTemplate', { file: source.path, line: 1, col: 1, endLine: 1, endCol: 1 }, [name, existing.file]);
      continue;
    }
    sourceTemplates.set(name, { name, file: source.path, parsed: parseTemplate(name, source.text) });
  }

  const program = check({ files, templates: sourceTemplates, templateFolder: input.templateFolder ?? 'rules/templates' }, bag);
  if (bag.hasErrors() || !options.compile) return { bag, files, plan: null };

  const templates = new Map<string, Template>();
  for (const [name, text] of Object.entries(defaultTemplateTexts)) templates.set(name, parseTemplate(name, text).template);
  for (const [name, t] of sourceTemplates) templates.set(name, t.parsed.template);
  return { bag, files, plan: compilePlan(program, templates) };
}

/** Checks and compiles in-memory sources; the plan is validated with the zod schema. */
export async function compileSources(input: CompileInput): Promise<CompileResult> {
  const analysis = analyze(input);
  let plan: Plan | null = null;
  if (analysis.plan) {
    const { validatePlan } = await import('./validate.js');
    plan = validatePlan(analysis.plan, analysis.bag, input.rules[0]?.path ?? '<plan>');
  }
  return { plan, diagnostics: analysis.bag.sorted() };
}

/** The span of `length` characters from a token's start, on its line (a diagnostic's place). */
function tokenSpan(file: string, token: IToken, length: number) {
  const line = token.startLine ?? 1;
  const col = token.startColumn ?? 1;
  return { file, line, col, endLine: line, endCol: col + length, offset: token.startOffset, endOffset: token.startOffset + length };
}
