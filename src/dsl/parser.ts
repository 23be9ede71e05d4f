// The grammar of declarations and statements (SPEC §5) as a Chevrotain embedded-actions parser that
// builds the AST directly; expressions and token helpers come from parse-expressions.ts. One parser
// instance is built per process (grammar analysis is the expensive part) and reused for every file.
// Error recovery is on, so one mistake does not hide the next.
import type { IOrAlt, IToken, TokenType } from 'chevrotain';
import type {
  CommissionBandNode, Declaration, EscalationNode, ExprNode, Name, PathNode, RecipientNode, RuleFile, ScheduleNode,
  SettingNode, Span, Statement, StringNode, UnfinishedMetric,
} from './ast.js';
import * as T from './lexer.js';
import type { MessageKey } from './messages.js';
import { chevrotain } from './chevrotain.js';
import { ExpressionParser, isReal, NO_SPAN, RECORDED, type ParseProblem } from './parse-expressions.js';
import { HOLE_SEPARATOR, QUOTED_DAY } from './syntax-errors.js';

const { Kw } = T;

export type { ParseProblem } from './parse-expressions.js';

/** The forms of `credit` (the checker's SF6017 list), as words. */
const CREDIT_FORMS = ['splits', 'overlay splits', 'all splits', 'team', 'team all levels'].map((form) => form.split(' '));

/** Whether `next` after `words` is still the start of a form of `credit`. */
function continuesCredit(words: string[], next: string): boolean {
  const written = [...words, next];
  return CREDIT_FORMS.some((form) => form.length >= written.length && written.every((w, i) => form[i] === w));
}

class RuleParser extends ExpressionParser {
  constructor() {
    super();
    this.performSelfAnalysis();
  }

  // ---- declarations --------------------------------------------------------------------------

  /**
   * The declarations parsed so far, kept on the parser rather than in the rule: when the file ends
   * inside a block Chevrotain cannot re-synchronise, and the `file` rule returns no value at all.
   * The declarations before that point are whole and still checked.
   */
  declarations: Declaration[] = [];

  file_ = this.RULE('file', () => {
    this.MANY(() => {
      const declaration = this.SUBRULE(this.declaration);
      if (!this.RECORDING_PHASE) { if (declaration) this.declarations.push(declaration); }
    });
    return this.declarations;
  });

  declaration = this.RULE('declaration', (): Declaration | undefined => {
    if (!this.RECORDING_PHASE) this.keepUnfinished();
    return this.OR(this.declarationAlts);
  }, { recoveryValueFunc: () => undefined });

  /** The metric being read; cleared when it parses whole (see UnfinishedMetric). */
  partialMetric: UnfinishedMetric | undefined;
  unfinishedMetrics: UnfinishedMetric[] = [];

  /**
   * The rule being read, with its statements so far (its body block's own list, filled as it is
   * read); cleared when it parses whole. A file cut inside a statement (`for reps where` at the
   * end) threw the rule away, and none of its finished statements was checked.
   */
  partialRule: { start: IToken; name: StringNode; body: Statement[] | undefined } | undefined;

