// One diagnostic object renders both as human text (`path:line:col: error: message [CODE]`, the
// source line, a caret under the span, "did you mean") and as JSON for CI (SPEC §7).
import type { Span } from './ast.js';
import { formatMessage, messages, type MessageKey, type Severity } from './messages.js';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: Severity;
  code: string;
  message: string;
  /** A near name the author probably meant. */
  suggestion?: string;
  /** The source line the span starts on, for the caret display. */
  lineText?: string;
}

/** Collects the diagnostics of a run; knows the source texts to attach the line under the caret. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  private readonly sources = new Map<string, string>();
  private readonly lines = new Map<string, string[]>();

  /** Lines are split only when a diagnostic needs one: clean runs over big corpora stay cheap. */
  addSource(file: string, text: string): void {
    this.sources.set(file, text);
    this.lines.delete(file);
  }

  private lineOf(file: string, line: number): string | undefined {
    let lines = this.lines.get(file);
    if (!lines) {
      const text = this.sources.get(file);
      if (text === undefined) return undefined;
      this.lines.set(file, (lines = text.split(/\r?\n/)));
    }
    return lines[line - 1];
  }

  report(key: MessageKey, span: Span | SpanLike, args: readonly (string | number)[] = [], suggestion?: string): Diagnostic {
    const def = messages[key];
    const diagnostic: Diagnostic = {
      file: span.file,
      line: span.line,
      col: span.col,
      endLine: span.endLine,
      endCol: span.endCol,
      severity: def.severity,
      code: def.code,
      message: formatMessage(def, args),
    };
    if (suggestion !== undefined) diagnostic.suggestion = suggestion;
    const lineText = this.lineOf(span.file, span.line);
    if (lineText !== undefined) diagnostic.lineText = lineText;
    this.items.push(diagnostic);
    return diagnostic;
  }

  errorCount(): number {
    return this.items.reduce((n, d) => n + (d.severity === 'error' ? 1 : 0), 0);
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Stable order: by file, then position, then code. */
  sorted(): Diagnostic[] {
    return [...this.items].sort(compareDiagnostics);
  }
}

export interface SpanLike {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}

/** Edit distance counting a swap of two neighbouring letters as one edit ("gaol" → "goal"). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/** The closest candidate within a distance that still looks like a typo, else undefined. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

function renderText(d: Diagnostic): string {
  const lines = [`${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message} [${d.code}]`];
  if (d.lineText !== undefined) {
    const text = d.lineText.replace(/\t/g, ' ');
    const lastCol = d.endLine === d.line ? Math.max(d.endCol, d.col + 1) : text.length + 1;
    const width = Math.max(1, Math.min(lastCol, text.length + 1) - d.col);
    lines.push(`  ${text}`);
    lines.push(`  ${' '.repeat(Math.max(0, d.col - 1))}^${'~'.repeat(width - 1)}`);
  }
  if (d.suggestion !== undefined) lines.push(`  did you mean ${d.suggestion}?`);
  return lines.join('\n');
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], format: 'text' | 'json'): string {
  if (format === 'json') {
    const rows = diagnostics.map((d) => ({
      file: d.file, line: d.line, col: d.col, endLine: d.endLine, endCol: d.endCol,
      severity: d.severity, code: d.code, message: d.suggestion ? `${d.message}; did you mean ${d.suggestion}?` : d.message,
    }));
    return `${JSON.stringify(rows, null, 2)}\n`;
  }
  return diagnostics.map((d) => `${renderText(d)}\n`).join('');
}
