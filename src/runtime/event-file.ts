// Reading `salesflow events send FILE.json`: one event or an array of events, every one validated
// with the webhook's schema before any is routed, so a bad file sends nothing. Problems are
// FILE:LINE[:COL]: ... like every other input of salesflow: a JSON syntax error at its line and
// column, a bad event at the line it starts on (and its index in the array), every problem of
// every event listed.
import fs from 'node:fs';
import { duplicateKeys } from '../data/json-duplicates.js';
import { lineCol, parseJsonText } from '../data/json-text.js';
import { type CrmEvent, checkSentEvent } from '../events/schema.js';

/** Each event with the entity fields its sender left out (see EventParse). */
export type EventFileRead = { ok: true; events: { event: CrmEvent; absent: string[] }[] } | { ok: false; errors: string[] };

/**
 * The offsets where a valid JSON text's values start: the value itself, or each element when it
 * is an array. A small scan over strings and nesting, so no position-tracking parser is needed.
 */
function elementOffsets(text: string): number[] {
  const first = text.search(/\S/);
  if (first < 0 || text[first] !== '[') return [Math.max(first, 0)];
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let expectValue = false;
  for (let i = first; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectValue && !/\s/.test(c) && c !== ']') { starts.push(i); expectValue = false; }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') { depth++; if (depth === 1) expectValue = true; }
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectValue = true;
  }
  return starts;
}

export function readEventFile(file: string): EventFileRead {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, errors: [`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a JSON file' : (err as Error).message}`] };
  }
  // Amounts sent as long JSON numbers keep their digits, as over HTTP.
  const parsed = parseJsonText(raw, file, { exactNumbers: true });
  if (!parsed.ok) return { ok: false, errors: [parsed.message] };
  const { value: json, text } = parsed;
  // As over HTTP: JSON keeps the last of a key written twice, so the event would be sent without the first.
  const twice = duplicateKeys(text);
  if (twice.length) return { ok: false, errors: twice.map((d) => `${file}:${d.line}:${d.col}: "${d.key}" is given twice in one object; send each field once`) };
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) return { ok: false, errors: [`${file}: the array holds no events`] };
  const starts = elementOffsets(text);
  const events: { event: CrmEvent; absent: string[] }[] = [];
  const errors: string[] = [];
  items.forEach((item, index) => {
    const line = starts[index] !== undefined ? lineCol(text, starts[index]).line : 1;
    const where = Array.isArray(json) ? `${file}:${line}: event [${index}]` : `${file}:${line}`;
    const parsed = checkSentEvent(item);
    if (!parsed.ok) {
      for (const problem of parsed.problems) errors.push(`${where}: ${problem}`);
      return;
    }
    // A repeated id is not an error here: routing acknowledges it as a duplicate, as the webhook does.
    events.push({ event: parsed.event, absent: parsed.absent });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}
