// A template's front matter, read as the YAML it looks like: `subject: "Check-in: {{goal.name}}"`
// is the text between the quotes, `'It''s here'` is single-quoted YAML, `>-` folds lines. One
// allowance keeps what authors already write working: an unquoted one-line value is the text to
// the end of the line, as it looks (`subject: Re: {{deal.name}}`, `subject: {{goal.name}} review`,
// `Invoice #42`), where strict YAML would read a mapping, a flow map or a comment. Everything
// else malformed (an unclosed quote, a line without `key:`, bad indentation, a key twice) is a
// problem with its line and column in the file.
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';

export const FRONT_MATTER_KEYS = ['subject'] as const;

export interface FrontMatterValue {
  value: string;
  /** 1-based file line of the key, and the last line of the value. */
  line: number;
  endLine: number;
  /** 1-based column where the value starts on `line` (placeholders are looked for from there). */
  valueCol: number;
}

export type FrontMatterProblem =
  | { kind: 'badFrontMatter'; message: string; line: number; col: number; endCol: number }
  | { kind: 'unknownFrontMatterKey'; key: string; line: number; col: number; endCol: number };

export interface FrontMatter {
  values: Map<string, FrontMatterValue>;
  problems: FrontMatterProblem[];
}

/** `key: plain text` at the top level: the value is not quoted, a block scalar or a comment. */
const plainLine = /^([A-Za-z_][\w-]*[ \t]*:[ \t]+)([^"'|>#\s].*?)[ \t]*$/;

/** Lines of the unquoted one-line values, single-quoted for the YAML parser (the line count is kept). */
function quotePlainValues(lines: string[]): string {
  return lines.map((l) => {
    const m = plainLine.exec(l);
    return m ? `${m[1]}'${m[2].replace(/'/g, "''")}'` : l;
  }).join('\n');
}

/** The last `key: "` or `key: '` line at or before `from`, pointing at its quote. */
function openingQuote(lines: string[], from: { line: number; col: number }): { line: number; col: number } {
  for (let line = Math.min(from.line, lines.length); line >= 1; line--) {
    const m = /^([A-Za-z_][\w-]*[ \t]*:[ \t]*)["']/.exec(lines[line - 1]);
    if (m) return { line, col: m[1].length + 1 };
  }
  return from;
}

/**
 * Reads front-matter `lines` (without the `---` fences); `firstLine` is the file line of the first
 * of them, so every location points into the file.
 */
export function readFrontMatter(lines: string[], firstLine: number): FrontMatter {
  const values = new Map<string, FrontMatterValue>();
  const problems: FrontMatterProblem[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(quotePlainValues(lines), { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  const lineEnd = (line: number) => (lines[line - 1]?.length ?? 0) + 1;

  // The first error only: after it the parser's recovery mostly reports echoes of the same mistake.
  for (const error of doc.errors.slice(0, 1)) {
    let [start] = error.linePos ?? [at(error.pos[0])];
    // YAML reports a missing closing quote where the text ends; the author needs the line it opens on.
    if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) start = openingQuote(lines, start);
    const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    problems.push({ kind: 'badFrontMatter', message, line: firstLine + start.line - 1, col: start.col, endCol: Math.max(start.col + 1, lineEnd(start.line)) });
  }
  if (problems.length > 0) return { values, problems };

  const contents = doc.contents as Node | null;
  if (contents === null) return { values, problems };
  if (!isMap(contents)) {
    const start = at(contents.range?.[0] ?? 0);
    problems.push({
      kind: 'badFrontMatter', message: 'expected `key: value` lines, like `subject: Hello {{lead.name}}`',
      line: firstLine + start.line - 1, col: start.col, endCol: lineEnd(start.line),
    });
    return { values, problems };
  }
  for (const pair of contents.items) {
    const key = pair.key as Node | null;
    const keyStart = at(key?.range?.[0] ?? 0);
    const line = firstLine + keyStart.line - 1;
    const name = isScalar(key) ? String(key.value) : '';
    if (!(FRONT_MATTER_KEYS as readonly string[]).includes(name)) {
      problems.push({ kind: 'unknownFrontMatterKey', key: name, line, col: keyStart.col, endCol: keyStart.col + Math.max(1, name.length) });
      continue;
    }
    const value = pair.value as Node | null;
    if (value !== null && !isScalar(value)) {
      const start = at(value.range?.[0] ?? 0);
      problems.push({ kind: 'badFrontMatter', message: `\`${name}\` must be text`, line: firstLine + start.line - 1, col: start.col, endCol: lineEnd(start.line) });
      continue;
    }
    const valueStart = value?.range ? at(value.range[0]) : keyStart;
    const valueEnd = value?.range ? at(Math.max(value.range[0], value.range[1] - 1)) : keyStart;
    values.set(name, {
      value: value === null || value.value === null ? '' : String(value.value),
      line,
      endLine: firstLine + valueEnd.line - 1,
      valueCol: valueStart.line === keyStart.line ? valueStart.col : 1,
    });
  }
  return { values, problems };
}
