// The canonical layout: two-space indents, one statement per line, single spaces, one blank line
// between declarations (single blank lines inside blocks are kept), comments kept where they were
// (own-line, or trailing on the line they ended; a statement with comments inside keeps its lines). The output is parsed again and must give the
// same tree and the same comments before anyone writes it.
import type { Comment, Declaration, RecipientNode, RuleFile, Span, Statement } from './ast.js';
import { DiagnosticBag, type Diagnostic } from './diagnostics.js';
import { canonicalLiteral } from './literals.js';
import { printExpr, printRecipient } from './print-expr.js';
import { tokenize } from './lexer.js';
import { parseSource } from './program.js';

export interface FormatResult {
  /** The formatted text; null when the file has syntax errors (nothing to format safely). */
  formatted: string | null;
  diagnostics: Diagnostic[];
}

class Printer {
  private readonly out: string[] = [];
  private next = 0;
  private lastLine = 0;

  constructor(private readonly comments: Comment[], private readonly tokens: TokenMark[]) {}

  /** Index of the first token starting at or after `offset`. */
  private tokenIndex(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Writes a line for a node starting at `span`, with any comments that come before it. An `else
   * if` header starts at its `else` (`from`), written after `lead` (`} `, or nothing after a `} # ...`
   * line).
   */
  line(depth: number, text: string, span: Span, blockOpen = false, elseIf?: { from: number; lead: string }): void {
    const from = elseIf?.from ?? span.offset;
    this.flush(from, depth);
    if (!elseIf) this.gap(span.line);
    let brace: TokenMark | undefined;
    if (blockOpen) {
      // The header ends at its `{`: a comment right after that brace belongs to the header line.
      let i = this.tokenIndex(span.offset);
      while (i < this.tokens.length && this.tokens[i].image !== '{') i++;
      brace = this.tokens[i];
    }
    const end = blockOpen ? (brace ? brace.offset + 1 : span.offset) : span.endOffset;
    // A comment inside the header (`else if lead.score >= 10 # warm` ⏎ `{`) keeps its line breaks.
    const inner = this.comments[this.next];
    if (inner && inner.span.offset < end) this.sourceLines(depth, from, end, elseIf?.lead);
    else this.out.push(`${'  '.repeat(depth)}${text}`);
    this.lastLine = blockOpen ? (brace?.line ?? span.line) : span.endLine;
    this.trailing(this.lastLine, end);
  }

  /**
   * A node written over several lines with comments inside keeps its line breaks, so each comment
   * stays at the end of its own line: the tokens of each source line, single-spaced, continuation
   * lines one level deeper. Without comments inside, the node is joined onto one line.
   */
  private sourceLines(depth: number, from: number, end: number, lead = ''): void {
    let line = -1;
    let current = '';
    let previous = '';
    let first = true;
    const emit = () => {
      if (line < 0) return;
      // A block's `{` pushed onto a line of its own by a comment before it lines up with the `}`
      // that closes it, not with the continuation lines: the block's body is one level deeper.
      this.out.push(`${'  '.repeat(first || current === '{' ? depth : depth + 1)}${first ? lead : ''}${current}`);
      first = false;
    };
    for (let i = this.tokenIndex(from); i < this.tokens.length && this.tokens[i].offset < end; i++) {
      const token = this.tokens[i];
      while (this.next < this.comments.length && this.comments[this.next].span.offset < token.offset) {
        const comment = this.comments[this.next++];
        if (comment.span.line !== line) { emit(); line = comment.span.line; current = ''; previous = ''; }
        current += `${current ? ' ' : ''}${comment.text.trimEnd()}`;
      }
      if (token.line !== line) { emit(); line = token.line; current = ''; previous = ''; }
      const image = token.image.replace(/\s+/g, ' ');
      current += current && spaced(previous, image) ? ` ${image}` : image;
      previous = image;
    }
    emit();
  }

  /** Closes a block whose `}` ends at `endOffset`, keeping comments written just before it. */
  close(depth: number, text: string, endOffset: number, endLine: number): void {
    this.flush(endOffset - 1, depth + 1);
    this.out.push(`${'  '.repeat(depth)}${text}`);
    this.lastLine = endLine;
    this.trailing(endLine, endOffset);
  }

  /** A line with no source position of its own. */
  plain(depth: number, text: string): void {
    this.out.push(`${'  '.repeat(depth)}${text}`);
  }

  /**
   * The `}` that closes an if's first block, its `else`, and the else block's `{` (none for `else
   * if`), found back from where the else part's content starts; undefined if the source differs.
   */
  elseTokens(contentStart: number, elseIf: boolean): { close: TokenMark; else: TokenMark; brace?: TokenMark } | undefined {
    const i = this.tokenIndex(contentStart) - (elseIf ? 0 : 1);
    const [close, word, brace] = [this.tokens[i - 2], this.tokens[i - 1], elseIf ? undefined : this.tokens[i]];
    if (close?.image !== '}' || word?.image !== 'else' || (!elseIf && brace?.image !== '{')) return undefined;
    return { close, else: word, brace };
  }

  /** Whether a comment not yet written starts before `offset`. */
  commentBefore(offset: number): boolean {
    const comment = this.comments[this.next];
    return comment !== undefined && comment.span.offset < offset;
  }

  /**
   * `} else {` (or `else {` on a line of its own), with the comment after its `{` trailing it; a
   * comment between `else` and `{` keeps `{` on a line of its own (`} else # ...` ⏎ `{`).
   */
  elseHeader(depth: number, text: string, word: TokenMark, brace: TokenMark, lead: string): void {
    if (this.commentBefore(brace.offset)) this.sourceLines(depth, word.offset, brace.offset + 1, lead);
    else this.out.push(`${'  '.repeat(depth)}${text}`);
    this.lastLine = brace.line;
    this.trailing(brace.line, brace.offset + 1);
  }

  blank(): void {
    const last = this.out[this.out.length - 1];
    // Never a blank line right after a `{`: blocks start with their first statement.
    if (last !== undefined && last !== '' && !last.endsWith('{')) this.out.push('');
  }

  /** Keeps one blank line where the source had at least one. */
  private gap(line: number): void {
    if (this.lastLine > 0 && line > this.lastLine + 1) this.blank();
  }

  flush(beforeOffset: number, depth: number): void {
    while (this.next < this.comments.length && this.comments[this.next].span.offset < beforeOffset) {
      const comment = this.comments[this.next++];
      this.gap(comment.span.line);
      this.out.push(`${'  '.repeat(depth)}${comment.text.trimEnd()}`);
      this.lastLine = comment.span.line;
    }
  }

  /** A comment is trailing when it is on the same line with no other token in between. */
  private trailing(line: number, afterOffset: number): void {
    const comment = this.comments[this.next];
    if (!comment || comment.span.line !== line || comment.span.offset < afterOffset) return;
    const between = this.tokens[this.tokenIndex(afterOffset)];
    if (!between || between.offset > comment.span.offset) {
      this.out[this.out.length - 1] += ` ${comment.text.trimEnd()}`;
      this.next++;
    }
  }

  text(): string {
    while (this.out.length > 0 && this.out[this.out.length - 1] === '') this.out.pop();
    return this.out.length === 0 ? '' : `${this.out.join('\n')}\n`;
  }
}

const aggregates = new Set(['sum', 'count', 'avg', 'min', 'max']);

/** Whether two tokens of a line written as-is need a space between them: `count(deal.amount)`, `a, b`. */
function spaced(previous: string, next: string): boolean {
  if (next === ')' || next === ']' || next === ',' || next === '.') return false;
  if (previous === '(' || previous === '[' || previous === '.') return false;
  return !(next === '(' && aggregates.has(previous));
}

const recipients = (to: RecipientNode[]) => to.map(printRecipient).join(', ');
const where = (label: string, expr: { kind: string } | null) => (expr ? ` ${label} ${printExpr(expr as never)}` : '');

function printStatement(s: Statement, depth: number, p: Printer): void {
  const block = (header: string, body: Statement[], span: Span) => {
    p.line(depth, `${header} {`, span, true);
    body.forEach((inner) => printStatement(inner, depth + 1, p));
    p.close(depth, '}', span.endOffset, span.endLine);
  };
  switch (s.kind) {
    case 'for': return p.line(depth, `for reps${where('where', s.where)}`, s.span);
    case 'measure': return p.line(depth, `measure ${s.metric.text}`, s.span);
    case 'target': return p.line(depth, `target ${canonicalLiteral(s.value.value, s.value.raw)}${s.per ? ` per ${s.per.text}` : ''}`, s.span);
    case 'period': return p.line(depth, `period ${s.period.text}`, s.span);
    case 'effective': return p.line(depth, `effective ${s.from.raw} to ${s.to.raw}`, s.span);
    case 'every': {
      const header = `every ${s.schedule.days.map((d) => d.text).join(', ')} at ${canonicalLiteral(s.schedule.at.value, s.schedule.at.raw)}`;
      if (s.body) return block(`${header}${where('when', s.when)}`, s.body, s.span);
      return p.line(depth, `${header} for reps${where('where', s.forReps?.where ?? null)}`, s.span);
    }
    case 'atPercent': return block(`at ${s.percent.raw} of period${where('when', s.when)}`, s.body, s.span);
    case 'atEnd': return block(`at end of period${where('when', s.when)}`, s.body, s.span);
    case 'send': return p.line(depth, `send ${s.template.raw} to ${recipients(s.to)}`, s.span);
    case 'commission': {
      p.line(depth, `commission ${s.method} {`, s.span, true);
      for (const band of s.bands) {
        p.line(depth + 1, band.upTo ? `up to ${canonicalLiteral(band.upTo.value, band.upTo.raw)} pay ${band.pay.raw}` : `above pay ${band.pay.raw}`, band.span);
      }
      return p.close(depth, '}', s.span.endOffset, s.span.endLine);
    }
    case 'bonus': return p.line(depth, `bonus ${canonicalLiteral(s.amount.value, s.amount.raw)} when ${printExpr(s.when)}`, s.span);
    case 'spiff': return p.line(depth, `spiff ${canonicalLiteral(s.amount.value, s.amount.raw)} per ${s.per.text}${where('where', s.where)}`, s.span);
    case 'cap': return p.line(depth, `cap ${canonicalLiteral(s.amount.value, s.amount.raw)}`, s.span);
    case 'reward': return p.line(depth, `reward ${s.text.raw}${where('when', s.when)}`, s.span);
    case 'credit': return p.line(depth, `credit ${s.words.map((w) => w.text).join(' ')}`, s.span);
    case 'prorate': return p.line(depth, `prorate target by ${s.basis.text}`, s.span);
    case 'convert': return p.line(depth, `convert ${s.words[0].text} at ${s.words[1].text} ${s.words[2].text}`, s.span);
    case 'approve': {
      const header = `approve by ${printRecipient(s.by)} within ${canonicalLiteral(s.within.value, s.within.raw)}`;
      if (s.escalations.length === 0 && !s.otherwise) return p.line(depth, header, s.span);
      p.line(depth, `${header} {`, s.span, true);
      const inner: { span: Span; text: string }[] = [
        ...s.escalations.map((e) => ({ span: e.span, text: `escalate to ${printRecipient(e.to)} within ${canonicalLiteral(e.within.value, e.within.raw)}` })),
        ...(s.otherwise ? [{ span: s.otherwise.span, text: `otherwise ${s.otherwise.decision}` }] : []),
      ].sort((a, b) => a.span.offset - b.span.offset);
      inner.forEach((i) => p.line(depth + 1, i.text, i.span));
      return p.close(depth, '}', s.span.endOffset, s.span.endLine);
    }
    case 'on': return p.line(depth, `on ${s.event.text}${where('where', s.where)}`, s.span);
    case 'stopOn': return p.line(depth, `stop on ${s.events.map((e) => e.text).join(', ')}`, s.span);
    case 'quietHours': return p.line(depth, `quiet hours ${canonicalLiteral(s.from.value, s.from.raw)} to ${canonicalLiteral(s.to.value, s.to.raw)}${s.weekends ? ' and weekends' : ''}`, s.span);
    case 'wait': return p.line(depth, `wait ${canonicalLiteral(s.duration.value, s.duration.raw)}`, s.span);
    case 'if': return printIf(s, depth, p, `if ${printExpr(s.condition)} {`);
  }
}

function printIf(s: Extract<Statement, { kind: 'if' }>, depth: number, p: Printer, header: string, elseHeader?: { from: number; lead: string }): void {
  p.line(depth, header, s.span, true, elseHeader);
  s.then.forEach((inner) => printStatement(inner, depth + 1, p));
  if (!s.else) return p.close(depth, '}', s.span.endOffset, s.span.endLine);
  const firstElse = s.else[0];
  const elseStart = firstElse ? firstElse.span.offset : s.span.endOffset - 1;
  // `else if`: the nested if ends where this one does, so no braces of its own were written.
  const elseIf = s.else.length === 1 && firstElse?.kind === 'if' && firstElse.span.endOffset === s.span.endOffset;
  const marks = p.elseTokens(elseStart, elseIf);
  // Comments before the first block's `}` stay in that block; one after `else {` trails that line.
  // A comment between `}` and `else` keeps them on two lines (`} # ...` ⏎ `else {`), as a
  // statement with comments inside keeps its line breaks.
  p.flush(marks ? marks.close.offset : elseStart, depth + 1);
  const split = marks !== undefined && p.commentBefore(marks.else.offset);
  if (marks && split) {
    p.close(depth, '}', marks.close.offset + 1, marks.close.line);
    p.flush(marks.else.offset, depth);
  }
  const opening = split ? 'else' : '} else';
  if (elseIf) return printIf(firstElse, depth, p, `${opening} if ${printExpr(firstElse.condition)} {`,
    marks ? { from: marks.else.offset, lead: split ? '' : '} ' } : { from: firstElse.span.offset, lead: `${opening} ` });
  if (marks?.brace) p.elseHeader(depth, `${opening} {`, marks.else, marks.brace, split ? '' : '} ');
  else p.plain(depth, `${opening} {`);
  s.else.forEach((inner) => printStatement(inner, depth + 1, p));
  p.close(depth, '}', s.span.endOffset, s.span.endLine);
}

function printDeclaration(d: Declaration, p: Printer): void {
  if (d.kind === 'settings') {
    p.line(0, 'settings {', d.span, true);
    for (const e of d.entries) p.line(1, `${e.key} ${e.valueRaw}`, e.span);
    return p.close(0, '}', d.span.endOffset, d.span.endLine);
  }
  if (d.kind === 'metric') {
    return p.line(0, `metric ${d.name.text} = ${d.aggregate}(${printExpr(d.arg)})${where('where', d.where)}`, d.span);
  }
  p.line(0, `${d.kind} ${d.name.raw} {`, d.span, true);
  d.body.forEach((s) => printStatement(s, 1, p));
  p.close(0, '}', d.span.endOffset, d.span.endLine);
}

/** Where a token is: enough to place comments relative to braces and statements. */
export interface TokenMark {
  offset: number;
  line: number;
  image: string;
}

export function printFile(ast: RuleFile, tokens: TokenMark[]): string {
  const p = new Printer(ast.comments, tokens);
  ast.declarations.forEach((d, i) => {
    if (i > 0) {
      // Metrics stay together; everything else gets a blank line before it (and its comments).
      const previous = ast.declarations[i - 1];
      if (!(d.kind === 'metric' && previous.kind === 'metric')) p.blank();
    }
    printDeclaration(d, p);
  });
  p.flush(Infinity, 0);
  return p.text();
}

/** The tree without positions and spellings: what must not change when formatting. */
function shape(ast: RuleFile): string {
  return JSON.stringify({ declarations: ast.declarations, comments: ast.comments.map((c) => c.text.trimEnd()) }, (key, value) =>
    key === 'span' || key === 'valueSpan' || key === 'raw' ? undefined : value);
}

export function formatSource(original: string, file: string): FormatResult {
  // A byte-order mark is kept as the file had it (the editor that wrote it expects it back) but
  // is not formatted: it is not part of the rules.
  const bom = original.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  const text = original.slice(bom.length);
  const bag = new DiagnosticBag();
  const parsed = parseSource({ path: file, text }, bag);
  if (bag.hasErrors()) return { formatted: null, diagnostics: bag.sorted() };
  const tokens = tokenize(text).tokens.map((t) => ({ offset: t.startOffset, line: t.startLine ?? 1, image: t.image }));
  const formatted = printFile(parsed.ast, tokens);
  const check = new DiagnosticBag();
  const reparsed = parseSource({ path: file, text: formatted }, check);
  if (check.hasErrors() || shape(reparsed.ast) !== shape(parsed.ast)) {
    throw new Error(`formatter bug: formatting ${file} changed its meaning; the file was not written`);
  }
  // Line ends stay as the file has them (its first one says which): a CRLF file rewritten with LF
  // was a change to every line in the pull request, and `fmt --check` failed on it whatever its layout.
  const crlf = /^[^\n]*\r\n/.test(text);
  return { formatted: bom + (crlf ? formatted.replace(/\n/g, '\r\n') : formatted), diagnostics: bag.sorted() };
}
