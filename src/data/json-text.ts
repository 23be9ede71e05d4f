// Parsing a JSON file a person wrote (events to send, rule test cases), so a mistake is reported
// like every other input of salesflow: FILE:LINE:COL, not "at position 1234". A UTF-8 byte-order
// mark, which Windows editors write and JSON.parse refuses, is dropped first. POST /events
// (src/events/schema.ts) reports its body's mistakes through the same helpers.
import { parseJsonExact } from './exact-json.js';

export type JsonText = { ok: true; value: unknown; text: string } | { ok: false; message: string };

/** 1-based line and column of a character offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/**
 * The line each item of a top-level array starts on (its first character), or the line of a
 * top-level object's `{`: where a report points for "case [3]" of a file of cases. Runs on text
 * JSON.parse accepted; `lines` when valueLines(text) was read already.
 */
export function topLevelItemLines(text: string, lines = valueLines(text)): number[] {
  if (!text.trimStart().startsWith('[')) return lines.has('') ? [lines.get('')!] : [];
  const starts: number[] = [];
  for (let i = 0; lines.has(String(i)); i++) starts.push(lines.get(String(i))!);
  return starts;
}

/** The text without a leading UTF-8 byte-order mark (Windows editors and .NET senders write one; JSON.parse refuses it). */
export function withoutBom(raw: string): string {
  return raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
}

/**
 * A JSON.parse error of `text` as its reason and, where V8 names a character offset ("... in JSON
 * at position 79"), the line and column of that offset: a person reading a pretty-printed body or
 * file needs those.
 */
export function jsonErrorAt(text: string, err: unknown): { reason: string; where: { line: number; col: number } | null } {
  const message = (err as Error).message;
  const at = /at position (\d+)/.exec(message);
  return { reason: message.replace(/ in JSON at position \d+.*$/, ''), where: at ? lineCol(text, Number(at[1])) : null };
}

/**
 * `text` without its BOM, parsed; `text` is returned too, so offsets into it mean something.
 * `exactNumbers`: long number literals come back as strings of their digits (src/data/exact-json.ts).
 */
export function parseJsonText(raw: string, file: string, options: { exactNumbers?: boolean } = {}): JsonText {
  const text = withoutBom(raw);
  try {
    return { ok: true, value: options.exactNumbers ? parseJsonExact(text) : JSON.parse(text), text };
  } catch (err) {
    const { reason, where } = jsonErrorAt(text, err);
    return { ok: false, message: `${file}${where ? `:${where.line}:${where.col}` : ''}: not valid JSON: ${reason}` };
  }
}

/**
 * The line each value of a JSON text is written on, by its path (`0/expect/proration/target`;
 * an object member's line is its key's): where a report points for one expectation of a case
 * (`case.json:14: proration.prorated: ...`). Runs on text JSON.parse accepted.
 */
export function valueLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  // One frame per open container: its path, and for an array the next index, for an object the
  // member being read (its key and the line the key is on).
  const stack: { path: string[]; isArray: boolean; index: number; key: string | null; keyLine: number }[] = [];
  let line = 1;
  const valueStarts = (at: number): string[] | null => {
    const frame = stack[stack.length - 1];
    if (!frame) { lines.set('', at); return []; }
    const path = [...frame.path, frame.isArray ? String(frame.index++) : (frame.key ?? '')];
    lines.set(path.join('/'), frame.isArray ? at : frame.keyLine);
    return path;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') { line++; continue; }
    if (/\s/.test(c) || c === ',' || c === ':') continue;
    const frame = stack[stack.length - 1];
    if (c === '}' || c === ']') { stack.pop(); continue; }
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      // In an object, a string with no key pending is a key; its value comes after the colon.
      if (frame && !frame.isArray && frame.key === null) {
        frame.key = JSON.parse(text.slice(start, i + 1)) as string;
        frame.keyLine = line;
        continue;
      }
      valueStarts(line);
      if (frame && !frame.isArray) frame.key = null;
      continue;
    }
    const path = valueStarts(line);
    if (frame && !frame.isArray) frame.key = null;
    if (c === '{' || c === '[') stack.push({ path: path ?? [], isArray: c === '[', index: 0, key: null, keyLine: line });
    else while (i + 1 < text.length && !/[\s,\]}]/.test(text[i + 1])) i++;
  }
  return lines;
}
