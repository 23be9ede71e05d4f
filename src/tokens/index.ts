// Signed, expiring link tokens for approval and unsubscribe links. Stateless: the token carries its
// claims and an HMAC-SHA256 over them; "decide once" and "superseded" are enforced by the workflow
// that owns the decision, not here.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'approval' | 'unsubscribe';

export interface ApprovalClaims {
  purpose: 'approval';
  /** The payout workflow this link decides. */
  workflowId: string;
  /** The one approver this link was sent to (lower-cased email). */
  approver: string;
  /** Approval round: 0 for the first approver, 1.. after each escalation. */
  round: number;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

export interface UnsubscribeClaims {
  purpose: 'unsubscribe';
  email: string;
  /** Sequence that sent the email (for the page and the record), if any. */
  ruleId?: string;
  exp: number;
}

export type TokenClaims = ApprovalClaims | UnsubscribeClaims;

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' | 'wrong-purpose' };

const b64url = (buf: Buffer): string => buf.toString('base64url');

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signToken(claims: TokenClaims, secret: string): string {
  const payload = b64url(Buffer.from(JSON.stringify(claims), 'utf8'));
  return `${payload}.${b64url(mac(secret, payload))}`;
}

export function verifyToken(token: string, secret: string, purpose: TokenPurpose, now = Date.now()): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = mac(secret, parts[0]);
  const given = Buffer.from(parts[1], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  // Base64 decoding ignores the unused low bits of the last character, so one signature has four
  // spellings; only the one signToken writes is the link that was sent.
  if (b64url(given) !== parts[1]) return { ok: false, reason: 'forged' };
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.purpose !== purpose) return { ok: false, reason: 'wrong-purpose' };
  if (typeof claims.exp !== 'number' || claims.exp < now) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
