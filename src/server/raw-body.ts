// Reading a request body with a hard byte limit, enforced while streaming: a client that lies about
// (or omits) Content-Length still cannot make the server hold more than `limit` bytes.
//
// A compressed body (Content-Encoding: gzip, br ...) is refused rather than read: signatures are
// over the bytes sent, and reading gzip as JSON would answer "not valid UTF-8" or "signature does
// not match", sending the sender to check its encoding or its secret instead of its compression.

export type RawBody = { ok: true; bytes: Buffer } | { ok: false; reason: 'too-large' } | { ok: false; reason: 'encoded'; encoding: string };

/** What a 415 for a compressed body says; the sender should send the same body uncompressed. */
export function encodedMessage(encoding: string): string {
  return `Content-Encoding ${encoding} is not accepted: send the body uncompressed (the signature is checked over the bytes sent)`;
}

export async function readRawBody(request: Request, limit: number): Promise<RawBody> {
  const encoding = request.headers.get('content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return { ok: false, reason: 'encoded', encoding };
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) return { ok: false, reason: 'too-large' };
  if (!request.body) return { ok: true, bytes: Buffer.alloc(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, reason: 'too-large' };
    }
    chunks.push(value);
  }
  return { ok: true, bytes: Buffer.concat(chunks, total) };
}
