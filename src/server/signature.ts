// The webhook signature (SPEC §9): `X-Salesflow-Signature: sha256=<hex HMAC-SHA256 of the raw body>`,
// computed over the exact bytes received (never a re-serialised JSON) and compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Salesflow-Signature';

export type SignatureCheck = { ok: true } | { ok: false; message: string };

export function signBody(body: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function checkSignature(header: string | null, body: Uint8Array, secret: string): SignatureCheck {
  if (!header) return { ok: false, message: `missing ${SIGNATURE_HEADER} header (expected sha256=<hex HMAC-SHA256 of the body>)` };
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return { ok: false, message: `malformed ${SIGNATURE_HEADER} header (expected sha256=<64 hex digits>)` };
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  if (!timingSafeEqual(given, expected)) return { ok: false, message: 'signature does not match the body' };
  return { ok: true };
}