  /** A metric or rule still being read when the next declaration starts (or the file ends) never finished. */
  keepUnfinished(): void {
    if (this.partialMetric) this.unfinishedMetrics.push(this.partialMetric);
    this.partialMetric = undefined;
    const rule = this.partialRule;
    this.partialRule = undefined;
    const body = rule?.body;
    if (!rule || !body || body.length === 0) return;
    const from = this.tokenSpan(rule.start);
    const to = body[body.length - 1].span;
    this.declarations.push({
      kind: rule.start.image as 'goal' | 'incentive' | 'sequence',
      name: rule.name,
      body: body.slice(),
      span: { ...from, endLine: to.endLine, endCol: to.endCol, endOffset: to.endOffset },
    });
  }

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
          if (!this.RECORDING_PHASE && isReal(v)) entries.push(this.setting('currency', k, { value: v.image, raw: v.image, span: this.tokenSpan(v) }));
        } },
        { ALT: () => { this.SUBRULE(this.unknownSetting); } },
      ]);
    });
    this.CONSUME(T.RCurly);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'settings' as const, entries: entries.slice(), span: this.spanFrom(start) }));
  });

  setting(key: SettingNode['key'], keyToken: IToken, value: StringNode): SettingNode {
    const span = this.tokenSpan(keyToken);
    return { key, value: value.value, valueRaw: value.raw, valueSpan: value.span, span: { ...span, endLine: value.span.endLine, endCol: value.span.endCol, endOffset: value.span.endOffset } };
  }

  metric = this.RULE('metric', (): Declaration => {
    const start = this.CONSUME(Kw.metric);
    const name = this.CONSUME(T.Identifier);
    if (!this.RECORDING_PHASE && isReal(name)) this.partialMetric = { name: this.name(name), aggregate: null, span: this.spanFrom(start) };
    this.CONSUME(T.Eq);
    const aggregate = this.OR([
      { ALT: () => this.CONSUME(Kw.sum) },
      { ALT: () => this.CONSUME(Kw.count) },
      { ALT: () => this.CONSUME(Kw.avg) },
      { ALT: () => this.CONSUME(Kw.min) },
      { ALT: () => this.CONSUME(Kw.max) },
    ]);
    if (!this.RECORDING_PHASE && this.partialMetric) this.partialMetric.aggregate = aggregate.image as UnfinishedMetric['aggregate'];
    this.CONSUME(T.LParen);
    const arg = this.SUBRULE(this.path);
    this.CONSUME(T.RParen);
    const where = this.OPTION(() => { this.CONSUME(Kw.where); return this.SUBRULE(this.expression); }) ?? null;
    if (!this.RECORDING_PHASE) this.partialMetric = undefined;
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
    if (!this.RECORDING_PHASE && isReal(start) && name) this.partialRule = { start, name, body: undefined };
    const body = this.SUBRULE(this.block);
    if (!this.RECORDING_PHASE) this.partialRule = undefined;
    return (this.RECORDING_PHASE ? RECORDED : ({
      kind: start.image as 'goal' | 'incentive' | 'sequence',
      // After a syntax error the name may be missing (raw ''; a name written `""` has raw '""'): the
      // syntax error says what is wrong with it, and the checker says nothing more about it.
      name: name ?? { value: '', raw: '', span: this.tokenSpan(start) },
      body: body ?? [],
      span: this.spanFrom(start),
    }));
  });

  /** The lexer's errors in this file (unexpected characters): words after one on its line are its debris. */
  lexicalErrors: { line: number; offset: number }[] = [];

  /** Whether a block already reported the end of the file (nested blocks all end there). */
  endOfFileReported = false;

  block = this.RULE('block', (): Statement[] => {
    this.CONSUME(T.LCurly);
    const statements: Statement[] = [];
    // The first block after a rule's name is its body (see partialRule).
    if (!this.RECORDING_PHASE && this.partialRule && !this.partialRule.body) this.partialRule.body = statements;
    this.MANY(() => {
      const statement = this.SUBRULE(this.statement);
      if (!this.RECORDING_PHASE) { if (statement) statements.push(statement); }
    });
    // The file ends inside the block (a `}` forgotten): said once, by the innermost block, and the
    // statements read so far are kept, so the rest of the rule is still checked for what it shows.
    if (!this.RECORDING_PHASE && this.LA(1).tokenType === chevrotain.EOF) {
      if (!this.endOfFileReported) {
        this.endOfFileReported = true;
        const error = new chevrotain.MismatchedTokenException(`a statement or '}'${HOLE_SEPARATOR}end of file`, this.LA(1), this.LA(0));
        // Not a token missing from the statement before: that one parsed whole, or has its own error.
        unknownStatements.add(error);
        this.saveError(error);
      }
      return statements.slice();
    }
    this.CONSUME(T.RCurly);
    // An array grown by push keeps spare slots (17 for one item). The AST of every file lives
    // until checking ends, so lists kept in it are exact-size copies (here and below).
    return statements.slice();
  }, { recoveryValueFunc: () => [] });

  /**
   * Whether the file ends inside a commission table or an approval block (`}` forgotten). Said once,
   * like a block does; left to Chevrotain, the exception at the end of input took the whole rule
   * with it and none of its statements was checked. The statement it ends is marked `cut`: the
   * checker reads what it holds, but not what its missing end could still have added.
   */
  endsInside(): boolean {
    if (this.RECORDING_PHASE || this.LA(1).tokenType !== chevrotain.EOF) return false;
    if (!this.endOfFileReported) {
      this.endOfFileReported = true;
      this.saveError(new chevrotain.MismatchedTokenException(`'}'${HOLE_SEPARATOR}end of file`, this.LA(1), this.LA(0)));
    }
    return true;
  }

  // ---- statements ----------------------------------------------------------------------------

  statement = this.RULE('statement', (): Statement | undefined =>
    this.OR(this.statementAlts), { recoveryValueFunc: () => undefined });

  /**
   * A word where a statement should start (`aprove by rep.manager within 5 days { ... }`, `evry
   * monday at 09:00 { ... }`): reported as "expected a statement or '}'" (with the nearest keyword,
   * program.ts), then the rest of that statement is skipped, its `{ ... }` block included. Left to
   * Chevrotain, the block's `}` closed the rule: every later statement of the rule became "expected
   * a declaration" and was never checked.
   */
  unknownStatement = this.RULE('unknownStatement', (): Statement | undefined => {
    const word = this.CONSUME(T.Identifier);
    if (!this.RECORDING_PHASE) this.unknownWord(word, "a statement or '}'", statementStarts);
    return undefined;
  });

  /**
   * An `else` with no `if` before it (a statement between the `}` and the `else`, or no `if` at
   * all): one error, its block skipped. Left to Chevrotain, the block's `}` closed the rule and the
   * rule's own `}` was reported again as "expected a declaration".
   */
  strayElse = this.RULE('strayElse', (): Statement | undefined => {
    const word = this.CONSUME(Kw.else);
    if (!this.RECORDING_PHASE) this.unknownWord(word, "a statement or '}' ('else' goes right after the '}' of an 'if')", statementStarts);
    return undefined;
  });

  /** The same inside `commission ... { }` (`abve pay 15%`): the other bands are still read. */
  unknownBand = this.RULE('unknownBand', (): CommissionBandNode | undefined => {
    const word = this.CONSUME(T.Identifier);
    if (!this.RECORDING_PHASE) this.unknownWord(word, "a band ('up to N% pay R%' or 'above pay R%')", bandStarts);
    return undefined;
  });

  /** The same inside `settings { }` (`timezon "UTC"`): the other settings are still read and checked. */
  unknownSetting = this.RULE('unknownSetting', (): undefined => {
    const word = this.CONSUME(T.Identifier);
    if (!this.RECORDING_PHASE) this.unknownWord(word, "a setting (timezone, currency, from) or '}'", settingStarts);
    return undefined;
  });

  /** The same inside `approve by ... { }` (`otherwse reject`). */
  unknownApproval = this.RULE('unknownApproval', (): undefined => {
    const word = this.CONSUME(T.Identifier);
    if (!this.RECORDING_PHASE) this.unknownWord(word, "'escalate', 'otherwise' or '}'", approvalStarts);
    return undefined;
  });

  /** Reports `word` (unless it is left over from an error earlier on its line) and skips its statement. */
  private unknownWord(word: IToken, expected: string, starts: ReadonlySet<TokenType>): void {
    if (!isReal(word)) return;
    // `wait 2 dayz`: a word left over by a syntax error earlier on its line is part of that error.
    const errors = this.errors;
    const previous = errors[errors.length - 1]?.token;
    const afterSyntaxError = isReal(previous) && previous.startLine === word.startLine && previous.startOffset <= word.startOffset;
    const afterLexicalError = this.lexicalErrors.some((e) => e.line === word.startLine && e.offset < word.startOffset);
    if (!afterSyntaxError && !afterLexicalError) {
      const error = new chevrotain.MismatchedTokenException(`${expected}${HOLE_SEPARATOR}'${word.image}'`, word, this.LA(0));
      unknownStatements.add(error);
      this.saveError(error);
    }
    this.skipStatementAfter(word, starts);
  }

  /** Reports a number where a time of day belongs and skips what follows it on its line up to `{`, `when` or `for`. */
  private badTimeOfDay(bad: IToken): void {
    this.saveError(new chevrotain.MismatchedTokenException(`a time of day (HH:MM)${HOLE_SEPARATOR}'${bad.image}'`, bad, this.LA(0)));
    for (let next = this.LA(1); next.tokenType !== chevrotain.EOF && next.startLine === bad.startLine
      && next.tokenType !== T.LCurly && next.tokenType !== Kw.when && next.tokenType !== Kw.for; next = this.LA(1)) {
      this.SKIP_TOKEN();
    }
  }

  /**
   * `every "monday" at 09:00`: a day written as a string. Said once, with the day unquoted, and the
   * rest read on; left to Chevrotain, `at 09:00` was read as an `at N% of period`, the check-in's
   * block closed the rule and every statement after it was an error of its own.
   */
  private quotedDay(idx: number): IToken {
    const quoted = this.consume(idx, T.StringLit);
    if (!this.RECORDING_PHASE) {
      this.saveError(new chevrotain.MismatchedTokenException(
        `${QUOTED_DAY}${HOLE_SEPARATOR}'${quoted.image}'`, quoted, this.LA(0)));
    }
    return quoted;
  }

  /** Records a syntax error as Chevrotain does (its SAVE_ERROR is missing from the typings). */
  private saveError(error: Error): void {
    (this as unknown as { SAVE_ERROR(error: Error): void }).SAVE_ERROR(error);
  }

  /**
   * Skips to the end of a statement that starts with `word`: past a `{ ... }` block (then stops),
   * up to a `}` that closes the enclosing block, or up to a line that starts another statement (one
   * of `starts`, a declaration, or any word no deeper indented than `word`: continuation lines are
   * deeper).
   */
  private skipStatementAfter(word: IToken, starts: ReadonlySet<TokenType>): void {
    let depth = 0;
    let line = word.startLine ?? 1;
    for (let next = this.LA(1); next.tokenType !== chevrotain.EOF; next = this.LA(1)) {
      const newLine = (next.startLine ?? 1) > line;
      if (depth === 0) {
        if (next.tokenType === T.RCurly) return;
        if (newLine && (starts.has(next.tokenType) || declarationStarts.has(next.tokenType)
          || (next.tokenType === T.Identifier && (next.startColumn ?? 1) <= (word.startColumn ?? 1)))) return;
      }
      line = next.startLine ?? line;
      this.SKIP_TOKEN();
      if (next.tokenType === T.LCurly) depth++;
      else if (next.tokenType === T.RCurly && --depth === 0) return;
    }
  }

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

  everyStatement = this.RULE('everyStatement', (): Statement | undefined => {
    const start = this.CONSUME(Kw.every);
    let timeFirst: IToken | undefined;
    const first = this.OR3([
      { ALT: () => this.CONSUME1(T.Identifier) },
      { ALT: () => this.quotedDay(1) },
      // `every 2 weeks at 09:00`: `every` names days, it has no interval. Said once at the duration,
      // and the rest read on; left to Chevrotain, the check-in's `{ ... }` closed the rule and the
      // rule's next statement was "expected a declaration".
      { ALT: () => {
        const interval = this.CONSUME(T.DurationLit);
        if (!this.RECORDING_PHASE) {
          this.saveError(new chevrotain.MismatchedTokenException(
            `a day (monday ... sunday, day or weekday; \`every\` names the days it runs on, it has no interval)${HOLE_SEPARATOR}'${interval.image}'`, interval, this.LA(0)));
        }
        return interval;
      } },
      // `every 09:00 { ... }`: the days left out. Said once, offering `every day at 09:00`, and read
      // on with that time.
      { ALT: () => {
        const time = this.CONSUME1(T.TimeLit);
        if (!this.RECORDING_PHASE) {
          this.saveError(new chevrotain.MismatchedTokenException(`a day before the time (monday ... sunday, day or weekday: every day at ${time.image})${HOLE_SEPARATOR}'${time.image}'`, time, this.LA(0)));
          timeFirst = time;
        }
        return time;
      } },
    ]);
    const days: IToken[] = [first];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      days.push(this.OR5([{ ALT: () => this.CONSUME2(T.Identifier) }, { ALT: () => this.quotedDay(2) }]));
    });
    let at: IToken | undefined = timeFirst;
    this.OR4([
      { ALT: () => {
        this.CONSUME(Kw.at);
        this.OR2([
          { ALT: () => { at = this.CONSUME(T.TimeLit); } },
          // `at 16`, `at 9am`, `at 9:5`: said once, and the rest of the time skipped, so the `{ ... }`
          // after it is still read as the check-in's block. Left to Chevrotain, that block's `}` closed
          // the rule and every later statement of the rule went unchecked.
          { ALT: () => { const bad = this.CONSUME(T.NumberLit); if (!this.RECORDING_PHASE) this.badTimeOfDay(bad); } },
        ]);
      } },
      // `every monday { ... }`: the time left out. Said once, and the block still read as the
      // check-in's, for the same reason.
      { GATE: () => [T.LCurly, Kw.when, Kw.for].includes(this.LA(1).tokenType), ALT: () => {
        if (!this.RECORDING_PHASE && !timeFirst) {
          const next = this.LA(1);
          this.saveError(new chevrotain.MismatchedTokenException(`'at' and a time of day (every monday at 09:00)${HOLE_SEPARATOR}'${next.image}'`, next, this.LA(0)));
        }
      } },
    ]);
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
    if (!at) return undefined;
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
        const percent = this.OR1([
          { ALT: () => this.CONSUME(T.PercentLit) },
          // `at 50 of period`: the percent sign left out. Said once, offering 50%, and the check-in
          // read on; left to Chevrotain, its block's `}` closed the rule (four errors, the rest unchecked).
          { ALT: () => {
            const bare = this.CONSUME(T.NumberLit);
            if (!this.RECORDING_PHASE) this.saveError(new chevrotain.MismatchedTokenException(`a percent${HOLE_SEPARATOR}'${bare.image}'`, bare, this.LA(0)));
            return bare;
          } },
        ]);
        this.CONSUME1(Kw.of);
        this.CONSUME1(Kw.period);
        const when = this.OPTION1(() => { this.CONSUME1(Kw.when); return this.SUBRULE1(this.expression); }) ?? null;
        const body = this.SUBRULE1(this.block);
        if (this.RECORDING_PHASE) return RECORDED;
        const literal = this.literalOf(percent);
        const asPercent = percent.tokenType === T.NumberLit && literal.value.type === 'number'
          ? { ...literal, value: { type: 'percent' as const, value: literal.value.value } } : literal;
        return { kind: 'atPercent' as const, percent: asPercent, when, body: body ?? [], span: this.spanFrom(start) };
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
    if (!this.RECORDING_PHASE && first) to.push(first);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      const next = this.SUBRULE2(this.recipient);
      if (!this.RECORDING_PHASE && next) to.push(next);
    });
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'send' as const, template, to: to.slice(), span: this.spanFrom(start) }));
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
    if (this.endsInside()) {
      return { kind: 'commission' as const, method: method.image as 'marginal' | 'retroactive', bands: bands.slice(), span: this.spanFrom(start), cut: true };
    }
    this.CONSUME(T.RCurly);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'commission' as const, method: method.image as 'marginal' | 'retroactive', bands: bands.slice(), span: this.spanFrom(start) }));
  });

  band = this.RULE('band', (): CommissionBandNode | undefined =>
    this.OR([
      { ALT: () => {
        const start = this.CONSUME(Kw.up);
        this.CONSUME(Kw.to);
        // A bare number (`up to 100 pay 5%`) is read too, for the checker to say which unit it needs (SF6030).
        const upTo = this.OR1([{ ALT: () => this.CONSUME1(T.PercentLit) }, { ALT: () => this.CONSUME1(T.MoneyLit) }, { ALT: () => this.CONSUME1(T.NumberLit) }]);
        this.CONSUME1(Kw.pay);
        const pay = this.CONSUME2(T.PercentLit);
        return (this.RECORDING_PHASE ? RECORDED : ({ upTo: this.literalOf(upTo), pay: this.literalOf(pay), span: this.spanFrom(start) }));
      } },
      { ALT: () => {
        const start = this.CONSUME(Kw.above);
        // `above 100% pay 12%`: a bound written after `above` is read and named (SF1111), not
        // "expected 'pay'" at it and "expected '}'" at the `pay` after it.
        this.OPTION(() => {
          const bound = this.OR2([{ ALT: () => this.CONSUME4(T.PercentLit) }, { ALT: () => this.CONSUME4(T.MoneyLit) }, { ALT: () => this.CONSUME4(T.NumberLit) }]);
          if (!this.RECORDING_PHASE && isReal(bound)) this.problems.push({ key: 'boundAfterAbove', span: this.tokenSpan(bound), args: [bound.image], readOn: true });
        });
        this.CONSUME2(Kw.pay);
        const pay = this.CONSUME3(T.PercentLit);
        return (this.RECORDING_PHASE ? RECORDED : ({ upTo: null, pay: this.literalOf(pay), span: this.spanFrom(start) }));
      } },
      { ALT: () => this.SUBRULE(this.unknownBand) },
    ]), { recoveryValueFunc: () => undefined });

  /**
   * In the rule calling it, the one OR (index 0) and CONSUMEs of when/where/if; the word before a
   * statement's condition, `when` or `where` as `meant`; `if`, or the other of
   * the two, written in its place on the statement's line (`bonus 500 EUR if deals_won >= 3`,
   * `spiff 100 EUR per deal when ...`) is read as meant and reported once (SF1110), instead of a
   * parse error at the word and others after it.
   */
  private conditionWord(meant: typeof Kw.when, statement: string): void {
    const other = meant === Kw.when ? Kw.where : Kw.when;
    const word = this.OR([{ ALT: () => this.CONSUME(meant) }, { ALT: () => this.CONSUME(Kw.if) }, { ALT: () => this.CONSUME(other) }]);
    if (!this.RECORDING_PHASE && isReal(word) && word.tokenType !== meant) {
      this.problems.push({ key: 'conditionWord', span: this.tokenSpan(word), args: [statement, meant === Kw.when ? 'when' : 'where', word.image], suggestion: meant === Kw.when ? 'when' : 'where', readOn: true });
    }
  }

  /** Whether the next token is `meant`, or a stand-in for it on the line of the statement so far. */
  private conditionWordNext(meant: typeof Kw.when): boolean {
    const next = this.LA(1);
    if (next.tokenType === meant) return true;
    return (next.tokenType === Kw.if || next.tokenType === Kw.when || next.tokenType === Kw.where) && next.startLine === this.LA(0).startLine;
  }

  bonusStatement = this.RULE('bonusStatement', (): Statement => {
    const start = this.CONSUME(Kw.bonus);
    const amount = this.CONSUME(T.MoneyLit);
    this.conditionWord(Kw.when, 'bonus');
    const when = this.SUBRULE(this.expression);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'bonus' as const, amount: this.literalOf(amount), when, span: this.spanFrom(start) }));
  });

  spiffStatement = this.RULE('spiffStatement', (): Statement => {
    const start = this.CONSUME(Kw.spiff);
    const amount = this.CONSUME(T.MoneyLit);
    this.CONSUME(Kw.per);
    const per = this.CONSUME(T.Identifier);
    const where = this.OPTION({ GATE: () => this.conditionWordNext(Kw.where), DEF: () => { this.conditionWord(Kw.where, 'spiff'); return this.SUBRULE(this.expression); } }) ?? null;
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'spiff' as const, amount: this.literalOf(amount), per: this.name(per), where, span: this.spanFrom(start) }));
  });

  capStatement = this.RULE('capStatement', (): Statement => {
    const start = this.CONSUME(Kw.cap);
    const amount = this.CONSUME(T.MoneyLit);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'cap' as const, amount: this.literalOf(amount), span: this.spanFrom(start) }));
  });

  // The words after `credit`, `prorate target by` and `convert` are plain names, not reserved
  // words (`team` is also a rep field): the checker matches them and suggests the nearest form.
  creditStatement = this.RULE('creditStatement', (): Statement => {
    const start = this.CONSUME(Kw.credit);
    const words: IToken[] = [];
    // The words of one line: `credit splits` ⏎ `bonsu 5 USD` is a crediting and a misspelt
    // statement, not the crediting `splits bonsu` followed by a stray amount. A form wrapped over
    // lines (`credit team` ⏎ `all levels`, `credit all # both` ⏎ `splits`) reads on, as newlines
    // are insignificant: a word on the next line that continues a form is part of it.
    this.AT_LEAST_ONE({
      GATE: () => words.length === 0 || this.LA(1).startLine === words[words.length - 1].startLine
        || continuesCredit(words.map((w) => w.image), this.LA(1).image),
      DEF: () => { words.push(this.CONSUME(T.Identifier)); },
    });
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'credit' as const, words: words.map((w) => this.name(w)), span: this.spanFrom(start) }));
  });

  prorateStatement = this.RULE('prorateStatement', (): Statement => {
    const start = this.CONSUME(Kw.prorate);
    this.CONSUME(Kw.target);
    this.CONSUME(Kw.by);
    const basis = this.CONSUME(T.Identifier);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'prorate' as const, basis: this.name(basis), span: this.spanFrom(start) }));
  });

  convertStatement = this.RULE('convertStatement', (): Statement => {
    const start = this.CONSUME(Kw.convert);
    // `convert currency at ...` (singular, a keyword elsewhere) reaches the checker too, which
    // names the written form and suggests `currencies` (SF6019), instead of a reserved-word error.
    const what = this.OR([{ ALT: () => this.CONSUME1(T.Identifier) }, { ALT: () => this.CONSUME(Kw.currency) }]);
    this.CONSUME(Kw.at);
    const which = this.CONSUME2(T.Identifier);
    const rate = this.CONSUME3(T.Identifier);
    return (this.RECORDING_PHASE ? RECORDED : ({ kind: 'convert' as const, words: [what, which, rate].map((w) => this.name(w)), span: this.spanFrom(start) }));
  });

  rewardStatement = this.RULE('rewardStatement', (): Statement => {
    const start = this.CONSUME(Kw.reward);
    const text = this.SUBRULE(this.string);
    const when = this.OPTION({ GATE: () => this.conditionWordNext(Kw.when), DEF: () => { this.conditionWord(Kw.when, 'reward'); return this.SUBRULE(this.expression); } }) ?? null;
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
    let cut = false;
    this.OPTION(() => {
      this.CONSUME(T.LCurly);
      this.MANY(() => {
        const entry = this.SUBRULE(this.approvalEntry);
        if (!this.RECORDING_PHASE && entry) {
          if ('to' in entry) escalations.push(entry);
          else otherwise = entry;
        }
      });
      if (this.endsInside()) cut = true;
      else this.CONSUME(T.RCurly);
    });
    return (this.RECORDING_PHASE ? RECORDED : ({
      kind: 'approve' as const, by, within: this.literalOf(within), escalations: escalations.slice(), otherwise, span: this.spanFrom(start), ...(cut ? { cut: true as const } : {}),
    }));
  });

  /**
   * One line of an approval block. A rule of its own so that a mistake in it (`otherwise rejct`)
   * is recovered from inside the block: recovered at the statement, the block's `}` closed the
   * rule, the rule's own `}` was "expected a declaration", and the rule went unchecked.
   */
  approvalEntry = this.RULE('approvalEntry', (): EscalationNode | { decision: 'approve' | 'reject'; span: Span } | undefined =>
    this.OR([
      { ALT: () => {
        const e = this.CONSUME(Kw.escalate);
        this.CONSUME(Kw.to);
        const to = this.SUBRULE2(this.recipient);
        this.CONSUME2(Kw.within);
        const d = this.CONSUME2(T.DurationLit);
        return (this.RECORDING_PHASE ? RECORDED : { to, within: this.literalOf(d), span: this.spanFrom(e) });
      } },
      { ALT: () => {
        const o = this.CONSUME(Kw.otherwise);
        const decision = this.OR2([{ ALT: () => this.CONSUME(Kw.reject) }, { ALT: () => this.CONSUME2(Kw.approve) }]);
        return (this.RECORDING_PHASE ? RECORDED : { decision: decision.image as 'approve' | 'reject', span: this.spanFrom(o) });
      } },
      { ALT: () => this.SUBRULE(this.unknownApproval) },
    ]), { recoveryValueFunc: () => undefined });

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

  // ---- alternatives, built once (see parse-expressions.ts) ------------------------------------

  private readonly declarationAlts: IOrAlt<Declaration>[] = [
      { ALT: () => this.SUBRULE(this.settings) },
      { ALT: () => this.SUBRULE(this.metric) },
      { ALT: () => this.SUBRULE(this.ruleDeclaration) },
    ];

  private readonly statementAlts: IOrAlt<Statement | undefined>[] = [
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
      { ALT: () => this.SUBRULE(this.creditStatement) },
      { ALT: () => this.SUBRULE(this.prorateStatement) },
      { ALT: () => this.SUBRULE(this.convertStatement) },
      { ALT: () => this.SUBRULE(this.rewardStatement) },
      { ALT: () => this.SUBRULE(this.approveStatement) },
      { ALT: () => this.SUBRULE(this.onStatement) },
      { ALT: () => this.SUBRULE(this.stopStatement) },
      { ALT: () => this.SUBRULE(this.quietStatement) },
      { ALT: () => this.SUBRULE(this.waitStatement) },
      { ALT: () => this.SUBRULE(this.ifStatement) },
      { ALT: () => this.SUBRULE(this.unknownStatement) },
      { ALT: () => this.SUBRULE(this.strayElse) },
    ];

  private readonly recipientAlts: IOrAlt<RecipientNode>[] = [
      { ALT: () => { const p = this.SUBRULE(this.path); return (this.RECORDING_PHASE ? RECORDED : (p ? { kind: 'path' as const, parts: p.parts, span: p.span } : this.errorRecipient())); } },
      { ALT: () => { const s = this.SUBRULE(this.string); return (this.RECORDING_PHASE ? RECORDED : (s ? { kind: 'address' as const, value: s, span: s.span } : this.errorRecipient())); } },
    ];
}

