// The expression half of the grammar (SPEC §3) and the token-level helpers every rule uses: spans,
// literals, strings. The statement grammar (parser.ts) extends this class; Chevrotain builds the
// rules of both into one parser.
import type { IOrAlt, IToken, TokenType } from 'chevrotain';
import type { BinaryOpText, ExprNode, LiteralNode, Name, PathNode, Span, StringNode } from './ast.js';
import { chevrotain } from './chevrotain.js';
import * as T from './lexer.js';
import { durationValue, endsInLoneBackslash, moneyValue, numberValue, plainNumber, stringValue } from './literals.js';
import { ll1Lookahead } from './lookahead.js';
import type { MessageKey } from './messages.js';
import { syntaxErrorMessages } from './syntax-errors.js';

const { Kw } = T;

export interface ParseProblem {
  key: MessageKey;
  span: Span;
  args: string[];
  suggestion?: string;
  /** Read as meant (the word meant in its place, a stray bound left out): the statement is whole and is checked on. */
  readOn?: true;
}

/** What actions return while Chevrotain records the grammar; the value is never used. */
export const RECORDED = undefined as never;

export const NO_SPAN: Span = { file: '', line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };

/**
 * A token from the text: not inserted by error recovery (NaN offsets), not end of input, and not
 * Chevrotain's recording-phase placeholder (offset -1, held as a heap number). A span built from
 * the placeholder would make V8 store every span's positions as boxed doubles for the rest of the
 * process: more than twice the memory per span, and most of the parse time went to GC.
 */
export function isReal(token: IToken | undefined): token is IToken {
  return token !== undefined && token.startOffset >= 0 && !token.isInsertedInRecovery && token.tokenType !== chevrotain.EOF;
}

