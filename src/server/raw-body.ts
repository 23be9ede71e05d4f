// Reading a request body with a hard byte limit, enforced while streaming: a client that lies about
// (or omits) Content-Length still cannot make the server hold more than `limit` bytes.

export type RawBody = { ok: true; bytes: Buffer } | { ok: false; reason: 'too-large' };

export async function readRawBody(request: Request, limit: number): Promise<RawBody> {
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
