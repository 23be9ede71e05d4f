// Addresses that never get another sequence email. Stored as their emailKey (src/data/email-key.ts):
// `Élise@Acme.fr` unsubscribed is `élise@acme.fr` suppressed, on either dialect.
import type { Db } from './db.js';
import { emailKey } from './email-key.js';

export async function isSuppressed(db: Db, email: string): Promise<boolean> {
  const row = await db.kysely.selectFrom('suppressions').select('email').where('email', '=', emailKey(email)).executeTakeFirst();
  return row !== undefined;
}

/** Suppress an address; true when it was not suppressed before. */
export async function suppress(db: Db, email: string, reason: string, now = new Date().toISOString()): Promise<boolean> {
  const result = await db.kysely.insertInto('suppressions')
    .values({ email: emailKey(email), reason, created_at: now })
    .onConflict((oc) => oc.column('email').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function listSuppressions(db: Db): Promise<{ email: string; reason: string; created_at: string }[]> {
  return db.kysely.selectFrom('suppressions').select(['email', 'reason', 'created_at']).orderBy('created_at').orderBy('email').execute();
}
