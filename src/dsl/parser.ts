// The grammar (SPEC §5) as a Chevrotain embedded-actions parser that builds the AST directly.
// One parser instance is built per process (grammar analysis is the expensive part) and reused for
// every file. Error recovery is on, so one mistake does not hide the next.
import type { IOrAlt, IToken, TokenType } from 'chevrotain';
import type {
  BinaryOpText, CommissionBandNode, Declaration, EscalationNode, ExprNode, LiteralNode, Name, PathNode,
  RecipientNode, RuleFile, ScheduleNode, SettingNode, Span, Statement, StringNode,
} from './ast.js';
import { chevrotain } from './chevrotain.js';
import * as T from './lexer.js';
import { ll1Lookahead } from './lookahead.js';
import { durationValue, moneyValue, plainNumber, stringValue } from './literals.js';
import type { MessageKey } from './messages.js';
import { syntaxErrorMessages } from './syntax-errors.js';

const { Kw } = T;

export interface ParseProblem {
  key: MessageKey;
  span: Span;
  args: string[];
}

/** What actions return while Chevrotain records the grammar; the value is never used. */
const RECORDED = undefined as never;

const NO_SPAN: Span = { file: '', line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };

function isReal(token: IToken | undefined): token is IToken {
  return token !== undefined && !token.isInsertedInRecovery && Number.isFinite(token.startOffset) && token.tokenType !== chevrotain.EOF;
}