// Actions run only outside Chevrotain's grammar-recording phase (when tokens are placeholders).
// They test `RECORDING_PHASE` directly rather than through `ACTION(() => ...)`: one closure less
// per rule call adds up over a large corpus.
export abstract class ExpressionParser extends chevrotain.EmbeddedActionsParser {
  file = '';
  problems: ParseProblem[] = [];

  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true, maxLookahead: 1, errorMessageProvider: syntaxErrorMessages, skipValidations: true,
      lookaheadStrategy: ll1Lookahead(),
    });
  }

  tokenSpan(token: IToken): Span {
    // A token inserted by error recovery has no position: use the last real one.
    if (!isReal(token)) {
      const last = this.LA(0);
      return isReal(last) && last !== token ? this.tokenSpan(last) : { ...NO_SPAN, file: this.file };
    }
    return {
      file: this.file,
      line: token.startLine ?? 1,
      col: token.startColumn ?? 1,
      endLine: token.startLine ?? 1,
      endCol: (token.startColumn ?? 1) + token.image.length,
      offset: token.startOffset,
      endOffset: token.startOffset + token.image.length,
    };
  }

  /** From a rule's first token to the last token consumed so far (one object: this runs a lot). */
  spanFrom(start: IToken): Span {
    const last = this.LA(0);
    const first = isReal(start) ? start : last;
    if (!isReal(first)) return { ...NO_SPAN, file: this.file };
    const to = isReal(last) && last.startOffset >= first.startOffset ? last : first;
    return {
      file: this.file,
      line: first.startLine ?? 1,
      col: first.startColumn ?? 1,
      endLine: to.startLine ?? 1,
      endCol: (to.startColumn ?? 1) + to.image.length,
      offset: first.startOffset,
      endOffset: to.startOffset + to.image.length,
    };
  }

  nodeSpan(a: { span: Span }, b: { span: Span }): Span {
    return { ...a.span, endLine: b.span.endLine, endCol: b.span.endCol, endOffset: b.span.endOffset };
  }

  name(token: IToken): Name {
    return { text: token.image, span: this.tokenSpan(token) };
  }

  // ---- expressions (SPEC §3 precedence, lowest first) -------------------------------------------
  // Precedence levels are folded into few rules (operators collected in a loop, the tree built by
  // precedence afterwards): every rule call costs, and an atom used to go through eight of them.

  expression = this.RULE('expression', (): ExprNode => {
    const operands: ExprNode[] = [];
    const ops: ('and' | 'or')[] = [];
    operands.push(this.negatedComparison(1));
    this.MANY(() => {
      const op = this.OR(this.logicalOperatorAlts);
      ops.push(op.image as 'and' | 'or');
      operands.push(this.negatedComparison(2));
    });
    return (this.RECORDING_PHASE ? RECORDED : this.foldLogical(operands, ops));
  }, { recoveryValueFunc: () => this.errorNode() });

  /** `not* comparison`: `not` binds looser than comparisons and tighter than `and`. */
  negatedComparison(occurrence: 1 | 2): ExprNode {
    const nots: IToken[] = [];
    const many = occurrence === 1 ? this.MANY1 : this.MANY2;
    many.call(this, () => { nots.push(occurrence === 1 ? this.CONSUME1(Kw.not) : this.CONSUME2(Kw.not)); });
    const inner = occurrence === 1 ? this.SUBRULE1(this.comparison) : this.SUBRULE2(this.comparison);
    if (this.RECORDING_PHASE) return RECORDED;
    let node = inner ?? this.errorNode();
    for (let i = nots.length - 1; i >= 0; i--) {
      const from = this.tokenSpan(nots[i]);
      node = { kind: 'not', operand: node, span: { ...from, endLine: node.span.endLine, endCol: node.span.endCol, endOffset: node.span.endOffset } };
    }
    return node;
  }

  foldLogical(operands: ExprNode[], ops: ('and' | 'or')[]): ExprNode {
    const groups: ExprNode[] = [operands[0]];
    ops.forEach((op, i) => {
      const right = operands[i + 1];
      if (op === 'and') groups[groups.length - 1] = this.binary('and', groups[groups.length - 1], right);
      else groups.push(right);
    });
    return groups.reduce((left, right) => this.binary('or', left, right));
  }

  errorNode(): ExprNode {
    const at = this.LA(0);
    return { kind: 'error', span: isReal(at) ? this.tokenSpan(at) : { ...NO_SPAN, file: this.file } };
  }

  binary(op: BinaryOpText, left: ExprNode, right: ExprNode): ExprNode {
    if (!left || !right) return left ?? right ?? this.errorNode();
    return { kind: 'binary', op, left, right, span: this.nodeSpan(left, right) };
  }

  comparison = this.RULE('comparison', (): ExprNode => {
    const left = this.SUBRULE1(this.arithmetic);
    let result = left;
    this.OPTION(() => {
      let first = '';
      this.OR([
        { ALT: () => {
          const op = this.OR2(this.comparisonOperatorAlts);
          const right = this.SUBRULE2(this.arithmetic);
          if (!this.RECORDING_PHASE) { result = this.binary(op.image as BinaryOpText, left, right); first = op.image; }
        } },
        { ALT: () => {
          this.CONSUME1(Kw.in);
          const items = this.SUBRULE1(this.list);
          if (!this.RECORDING_PHASE) { result = { kind: 'in', negated: false, operand: left, items, span: this.spanFromNode(left) }; first = 'in'; }
        } },
        { ALT: () => {
          this.CONSUME(Kw.not);
          this.CONSUME2(Kw.in);
          const items = this.SUBRULE2(this.list);
          if (!this.RECORDING_PHASE) { result = { kind: 'in', negated: true, operand: left, items, span: this.spanFromNode(left) }; first = 'not in'; }
        } },
      ]);
      // `1 < x < 5` (or `x in [1, 2] = true`) parses up to the first comparison; the generic
      // "expected ... but found '<'" that the second operator then gets does not say what is
      // wrong (and its recovery took the rule's `}` for a stray one), so it is read here and named.
      this.OPTION2(() => {
        const again = this.OR3(this.chainedOperatorAlts);
        this.SUBRULE3(this.arithmetic);
        if (!this.RECORDING_PHASE && isReal(again)) {
          this.problems.push({ key: 'chainedComparison', span: this.tokenSpan(again), args: [again.image, first] });
        }
      });
    });
    return result;
  });

  spanFromNode(node: ExprNode | undefined): Span {
    const last = this.LA(0);
    if (!node) return this.errorNode().span;
    if (!isReal(last)) return node.span;
    const to = this.tokenSpan(last);
    return { ...node.span, endLine: to.endLine, endCol: to.endCol, endOffset: to.endOffset };
  }

  list = this.RULE('list', (): ExprNode[] => {
    this.CONSUME(T.LBracket);
    const items: ExprNode[] = [];
    this.OPTION(() => {
      items.push(this.SUBRULE1(this.expression));
      this.MANY(() => { this.CONSUME(T.Comma); items.push(this.SUBRULE2(this.expression)); });
    });
    this.CONSUME(T.RBracket);
    return items.slice();
  }, { recoveryValueFunc: () => [] });

  /** `+ - * /` in one loop; `* /` bind tighter and everything is left-associative. */
  arithmetic = this.RULE('arithmetic', (): ExprNode => {
    const operands: ExprNode[] = [this.SUBRULE1(this.operand)];
    const ops: BinaryOpText[] = [];
    this.MANY(() => {
      const op = this.OR(this.arithmeticOperatorAlts);
      ops.push(op.image as BinaryOpText);
      operands.push(this.SUBRULE2(this.operand));
    });
    if (this.RECORDING_PHASE) return RECORDED;
    if (ops.length === 0) return operands[0];
    const terms: ExprNode[] = [operands[0]];
    const termOps: BinaryOpText[] = [];
    ops.forEach((op, i) => {
      const right = operands[i + 1];
      if (op === '*' || op === '/') terms[terms.length - 1] = this.binary(op, terms[terms.length - 1], right);
      else {
        termOps.push(op);
        terms.push(right);
      }
    });
    return terms.slice(1).reduce((left, right, i) => this.binary(termOps[i], left, right), terms[0]);
  });

  operand = this.RULE('operand', (): ExprNode =>
    this.OR(this.operandAlts), { recoveryValueFunc: () => this.errorNode() });

  path = this.RULE('path', (): PathNode => {
    const first = this.CONSUME1(T.Identifier);
    const parts: IToken[] = [first];
    // `timezone` is a keyword (settings) and a field of rep and lead: after a dot it is the field.
    this.MANY(() => {
      this.CONSUME(T.Dot);
      parts.push(this.OR9([{ ALT: () => this.CONSUME2(T.Identifier) }, { ALT: () => this.CONSUME2(Kw.timezone) }]));
    });
    if (this.RECORDING_PHASE) return RECORDED;
    const names = parts.map((p) => this.name(p));
    // A one-word path spans just its word: share that span rather than keep an equal copy.
    const span = names.length === 1 && isReal(first) && this.LA(0) === first ? names[0].span : this.spanFrom(first);
    return { kind: 'path' as const, parts: names, span };
  });

  literal = this.RULE('literal', (): LiteralNode =>
    this.OR(this.literalAlts));

  // ---- alternatives, built once ----------------------------------------------------------------
  // Chevrotain evaluates an OR's array on every call; building a closure per alternative on every
  // rule call was a large share of parse time, so alternatives that capture nothing are built once.

  protected readonly operandAlts: IOrAlt<ExprNode>[] = [
      { ALT: () => {
        const start = this.CONSUME(T.Minus);
        const inner = this.SUBRULE(this.operand);
        return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'neg' as const, operand: inner, span: this.spanFrom(start) }));
      } },
      { ALT: () => this.SUBRULE(this.path) },
      { ALT: () => this.literalOf(this.CONSUME(T.NumberLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.MoneyLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.PercentLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.StringLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.DurationLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.DateLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.TimeLit)) },
      { ALT: () => this.literalOf(this.CONSUME(Kw.true)) },
      { ALT: () => this.literalOf(this.CONSUME(Kw.false)) },
      { ALT: () => this.literalOf(this.CONSUME(T.UnterminatedString)) },
      { ALT: () => {
        const start = this.CONSUME(T.LParen);
        const inner = this.SUBRULE(this.expression);
        this.CONSUME(T.RParen);
        return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'paren' as const, inner, span: this.spanFrom(start) }));
      } },
    ];

  protected readonly literalAlts: IOrAlt<LiteralNode>[] = [
      { ALT: () => {
        const s = this.SUBRULE(this.string);
        return (this.RECORDING_PHASE ? RECORDED : (s
          ? { kind: 'literal' as const, value: { type: 'string' as const, value: s.value }, raw: s.raw, span: s.span }
          : this.literalOf(this.LA(0))));
      } },
      { ALT: () => this.literalOf(this.CONSUME(T.NumberLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.MoneyLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.PercentLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.DurationLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.DateLit)) },
      { ALT: () => this.literalOf(this.CONSUME(T.TimeLit)) },
      { ALT: () => this.literalOf(this.CONSUME(Kw.true)) },
      { ALT: () => this.literalOf(this.CONSUME(Kw.false)) },
    ];

  protected readonly stringAlts: IOrAlt<StringNode>[] = [
      { ALT: () => { const t = this.CONSUME(T.StringLit); return (this.RECORDING_PHASE ? RECORDED : this.stringNode(t, true)); } },
      { ALT: () => { const t = this.CONSUME(T.UnterminatedString); return (this.RECORDING_PHASE ? RECORDED : this.stringNode(t, false)); } },
    ];

  protected readonly arithmeticOperatorAlts: IOrAlt<IToken>[] = [
        { ALT: () => this.CONSUME(T.Plus) },
        { ALT: () => this.CONSUME(T.Minus) },
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.Slash) },
      ];

  protected readonly comparisonOperatorAlts: IOrAlt<IToken>[] = [
            { ALT: () => this.CONSUME(T.Eq) },
            { ALT: () => this.CONSUME(T.NotEq) },
            { ALT: () => this.CONSUME(T.LtEq) },
            { ALT: () => this.CONSUME(T.GtEq) },
            { ALT: () => this.CONSUME(T.Lt) },
            { ALT: () => this.CONSUME(T.Gt) },
          ];

  /** The same operators for a second comparison in a row (each CONSUME in a rule needs its own index). */
  protected readonly chainedOperatorAlts: IOrAlt<IToken>[] = [
            { ALT: () => this.CONSUME2(T.Eq) },
            { ALT: () => this.CONSUME2(T.NotEq) },
            { ALT: () => this.CONSUME2(T.LtEq) },
            { ALT: () => this.CONSUME2(T.GtEq) },
            { ALT: () => this.CONSUME2(T.Lt) },
            { ALT: () => this.CONSUME2(T.Gt) },
          ];

  protected readonly logicalOperatorAlts: IOrAlt<IToken>[] = [{ ALT: () => this.CONSUME(Kw.and) }, { ALT: () => this.CONSUME(Kw.or) }];

  /** A literal node from one token; tolerant of recording-phase and recovery-inserted tokens. */
  literalOf(token: IToken): LiteralNode {
    if (this.RECORDING_PHASE) return RECORDED;
    const image = token?.image ?? '';
    const span = token && isReal(token) ? this.tokenSpan(token) : this.errorNode().span;
    const type: TokenType | undefined = token?.tokenType;
    const node = (value: LiteralNode['value']): LiteralNode => ({ kind: 'literal', value, raw: image, span });
    switch (type) {
      case T.MoneyLit: return node(moneyValue(image));
      case T.DurationLit: return node(durationValue(image));
      // `120 %` reaches here too, already reported by the lexer.
      case T.PercentLit: return node({ type: 'percent', value: plainNumber(image.slice(0, -1).trimEnd()) });
      case T.DateLit: return node({ type: 'date', value: image });
      // `9:00` is `09:00`: one value, so `fmt` can write it as the SPEC does and still mean the same.
      case T.TimeLit: return node({ type: 'time', value: /^\d:\d\d$/.test(image) ? `0${image}` : image });
      case Kw.true: return node({ type: 'bool', value: true });
      case Kw.false: return node({ type: 'bool', value: false });
      case T.StringLit:
      case T.UnterminatedString: {
        const string = this.stringNode(token, type === T.StringLit);
        return { kind: 'literal', value: { type: 'string', value: string.value }, raw: string.raw, span };
      }
      default: return node({ type: 'number', value: numberValue(image) || '0' });
    }
  }

  string = this.RULE('string', (): StringNode =>
    this.OR(this.stringAlts));

  stringNode(token: IToken, terminated: boolean): StringNode {
    const span = isReal(token) ? this.tokenSpan(token) : this.errorNode().span;
    if (!isReal(token)) return { value: '', raw: '""', span };
    const { value, problems } = stringValue(token.image, terminated);
    if (!terminated) this.problems.push({ key: 'unterminatedString', span, args: [] });
    for (const problem of problems) {
      const col = span.col + problem.at;
      this.problems.push({
        key: problem.kind,
        span: { ...span, col, endCol: col + problem.escape.length, offset: span.offset + problem.at, endOffset: span.offset + problem.at + problem.escape.length },
        args: problem.kind === 'badEscape' ? [problem.escape] : [],
      });
    }
    const written = terminated || !endsInLoneBackslash(token.image) ? token.image : token.image.slice(0, -1);
    return { value, raw: terminated ? written : `${written}"`, span };
  }
}
