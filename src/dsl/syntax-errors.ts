// Chevrotain's error texts name token types ("--> RCurly <--"); authors should read "expected '}'
// but found 'measure'". The provider returns the two holes of the catalog message (expected,
// found) joined by NUL; the parser turns them into diagnostics with the catalog's code and text.
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { chevrotain } from './chevrotain.js';

export const HOLE_SEPARATOR = '\u0000';

/** What `every "monday"` is told: days are names, not strings (the day is suggested unquoted). */
export const QUOTED_DAY = 'a day without quotes (monday ... sunday, day or weekday)';

const ruleDescriptions: Record<string, string> = {
  statement: 'a statement',
  declaration: 'a declaration (settings, metric, goal, incentive, sequence)',
  literal: 'a value',
  recipient: 'a recipient (rep, lead, a field like rep.manager, or "someone@example.com")',
  string: 'a quoted string',
  band: "a band ('up to N% pay R%' or 'above pay R%')",
  // Its one choice is the word before the condition; `if` and `where` are read too only to be named (SF1110).
  bonusStatement: "'when'",
  expression: 'an expression',
  comparison: 'an expression',
  arithmetic: 'an expression',
  operand: 'a value or a name',
  path: 'a name',
};

function label(type: TokenType): string {
  // Expecting the end of input means a declaration was over and something else followed.
  if (type === chevrotain.EOF) return 'a declaration (settings, metric, goal, incentive, sequence)';
  return type.LABEL ?? type.name;
}

export function describeToken(token: IToken | undefined): string {
  if (!token || token.tokenType === chevrotain.EOF) return 'end of file';
  const image = token.image.length > 24 ? `${token.image.slice(0, 24)}…` : token.image;
  return `'${image}'`;
}

function alternatives(paths: TokenType[][]): string {
  const firsts = [...new Set(paths.map((path) => path[0]).filter(Boolean).map(label))];
  if (firsts.length <= 1) return firsts[0] ?? 'something else';
  if (firsts.length > 6) return `one of ${firsts.slice(0, 6).join(', ')}, …`;
  return `${firsts.slice(0, -1).join(', ')} or ${firsts[firsts.length - 1]}`;
}

const holes = (expected: string, found: string): string => `${expected}${HOLE_SEPARATOR}${found}`;

export const syntaxErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const closing = ruleName === 'block' && expected.name === 'RCurly';
    // `target 10000 USD per 2 weeks`: the name wanted after `per` is a period kind, and "expected a
    // name" does not tell the author which names there are.
    const period = (ruleName === 'targetStatement' || ruleName === 'periodStatement') && expected.name === 'Identifier';
    return holes(closing ? "a statement or '}'" : period ? 'a period (week, month, quarter or year)' : label(expected), describeToken(actual));
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return holes('a declaration', describeToken(firstRedundant));
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    // After `every`, the interval and the time alternatives are there only to say what is wrong
    // with them: what is expected is a day.
    const expected = ruleName === 'everyStatement' && expectedPathsPerAlt.flat().some((path) => path[0]?.name === 'DurationLit')
      ? 'a day (monday ... sunday, day or weekday)'
      : ruleDescriptions[ruleName] ?? alternatives(expectedPathsPerAlt.flat());
    return holes(expected, describeToken(actual[0]));
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const expected = ruleDescriptions[ruleName] ?? alternatives(expectedIterationPaths);
    return holes(expected, describeToken(actual[0]));
  },
};
