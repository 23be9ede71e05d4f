// The hand-written scanner must read every text exactly as Chevrotain's lexer built from the same
// token definitions does: diagnostics point at token positions, so any difference would move or
// change what authors are told. Compared on every rule file in the repository and on random text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IToken, TokenType } from 'chevrotain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chevrotain } from '../../src/dsl/chevrotain.js';
import { Identifier, Kw, keywordNames, lexedTokens, scanTokens } from '../../src/dsl/lexer.js';
import { root } from './helpers.js';

const reference = new chevrotain.Lexer(lexedTokens, { positionTracking: 'onlyStart', ensureOptimizations: false, skipValidations: true });
const keywords = new Map<string, TokenType>(keywordNames.map((k) => [k, Kw[k]]));
const idx = (type: TokenType) => (type as TokenType & { tokenTypeIdx: number }).tokenTypeIdx;

/** Chevrotain's lexer, with words typed as keywords as the scanner does while reading them. */
function referenceScan(text: string) {
  const result = reference.tokenize(text);
  for (const token of result.tokens) {
    const keyword = token.tokenType === Identifier ? keywords.get(token.image) : undefined;
    if (keyword) { token.tokenType = keyword; token.tokenTypeIdx = idx(keyword); }
  }
  return { tokens: result.tokens, comments: (result.groups.comments ?? []) as IToken[], errors: result.errors };
}

const plain = (tokens: IToken[]) =>
  tokens.map((t) => ({ image: t.image, offset: t.startOffset, line: t.startLine, col: t.startColumn, type: t.tokenType.name }));

function expectSameAsReference(text: string): void {
  const ours = scanTokens(text);
  const theirs = referenceScan(text);
  expect(plain(ours.tokens)).toEqual(plain(theirs.tokens));
  expect(plain(ours.comments)).toEqual(plain(theirs.comments));
  expect(ours.errors).toEqual(theirs.errors);
}

function ruleFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return ruleFiles(path);
    return name.endsWith('.rules') ? [path] : [];
  });
}

describe('scanner', () => {
  it('reads every rule file in the repository as the Chevrotain lexer does', () => {
    const files = [...ruleFiles(join(root, 'rules')), ...ruleFiles(join(root, 'tests'))];
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expectSameAsReference(readFileSync(file, 'utf8'));
  });

  it('reads tricky text as the Chevrotain lexer does', () => {
    const cases = [
      'target 1000 usd\nbonus 5 EURO when x', '1_000.50 EUR 1__0 1. 2.5% 3 business days 4 business  weeks 5 dayz',
      '2026-01-01 2026-01-011 9:30 12:30 123:45 1:5', '"a\\"b" "open\n"esc\\', '"\\\u2028" x', 'a != b ! = c <= >= < > =',
      '# comment\r\nx\ry\r\n\n  z', 'é ü 😀 @@ $ ~ `', 'USd USD USDX Usd EUR_ EUR1 UsD', '_x x_1 format fort for', '\t\t"x"\t#c',
      'x\u00a0y', '100\tUSD 100 \t days', '1 week 2 weeks 3 minute 4 hour', '1000 dollars 5 Euros 7 eru 2 dayz',
    ];
    for (const text of cases) expectSameAsReference(text);
  });

  it('reads random text as the Chevrotain lexer does', () => {
    const pieces = ['{', '}', '[', ']', '(', ')', ',', '.', '=', '!', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '"', '\\',
      '#', ' ', '\t', '\n', '\r', '\r\n', '_', '1', '12', '2026-01-01', '09:00', '1.5', '1_0', 'USD', 'usd', 'Eur', 'EURO', 'days',
      'business', 'week', 'for', 'mat', 'x', 'é', '😀', '\u2028', '@', ':'];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 3 })), { maxLength: 40 }), (parts) => {
        expectSameAsReference(parts.join(''));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
  });
});
