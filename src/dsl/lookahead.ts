// An LL(1) lookahead strategy: each OR, OPTION and MANY decides by the next token alone, from the
// FIRST sets of its alternatives. The grammar is LL(1) (every alternative starts differently, and
// nothing that may follow an optional part can start it), so this chooses exactly as Chevrotain's
// default LL(k) strategy would, but computes in a few milliseconds what the default spends most of
// the parser's construction on, which is `salesflow check`'s cold start.
import type { ILookaheadStrategy, IProduction, Rule, TokenType } from 'chevrotain';
import { chevrotain } from './chevrotain.js';

interface First {
  tokens: Set<number>;
  nullable: boolean;
}

const { Alternation, NonTerminal, Option, Repetition, RepetitionMandatory, RepetitionMandatoryWithSeparator, RepetitionWithSeparator, Terminal } = chevrotain;

const tokenIndex = (type: TokenType): number => (type as TokenType & { tokenTypeIdx: number }).tokenTypeIdx;

class FirstSets {
  private readonly rules = new Map<Rule, First>();

  ofRule(rule: Rule): First {
    const known = this.rules.get(rule);
    if (known) return known;
    // Guards against recursion; no rule of this grammar is left-recursive.
    this.rules.set(rule, { tokens: new Set(), nullable: false });
    const first = this.ofSequence(rule.definition);
    this.rules.set(rule, first);
    return first;
  }

  ofSequence(prods: IProduction[]): First {
    const tokens = new Set<number>();
    for (const prod of prods) {
      const first = this.of(prod);
      first.tokens.forEach((t) => tokens.add(t));
      if (!first.nullable) return { tokens, nullable: false };
    }
    return { tokens, nullable: true };
  }

  of(prod: IProduction): First {
    if (prod instanceof Terminal) return { tokens: new Set([tokenIndex(prod.terminalType)]), nullable: false };
    if (prod instanceof NonTerminal) return this.ofRule(prod.referencedRule);
    if (prod instanceof Option || prod instanceof Repetition || prod instanceof RepetitionWithSeparator) {
      return { tokens: this.ofSequence(prod.definition).tokens, nullable: true };
    }
    if (prod instanceof Alternation) {
      const tokens = new Set<number>();
      let nullable = false;
      for (const alternative of prod.definition) {
        const first = this.of(alternative);
        first.tokens.forEach((t) => tokens.add(t));
        nullable ||= first.nullable;
      }
      return { tokens, nullable };
    }
    return this.ofSequence((prod as unknown as { definition: IProduction[] }).definition);
  }
}

type ProductionClass = abstract new (...args: never[]) => { idx: number; definition: IProduction[] };

function find(prods: IProduction[], kind: ProductionClass, occurrence: number): { definition: IProduction[] } | undefined {
  for (const prod of prods) {
    if (prod instanceof kind && (prod as { idx: number }).idx === occurrence) return prod as { definition: IProduction[] };
    if (prod instanceof NonTerminal || prod instanceof Terminal) continue;
    const inner = find((prod as unknown as { definition: IProduction[] }).definition, kind, occurrence);
    if (inner) return inner;
  }
  return undefined;
}

const optionalKinds: Record<string, ProductionClass> = {
  Option, Repetition, RepetitionWithSeparator, RepetitionMandatory, RepetitionMandatoryWithSeparator,
};

interface Lookahead {
  LA(n: number): { tokenTypeIdx: number };
}

// Decisions run at nearly every token, so each is one typed-array read indexed by token type
// (token type indexes are small integers) rather than a scan of sets.
function tableSize(sets: Set<number>[]): number {
  let max = 0;
  for (const set of sets) for (const t of set) max = Math.max(max, t);
  return max + 1;
}

export function ll1Lookahead(): ILookaheadStrategy {
  const firsts = new FirstSets();
  return {
    validate: () => [],
    buildLookaheadForAlternation({ prodOccurrence, rule }) {
      const alternation = find(rule.definition, Alternation, prodOccurrence);
      const sets = (alternation?.definition ?? []).map((alt) => firsts.of(alt));
      const fallback = sets.findIndex((s) => s.nullable);
      const noMatch = fallback >= 0 ? fallback : undefined;
      // The first alternative whose FIRST set holds the token, +1 (0: none), as the loop it replaces chose.
      const choice = new Uint8Array(tableSize(sets.map((s) => s.tokens)));
      for (let i = sets.length - 1; i >= 0; i--) for (const t of sets[i].tokens) choice[t] = i + 1;
      return function choose(this: Lookahead) {
        const chosen = choice[this.LA(1).tokenTypeIdx];
        return chosen ? chosen - 1 : noMatch;
      } as () => number | undefined;
    },
    buildLookaheadForOptional({ prodOccurrence, prodType, rule }) {
      const production = find(rule.definition, optionalKinds[prodType] ?? Option, prodOccurrence);
      const { tokens } = firsts.ofSequence(production?.definition ?? []);
      const starts = new Uint8Array(tableSize([tokens]));
      for (const t of tokens) starts[t] = 1;
      return function enter(this: Lookahead) {
        return starts[this.LA(1).tokenTypeIdx] === 1;
      } as () => boolean;
    },
  };
}
