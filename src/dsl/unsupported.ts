// Statements the SPEC's "incentive, in depth" names that this version does not run yet: `draw`,
// `clawback` and `disputes` (a later issue). A rule that uses one must not compile as if the
// statement were not there (its statements would pay without the draw, the clawback, the dispute
// link), and a parse error on its first word would cascade through the rest of the line (`for 2
// periods` read as `for reps`). So each such line is recognised by its shape, reported once with
// what it is, and taken out of the tokens before parsing: the rest of the rule is checked as usual.
import type { IToken } from 'chevrotain';
import { lookupTable } from '../plan/catalog.js';
import { Identifier, MoneyLit, RCurly } from './lexer.js';

/** The first word, and what its next token must look like for the line to be that statement. */
const shapes: Record<string, { what: string; next: (t: IToken) => boolean }> = lookupTable({
  draw: { what: 'draws', next: (t) => t.tokenType === MoneyLit },
  clawback: { what: 'clawbacks', next: (t) => t.image === 'within' },
  disputes: { what: 'statement disputes', next: (t) => t.image === 'to' },
});

export interface UnsupportedStatement { word: IToken; what: string; last: IToken }

/** The tokens without the lines of unsupported statements, and those statements. */
export function dropUnsupported(tokens: IToken[]): { tokens: IToken[]; found: UnsupportedStatement[] } {
  const found: UnsupportedStatement[] = [];
  const kept: IToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const shape = token.tokenType === Identifier ? shapes[token.image] : undefined;
    const previous = kept[kept.length - 1];
    const firstOnLine = previous === undefined || (previous.startLine ?? 0) < (token.startLine ?? 0);
    if (!shape || !firstOnLine || i + 1 >= tokens.length || !shape.next(tokens[i + 1])) {
      kept.push(token);
      continue;
    }
    // The statement runs to the end of its line (or a `}` closing the block on that line).
    let j = i + 1;
    while (j + 1 < tokens.length && tokens[j + 1].startLine === token.startLine && tokens[j + 1].tokenType !== RCurly) j++;
    found.push({ word: token, what: shape.what, last: tokens[j] });
    i = j;
  }
  return { tokens: found.length ? kept : tokens, found };
}
