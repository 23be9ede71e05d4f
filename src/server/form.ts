// Small HTML-form bodies (approval decisions, unsubscribe confirmations), read with a byte limit.
// Mail clients doing RFC 8058 one-click send urlencoded or multipart bodies; both are accepted.
import { readRawBody } from './raw-body.js';

export const FORM_BODY_LIMIT = 16 * 1024;

/** `problem`: why an unreadable body could not be read, as a sentence a page can show. */
export type FormRead = { ok: true; fields: Map<string, string> } | { ok: false; reason: 'too-large' } | { ok: false; reason: 'unreadable'; problem: string };

export async function readForm(request: Request, limit = FORM_BODY_LIMIT): Promise<FormRead> {
  const body = await readRawBody(request, limit);
  // Browsers and mail clients never compress a form; a body that is gzip is not a form.
  if (!body.ok) {
    return body.reason === 'too-large'
      ? { ok: false, reason: 'too-large' }
      : { ok: false, reason: 'unreadable', problem: `The body was sent with Content-Encoding ${body.encoding}; a form is sent uncompressed.` };
  }
  const type = request.headers.get('content-type') ?? '';
  const fields = new Map<string, string>();
  if (type.startsWith('multipart/form-data')) {
    try {
      const form = await new Response(body.bytes, { headers: { 'content-type': type } }).formData();
      form.forEach((value, key) => {
        if (typeof value === 'string' && !fields.has(key)) fields.set(key, value);
      });
    } catch {
      return { ok: false, reason: 'unreadable', problem: 'The multipart/form-data body could not be read (its parts do not follow its boundary).' };
    }
    return { ok: true, fields };
  }
  for (const [key, value] of new URLSearchParams(body.bytes.toString('utf8'))) {
    if (!fields.has(key)) fields.set(key, value);
  }
  return { ok: true, fields };
}
