// Reading `salesflow events send FILE.json`: one event or an array of events, every one validated
// with the webhook's schema before any is routed, so a bad file sends nothing.
import fs from 'node:fs';
import { type CrmEvent, parseEvent } from '../events/schema.js';

export type EventFileRead = { ok: true; events: CrmEvent[] } | { ok: false; errors: string[] };

export function readEventFile(file: string): EventFileRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`${file}: not valid JSON: ${(err as Error).message}`] };
  }
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) return { ok: false, errors: [`${file}: the array holds no events`] };
  const events: CrmEvent[] = [];
  const errors: string[] = [];
  items.forEach((item, index) => {
    const where = Array.isArray(json) ? `${file}: event [${index}]` : file;
    const parsed = parseEvent(JSON.stringify(item));
    if (!parsed.ok) {
      errors.push(`${where}: ${parsed.message}`);
      return;
    }
    // A repeated id is not an error here: routing acknowledges it as a duplicate, as the webhook does.
    events.push(parsed.event);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}