/** Tokens that start a statement, a declaration, a band, an approval entry: where skipping stops. */
const statementStarts = new Set<TokenType>([
  Kw.for, Kw.measure, Kw.target, Kw.period, Kw.effective, Kw.every, Kw.at, Kw.send, Kw.commission, Kw.bonus, Kw.spiff,
  Kw.cap, Kw.credit, Kw.prorate, Kw.convert, Kw.reward, Kw.approve, Kw.on, Kw.stop, Kw.quiet, Kw.wait, Kw.if,
]);
const declarationStarts = new Set<TokenType>([Kw.settings, Kw.metric, Kw.goal, Kw.incentive, Kw.sequence]);
const bandStarts = new Set<TokenType>([Kw.up, Kw.above]);
const approvalStarts = new Set<TokenType>([Kw.escalate, Kw.otherwise]);
const settingStarts = new Set<TokenType>([Kw.timezone, Kw.currency, Kw.from]);

/** Errors about a statement of their own (an unknown word, the end of the file), not a token missing before them. */
const unknownStatements = new WeakSet<object>();

let shared: RuleParser | undefined;

export interface ParseOutput {
  ast: RuleFile;
  problems: ParseProblem[];
  /**
   * `missingAtLineEnd`: reported after the last token of a line, not at the token found next.
   * `ownStatement`: a word where a statement should start; it says nothing about the statement before.
   */
  syntaxErrors: { code: MessageKey; message: string; span: Span; missingAtLineEnd: boolean; ownStatement: boolean }[];
}

