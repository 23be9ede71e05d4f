// Addresses that never get another sequence email. Stored lower-cased: mail addresses are
// compared case-insensitively in practice.
import { prepared, type Db } from './db.js';

export function isSuppressed(db: Db, email: string): boolean {
  return prepared(db, 'SELECT 1 FROM suppressions WHERE email = ?').pluck().get(email.trim().toLowerCase()) !== undefined;
}

/** Suppress an address; true when it was not suppressed before. */
export function suppress(db: Db, email: string, reason: string, now = new Date().toISOString()): boolean {
  const result = db
    .prepare('INSERT INTO suppressions (email, reason, created_at) VALUES (?, ?, ?) ON CONFLICT(email) DO NOTHING')
    .run(email.trim().toLowerCase(), reason, now);
  return result.changes > 0;
}

export function listSuppressions(db: Db): { email: string; reason: string; created_at: string }[] {
  return prepared(db, 'SELECT email, reason, created_at FROM suppressions ORDER BY created_at, email').all() as {
    email: string; reason: string; created_at: string;
  }[];
}