// Actions run only outside Chevrotain's grammar-recording phase (when tokens are placeholders).
// They test `RECORDING_PHASE` directly rather than through `ACTION(() => ...)`: one closure less
// per rule call adds up over a large corpus.
class RuleParser extends chevrotain.EmbeddedActionsParser {
  file = '';
  problems: ParseProblem[] = [];

  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true, maxLookahead: 1, errorMessageProvider: syntaxErrorMessages, skipValidations: true,
      lookaheadStrategy: ll1Lookahead(),
    });
    this.performSelfAnalysis();
  }

  tokenSpan(token: IToken): Span {
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

  // ---- declarations --------------------------------------------------------------------------

  file_ = this.RULE('file', () => {
    const declarations: Declaration[] = [];
    this.MANY(() => {
      const declaration = this.SUBRULE(this.declaration);
      if (!this.RECORDING_PHASE) { if (declaration) declarations.push(declaration); }
    });
    return declarations;
  });

  declaration = this.RULE('declaration', (): Declaration | undefined =>
    this.OR(this.declarationAlts), { recoveryValueFunc: () => undefined });

  settings = this.RULE('settings', (): Declaration => {
    const start = this.CONSUME(Kw.settings);
    this.CONSUME(T.LCurly);
    const entries: SettingNode[] = [];
    this.MANY(() => {
      this.OR([
        { ALT: () => { const k = this.CONSUME(Kw.timezone); const v = this.SUBRULE(this.string); if (!this.RECORDING_PHASE) { if (v) entries.push(this.setting('timezone', k, v)); } } },
        { ALT: () => { const k = this.CONSUME(Kw.from); const v = this.SUBRULE2(this.string); if (!this.RECORDING_PHASE) { if (v) entries.push(this.setting('from', k, v)); } } },
        { ALT: () => {
          const k = this.CONSUME(Kw.currency);
          const v = this.CONSUME(T.CurrencyCode);
          if (!this.RECORDING_PHASE) entries.push(this.setting('currency', k, { value: v.image, raw: v.image, span: this.tokenSpan(v) }));
        } },
      ]);
    });
    this.CONSUME(T.RCurly);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'settings' as const, entries, span: this.spanFrom(start) }));
  });

  setting(key: SettingNode['key'], keyToken: IToken, value: StringNode): SettingNode {
    const span = this.tokenSpan(keyToken);
    return { key, value: value.value, valueRaw: value.raw, valueSpan: value.span, span: { ...span, endLine: value.span.endLine, endCol: value.span.endCol, endOffset: value.span.endOffset } };
  }

  metric = this.RULE('metric', (): Declaration => {
    const start = this.CONSUME(Kw.metric);
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Eq);
    const aggregate = this.OR([
      { ALT: () => this.CONSUME(Kw.sum) },
      { ALT: () => this.CONSUME(Kw.count) },
      { ALT: () => this.CONSUME(Kw.avg) },
      { ALT: () => this.CONSUME(Kw.min) },
      { ALT: () => this.CONSUME(Kw.max) },
    ]);
    this.CONSUME(T.LParen);
    const arg = this.SUBRULE(this.path);
    this.CONSUME(T.RParen);
    const where = this.OPTION(() => { this.CONSUME(Kw.where); return this.SUBRULE(this.expression); }) ?? null;
    return (this.RECORDING_PHASE ? RECORDED : ({
      kind: 'metric' as const,
      name: this.name(name),
      aggregate: aggregate.image as 'sum' | 'count' | 'avg' | 'min' | 'max',
      arg,
      where,
      span: this.spanFrom(start),
    }));
  });

  ruleDeclaration = this.RULE('ruleDeclaration', (): Declaration => {
    const start = this.OR([
      { ALT: () => this.CONSUME(Kw.goal) },
      { ALT: () => this.CONSUME(Kw.incentive) },
      { ALT: () => this.CONSUME(Kw.sequence) },
    ]);
    const name = this.SUBRULE(this.string);
    const body = this.SUBRULE(this.block);
    return (this.RECORDING_PHASE ? RECORDED : ({
      kind: start.image as 'goal' | 'incentive' | 'sequence',
      // After a syntax error the name may be missing; the declaration is then not checked further.
      name: name ?? { value: '', raw: '""', span: this.tokenSpan(start) },
      body: body ?? [],
      span: this.spanFrom(start),
    }));
  });

  block = this.RULE('block', (): Statement[] => {
    this.CONSUME(T.LCurly);
    const statements: Statement[] = [];
    this.MANY(() => {
      const statement = this.SUBRULE(this.statement);
      if (!this.RECORDING_PHASE) { if (statement) statements.push(statement); }
    });
    this.CONSUME(T.RCurly);
    return statements;
  }, { recoveryValueFunc: () => [] });

  // ---- statements ----------------------------------------------------------------------------

  statement = this.RULE('statement', (): Statement | undefined =>
    this.OR(this.statementAlts), { recoveryValueFunc: () => undefined });

  optionalWhere(): ExprNode | null {
    return this.OPTION9(() => { this.CONSUME9(Kw.where); return this.SUBRULE9(this.expression); }) ?? null;
  }

  forStatement = this.RULE('forStatement', (): Statement => {
    const start = this.CONSUME(Kw.for);
    this.CONSUME(Kw.reps);
    const where = this.optionalWhere();
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'for' as const, where, span: this.spanFrom(start) }));
  });

  measureStatement = this.RULE('measureStatement', (): Statement => {
    const start = this.CONSUME(Kw.measure);
    const metric = this.CONSUME(T.Identifier);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'measure' as const, metric: this.name(metric), span: this.spanFrom(start) }));
  });

  targetStatement = this.RULE('targetStatement', (): Statement => {
    const start = this.CONSUME(Kw.target);
    const value = this.SUBRULE(this.literal);
    const per = this.OPTION(() => { this.CONSUME(Kw.per); return this.CONSUME(T.Identifier); });
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'target' as const, value, per: per ? this.name(per) : null, span: this.spanFrom(start) }));
  });

  periodStatement = this.RULE('periodStatement', (): Statement => {
    const start = this.CONSUME(Kw.period);
    const period = this.CONSUME(T.Identifier);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'period' as const, period: this.name(period), span: this.spanFrom(start) }));
  });

  effectiveStatement = this.RULE('effectiveStatement', (): Statement => {
    const start = this.CONSUME(Kw.effective);
    const from = this.CONSUME1(T.DateLit);
    this.CONSUME(Kw.to);
    const to = this.CONSUME2(T.DateLit);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'effective' as const, from: this.literalOf(from), to: this.literalOf(to), span: this.spanFrom(start) }));
  });

  everyStatement = this.RULE('everyStatement', (): Statement => {
    const start = this.CONSUME(Kw.every);
    const first = this.CONSUME1(T.Identifier);
    const days: IToken[] = [first];
    this.MANY(() => { this.CONSUME(T.Comma); days.push(this.CONSUME2(T.Identifier)); });
    this.CONSUME(Kw.at);
    const at = this.CONSUME(T.TimeLit);
    let body: Statement[] | null = null;
    let when: ExprNode | null = null;
    let forReps: { where: ExprNode | null; span: Span } | null = null;
    this.OR([
      { ALT: () => {
        when = this.OPTION(() => { this.CONSUME(Kw.when); return this.SUBRULE(this.expression); }) ?? null;
        body = this.SUBRULE(this.block);
      } },
      { ALT: () => {
        const forToken = this.CONSUME(Kw.for);
        this.CONSUME(Kw.reps);
        const where = this.optionalWhere();
        if (!this.RECORDING_PHASE) { forReps = { where, span: this.spanFrom(forToken) }; }
      } },
    ]);
    if (this.RECORDING_PHASE) return RECORDED;
    const schedule: ScheduleNode = {
      days: days.map((d) => this.name(d)),
      at: this.literalOf(at),
      span: { ...this.tokenSpan(first), endLine: this.tokenSpan(at).endLine, endCol: this.tokenSpan(at).endCol, endOffset: this.tokenSpan(at).endOffset },
    };
    return { kind: 'every' as const, schedule, when, body, forReps, span: this.spanFrom(start) };
  });

  atStatement = this.RULE('atStatement', (): Statement => {
    const start = this.CONSUME(Kw.at);
    return this.OR([
      { ALT: () => {
        const percent = this.CONSUME(T.PercentLit);
        this.CONSUME1(Kw.of);
        this.CONSUME1(Kw.period);
        const when = this.OPTION1(() => { this.CONSUME1(Kw.when); return this.SUBRULE1(this.expression); }) ?? null;
        const body = this.SUBRULE1(this.block);
        return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'atPercent' as const, percent: this.literalOf(percent), when, body: body ?? [], span: this.spanFrom(start) }));
      } },
      { ALT: () => {
        this.CONSUME(Kw.end);
        this.CONSUME2(Kw.of);
        this.CONSUME2(Kw.period);
        const when = this.OPTION2(() => { this.CONSUME2(Kw.when); return this.SUBRULE2(this.expression); }) ?? null;
        const body = this.SUBRULE2(this.block);
        return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'atEnd' as const, when, body: body ?? [], span: this.spanFrom(start) }));
      } },
    ]);
  });

  sendStatement = this.RULE('sendStatement', (): Statement => {
    const start = this.CONSUME(Kw.send);
    const template = this.SUBRULE(this.string);
    this.CONSUME(Kw.to);
    const to: RecipientNode[] = [];
    const first = this.SUBRULE1(this.recipient);
    if (!this.RECORDING_PHASE) to.push(first);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      const next = this.SUBRULE2(this.recipient);
      if (!this.RECORDING_PHASE) to.push(next);
    });
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'send' as const, template, to: to.filter(Boolean), span: this.spanFrom(start) }));
  });

  recipient = this.RULE('recipient', (): RecipientNode =>
    this.OR(this.recipientAlts));

  commissionStatement = this.RULE('commissionStatement', (): Statement => {
    const start = this.CONSUME(Kw.commission);
    const method = this.OR([{ ALT: () => this.CONSUME(Kw.marginal) }, { ALT: () => this.CONSUME(Kw.retroactive) }]);
    this.CONSUME(T.LCurly);
    const bands: CommissionBandNode[] = [];
    this.MANY(() => {
      const band = this.SUBRULE(this.band);
      if (!this.RECORDING_PHASE) { if (band) bands.push(band); }
    });
    this.CONSUME(T.RCurly);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'commission' as const, method: method.image as 'marginal' | 'retroactive', bands, span: this.spanFrom(start) }));
  });

  band = this.RULE('band', (): CommissionBandNode | undefined =>
    this.OR([
      { ALT: () => {
        const start = this.CONSUME(Kw.up);
        this.CONSUME(Kw.to);
        const upTo = this.CONSUME1(T.PercentLit);
        this.CONSUME1(Kw.pay);
        const pay = this.CONSUME2(T.PercentLit);
        return (this.RECORDING_PHASE ? RECORDED : ({ upTo: this.literalOf(upTo), pay: this.literalOf(pay), span: this.spanFrom(start) }));
      } },
      { ALT: () => {
        const start = this.CONSUME(Kw.above);
        this.CONSUME2(Kw.pay);
        const pay = this.CONSUME3(T.PercentLit);
        return (this.RECORDING_PHASE ? RECORDED : ({ upTo: null, pay: this.literalOf(pay), span: this.spanFrom(start) }));
      } },
    ]), { recoveryValueFunc: () => undefined });

  bonusStatement = this.RULE('bonusStatement', (): Statement => {
    const start = this.CONSUME(Kw.bonus);
    const amount = this.CONSUME(T.MoneyLit);
    this.CONSUME(Kw.when);
    const when = this.SUBRULE(this.expression);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'bonus' as const, amount: this.literalOf(amount), when, span: this.spanFrom(start) }));
  });

  spiffStatement = this.RULE('spiffStatement', (): Statement => {
    const start = this.CONSUME(Kw.spiff);
    const amount = this.CONSUME(T.MoneyLit);
    this.CONSUME(Kw.per);
    const per = this.CONSUME(T.Identifier);
    const where = this.optionalWhere();
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'spiff' as const, amount: this.literalOf(amount), per: this.name(per), where, span: this.spanFrom(start) }));
  });

  capStatement = this.RULE('capStatement', (): Statement => {
    const start = this.CONSUME(Kw.cap);
    const amount = this.CONSUME(T.MoneyLit);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'cap' as const, amount: this.literalOf(amount), span: this.spanFrom(start) }));
  });

  rewardStatement = this.RULE('rewardStatement', (): Statement => {
    const start = this.CONSUME(Kw.reward);
    const text = this.SUBRULE(this.string);
    const when = this.OPTION(() => { this.CONSUME(Kw.when); return this.SUBRULE(this.expression); }) ?? null;
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'reward' as const, text, when, span: this.spanFrom(start) }));
  });

  approveStatement = this.RULE('approveStatement', (): Statement => {
    const start = this.CONSUME1(Kw.approve);
    this.CONSUME(Kw.by);
    const by = this.SUBRULE1(this.recipient);
    this.CONSUME1(Kw.within);
    const within = this.CONSUME1(T.DurationLit);
    const escalations: EscalationNode[] = [];
    let otherwise: { decision: 'approve' | 'reject'; span: Span } | null = null;
    this.OPTION(() => {
      this.CONSUME(T.LCurly);
      this.MANY(() => {
        this.OR([
          { ALT: () => {
            const e = this.CONSUME(Kw.escalate);
            this.CONSUME(Kw.to);
            const to = this.SUBRULE2(this.recipient);
            this.CONSUME2(Kw.within);
            const d = this.CONSUME2(T.DurationLit);
            if (!this.RECORDING_PHASE) escalations.push({ to, within: this.literalOf(d), span: this.spanFrom(e) });
          } },
          { ALT: () => {
            const o = this.CONSUME(Kw.otherwise);
            const decision = this.OR2([{ ALT: () => this.CONSUME(Kw.reject) }, { ALT: () => this.CONSUME2(Kw.approve) }]);
            if (!this.RECORDING_PHASE) { otherwise = { decision: decision.image as 'approve' | 'reject', span: this.spanFrom(o) }; }
          } },
        ]);
      });
      this.CONSUME(T.RCurly);
    });
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'approve' as const, by, within: this.literalOf(within), escalations, otherwise, span: this.spanFrom(start) }));
  });

  onStatement = this.RULE('onStatement', (): Statement => {
    const start = this.CONSUME(Kw.on);
    const event = this.SUBRULE(this.path);
    const where = this.optionalWhere();
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'on' as const, event: this.pathName(event), where, span: this.spanFrom(start) }));
  });

  stopStatement = this.RULE('stopStatement', (): Statement => {
    const start = this.CONSUME(Kw.stop);
    this.CONSUME(Kw.on);
    const events: PathNode[] = [this.SUBRULE1(this.path)];
    this.MANY(() => { this.CONSUME(T.Comma); events.push(this.SUBRULE2(this.path)); });
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'stopOn' as const, events: events.filter(Boolean).map((e) => this.pathName(e)), span: this.spanFrom(start) }));
  });

  errorRecipient(): RecipientNode {
    const span = this.errorNode().span;
    return { kind: 'address', value: { value: '', raw: '""', span }, span };
  }

  pathName(path: PathNode | undefined): Name {
    if (!path) return { text: '', span: this.errorNode().span };
    return { text: path.parts.map((p) => p.text).join('.'), span: path.span };
  }

  quietStatement = this.RULE('quietStatement', (): Statement => {
    const start = this.CONSUME(Kw.quiet);
    this.CONSUME(Kw.hours);
    const from = this.CONSUME1(T.TimeLit);
    this.CONSUME(Kw.to);
    const to = this.CONSUME2(T.TimeLit);
    const weekends = this.OPTION(() => { this.CONSUME(Kw.and); this.CONSUME(Kw.weekends); return true; }) ?? false;
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'quietHours' as const, from: this.literalOf(from), to: this.literalOf(to), weekends, span: this.spanFrom(start) }));
  });

  waitStatement = this.RULE('waitStatement', (): Statement => {
    const start = this.CONSUME(Kw.wait);
    const duration = this.CONSUME(T.DurationLit);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'wait' as const, duration: this.literalOf(duration), span: this.spanFrom(start) }));
  });

  ifStatement = this.RULE('ifStatement', (): Statement => {
    const start = this.CONSUME(Kw.if);
    const condition = this.SUBRULE(this.expression);
    const then = this.SUBRULE1(this.block);
    const otherwise = this.OPTION(() => {
      this.CONSUME(Kw.else);
      return this.OR([
        { ALT: () => this.SUBRULE2(this.block) },
        { ALT: () => { const nested = this.SUBRULE(this.ifStatement); return (this.RECORDING_PHASE ? RECORDED : (nested ? [nested] : [])); } },
      ]);
    }) ?? null;
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'if' as const, condition, then: then ?? [], else: otherwise, span: this.spanFrom(start) }));
  });

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
      this.OR([
        { ALT: () => {
          const op = this.OR2(this.comparisonOperatorAlts);
          const right = this.SUBRULE2(this.arithmetic);
          if (!this.RECORDING_PHASE) { result = this.binary(op.image as BinaryOpText, left, right); }
        } },
        { ALT: () => {
          this.CONSUME1(Kw.in);
          const items = this.SUBRULE1(this.list);
          if (!this.RECORDING_PHASE) { result = { kind: 'in', negated: false, operand: left, items, span: this.spanFromNode(left) }; }
        } },
        { ALT: () => {
          this.CONSUME(Kw.not);
          this.CONSUME2(Kw.in);
          const items = this.SUBRULE2(this.list);
          if (!this.RECORDING_PHASE) { result = { kind: 'in', negated: true, operand: left, items, span: this.spanFromNode(left) }; }
        } },
      ]);
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
    return items;
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
    this.MANY(() => { this.CONSUME(T.Dot); parts.push(this.CONSUME2(T.Identifier)); });
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'path' as const, parts: parts.map((p) => this.name(p)), span: this.spanFrom(first) }));
  });

  literal = this.RULE('literal', (): LiteralNode =>
    this.OR(this.literalAlts));


  // ---- alternatives, built once ----------------------------------------------------------------
  // Chevrotain evaluates an OR's array on every call; building 19 closures per statement was a
  // large share of parse time, so alternatives that capture nothing are built once here.

  private readonly declarationAlts: IOrAlt<Declaration>[] = [
      { ALT: () => this.SUBRULE(this.settings) },
      { ALT: () => this.SUBRULE(this.metric) },
      { ALT: () => this.SUBRULE(this.ruleDeclaration) },
    ];

  private readonly statementAlts: IOrAlt<Statement>[] = [
      { ALT: () => this.SUBRULE(this.forStatement) },
      { ALT: () => this.SUBRULE(this.measureStatement) },
      { ALT: () => this.SUBRULE(this.targetStatement) },
      { ALT: () => this.SUBRULE(this.periodStatement) },
      { ALT: () => this.SUBRULE(this.effectiveStatement) },
      { ALT: () => this.SUBRULE(this.everyStatement) },
      { ALT: () => this.SUBRULE(this.atStatement) },
      { ALT: () => this.SUBRULE(this.sendStatement) },
      { ALT: () => this.SUBRULE(this.commissionStatement) },
      { ALT: () => this.SUBRULE(this.bonusStatement) },
      { ALT: () => this.SUBRULE(this.spiffStatement) },
      { ALT: () => this.SUBRULE(this.capStatement) },
      { ALT: () => this.SUBRULE(this.rewardStatement) },
      { ALT: () => this.SUBRULE(this.approveStatement) },
      { ALT: () => this.SUBRULE(this.onStatement) },
      { ALT: () => this.SUBRULE(this.stopStatement) },
      { ALT: () => this.SUBRULE(this.quietStatement) },
      { ALT: () => this.SUBRULE(this.waitStatement) },
      { ALT: () => this.SUBRULE(this.ifStatement) },
    ];

  private readonly operandAlts: IOrAlt<ExprNode>[] = [
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

  private readonly literalAlts: IOrAlt<LiteralNode>[] = [
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

  private readonly stringAlts: IOrAlt<StringNode>[] = [
      { ALT: () => { const t = this.CONSUME(T.StringLit); return (this.RECORDING_PHASE ? RECORDED : this.stringNode(t, true)); } },
      { ALT: () => { const t = this.CONSUME(T.UnterminatedString); return (this.RECORDING_PHASE ? RECORDED : this.stringNode(t, false)); } },
    ];

  private readonly recipientAlts: IOrAlt<RecipientNode>[] = [
      { ALT: () => { const p = this.SUBRULE(this.path); return (this.RECORDING_PHASE ? RECORDED : (p ? { kind: 'path' as const, parts: p.parts, span: p.span } : this.errorRecipient())); } },
      { ALT: () => { const s = this.SUBRULE(this.string); return (this.RECORDING_PHASE ? RECORDED : (s ? { kind: 'address' as const, value: s, span: s.span } : this.errorRecipient())); } },
    ];

  private readonly arithmeticOperatorAlts: IOrAlt<IToken>[] = [
        { ALT: () => this.CONSUME(T.Plus) },
        { ALT: () => this.CONSUME(T.Minus) },
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.Slash) },
      ];

  private readonly comparisonOperatorAlts: IOrAlt<IToken>[] = [
            { ALT: () => this.CONSUME(T.Eq) },
            { ALT: () => this.CONSUME(T.NotEq) },
            { ALT: () => this.CONSUME(T.LtEq) },
            { ALT: () => this.CONSUME(T.GtEq) },
            { ALT: () => this.CONSUME(T.Lt) },
            { ALT: () => this.CONSUME(T.Gt) },
          ];

  private readonly logicalOperatorAlts: IOrAlt<IToken>[] = [{ ALT: () => this.CONSUME(Kw.and) }, { ALT: () => this.CONSUME(Kw.or) }];

  /** A literal node from one token; tolerant of recording-phase and recovery-inserted tokens. */
  literalOf(token: IToken): LiteralNode {
    const image = token?.image ?? '';
    const span = token && isReal(token) ? this.tokenSpan(token) : this.errorNode().span;
    const type: TokenType | undefined = token?.tokenType;
    const node = (value: LiteralNode['value']): LiteralNode => ({ kind: 'literal', value, raw: image, span });
    switch (type) {
      case T.MoneyLit: return node(moneyValue(image));
      case T.DurationLit: return node(durationValue(image));
      case T.PercentLit: return node({ type: 'percent', value: plainNumber(image.slice(0, -1)) });
      case T.DateLit: return node({ type: 'date', value: image });
      case T.TimeLit: return node({ type: 'time', value: image });
      case Kw.true: return node({ type: 'bool', value: true });
      case Kw.false: return node({ type: 'bool', value: false });
      case T.StringLit:
      case T.UnterminatedString: {
        const string = this.stringNode(token, type === T.StringLit);
        return { kind: 'literal', value: { type: 'string', value: string.value }, raw: string.raw, span };
      }
      default: return node({ type: 'number', value: plainNumber(image) || '0' });
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
        key: 'badEscape',
        span: { ...span, col, endCol: col + problem.escape.length, offset: span.offset + problem.at, endOffset: span.offset + problem.at + problem.escape.length },
        args: [problem.escape],
      });
    }
    return { value, raw: terminated ? token.image : `${token.image}"`, span };
  }
}

