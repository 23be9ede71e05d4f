// Parsing a JSON file a person wrote (events to send, rule test cases), so a mistake is reported
// like every other input of salesflow: FILE:LINE:COL, not "at position 1234". A UTF-8 byte-order
// mark, which Windows editors write and JSON.parse refuses, is dropped first.
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

/** `text` without its BOM, parsed; `text` is returned too, so offsets into it mean something. */
/** `exactNumbers`: long number literals come back as strings of their digits (src/data/exact-json.ts). */
export function parseJsonText(raw: string, file: string, options: { exactNumbers?: boolean } = {}): JsonText {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  try {
    return { ok: true, value: options.exactNumbers ? parseJsonExact(text) : JSON.parse(text), text };
  } catch (err) {
    const message = (err as Error).message;
    // V8 names the offending character's offset ("... in JSON at position 79"); show where that is.
    const at = /at position (\d+)/.exec(message);
    const where = at ? lineCol(text, Number(at[1])) : null;
    const reason = message.replace(/ in JSON at position \d+.*$/, '');
    return { ok: false, message: `${file}${where ? `:${where.line}:${where.col}` : ''}: not valid JSON: ${reason}` };
  }
}