/** Parses one file's tokens; never throws on bad input. */
export function parseTokens(file: string, tokens: IToken[], comments: RuleFile['comments'], lexicalErrors: { line: number; offset: number }[] = []): ParseOutput {
  shared ??= new RuleParser();
  const parser = shared;
  parser.file = file;
  parser.problems = [];
  parser.declarations = [];
  parser.endOfFileReported = false;
  parser.lexicalErrors = lexicalErrors;
  parser.partialMetric = undefined;
  parser.unfinishedMetrics = [];
  parser.input = tokens;
  parser.partialRule = undefined;
  parser.file_();
  parser.keepUnfinished();
  const declarations = parser.declarations;
  const syntaxErrors = parser.errors.map((error) => {
    const token = isReal(error.token) ? error.token : (error as { previousToken?: IToken }).previousToken;
    let span: Span;
    let missingAtLineEnd = false;
    if (isReal(token) && token !== error.token) {
      // At end of input: point just after the last real token.
      const after = parser.tokenSpan(token);
      span = { ...after, line: after.endLine, col: after.endCol, offset: after.endOffset };
    } else if (isReal(token)) {
      span = parser.tokenSpan(token);
      // `send "x"` ⏎ `}`: a token missing at the end of a line is missing there, not at the next line.
      const previous = (error as { previousToken?: IToken }).previousToken;
      if (error.name === 'MismatchedTokenException' && isReal(previous) && (previous.startLine ?? 0) < (token.startLine ?? 0)
        && !error.message.startsWith("a statement or '}'") && !error.message.startsWith("'}'")) {
        const after = parser.tokenSpan(previous);
        span = { ...after, line: after.endLine, col: after.endCol, offset: after.endOffset };
        missingAtLineEnd = true;
      }
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
    // "a statement or '}'" is only expected once the statement before has parsed whole (a block
    // left open before the next rule, an unknown word): that statement is intact.
    const ownStatement = unknownStatements.has(error) || error.message.startsWith(`a statement or '}'${HOLE_SEPARATOR}`);
    return { code, message: error.message, span, missingAtLineEnd, ownStatement };
  });
  const unfinishedMetrics = parser.unfinishedMetrics;
  return { ast: { file, declarations: declarations.filter(Boolean), comments, unfinishedMetrics }, problems: parser.problems, syntaxErrors };
}