let shared: RuleParser | undefined;

export interface ParseOutput {
  ast: RuleFile;
  problems: ParseProblem[];
  syntaxErrors: { code: MessageKey; message: string; span: Span }[];
}

/** Parses one file's tokens; never throws on bad input. */
export function parseTokens(file: string, tokens: IToken[], comments: RuleFile['comments']): ParseOutput {
  shared ??= new RuleParser();
  const parser = shared;
  parser.file = file;
  parser.problems = [];
  parser.input = tokens;
  const declarations = parser.file_() ?? [];
  const syntaxErrors = parser.errors.map((error) => {
    const token = isReal(error.token) ? error.token : (error as { previousToken?: IToken }).previousToken;
    let span: Span;
    if (isReal(token) && token !== error.token) {
      // At end of input: point just after the last real token.
      const after = parser.tokenSpan(token);
      span = { ...after, line: after.endLine, col: after.endCol, offset: after.endOffset };
    } else if (isReal(token)) {
      span = parser.tokenSpan(token);
    } else {
      const last = tokens[tokens.length - 1];
      const after = last ? parser.tokenSpan(last) : { ...NO_SPAN, file };
      span = { ...after, line: after.endLine, col: after.endCol, offset: after.endOffset };
    }
    const code: MessageKey =
      error.name === 'MismatchedTokenException' ? 'expectedToken'
      : error.name === 'NoViableAltException' ? 'noViableAlternative'
      : error.name === 'EarlyExitException' ? 'expectedAtLeastOne'
      : 'unexpectedInput';
    return { code, message: error.message, span };
  });
  return { ast: { file, declarations: declarations.filter(Boolean), comments }, problems: parser.problems, syntaxErrors };
}
