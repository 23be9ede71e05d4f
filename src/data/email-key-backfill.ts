// Migration 10's data step: the email keys (src/data/email-key.ts) of the rows stored before the key
// columns existed, computed in JavaScript because neither database can compute the same key. Runs
// inside the migration's transaction and under its lock (src/data/migrate.ts), so a process that
// starts meanwhile waits and then finds every row keyed; rows go in batches by id, so a 1M-deal
// data source is never held in memory at once. Suppressed addresses were stored lower-cased
// without NFC: the few that change are moved to their key (kept once when both spellings exist).
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { emailKey, emailKeyColumns } from './email-key.js';

const BATCH = 5000;

export function backfillEmailKeysSqlite(db: Database.Database): void {
  for (const [table, { source, key }] of Object.entries(emailKeyColumns)) {
    const read = db.prepare(`SELECT rowid AS r, ${source} AS address FROM ${table} WHERE rowid > ? AND ${source} IS NOT NULL ORDER BY rowid LIMIT ${BATCH}`);
    const write = db.prepare(`UPDATE ${table} SET ${key} = ? WHERE rowid = ?`);
    for (let after = Number.MIN_SAFE_INTEGER; ;) {
      const rows = read.all(after) as { r: number; address: string }[];
      for (const row of rows) write.run(emailKey(row.address), row.r);
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1].r;
    }
  }
  const suppressed = db.prepare('SELECT email FROM suppressions').pluck().all() as string[];
  const move = db.prepare('INSERT INTO suppressions (email, reason, created_at) SELECT ?, reason, created_at FROM suppressions WHERE email = ? ON CONFLICT (email) DO NOTHING');
  const drop = db.prepare('DELETE FROM suppressions WHERE email = ?');
  for (const email of suppressed) {
    if (emailKey(email) === email) continue;
    move.run(emailKey(email), email);
    drop.run(email);
  }
}

export async function backfillEmailKeysPostgres(client: pg.PoolClient): Promise<void> {
  for (const [table, { source, key }] of Object.entries(emailKeyColumns)) {
    for (let after: string | null = null; ;) {
      const { rows }: { rows: { id: string; address: string }[] } = await client.query(
        `SELECT id, ${source} AS address FROM ${table} WHERE ($1::text IS NULL OR id > $1) AND ${source} IS NOT NULL ORDER BY id LIMIT ${BATCH}`, [after]);
      if (rows.length > 0) {
        await client.query(`UPDATE ${table} AS t SET ${key} = v.k FROM unnest($1::text[], $2::text[]) AS v(id, k) WHERE t.id = v.id`,
          [rows.map((r) => r.id), rows.map((r) => emailKey(r.address))]);
      }
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1].id;
    }
  }
  const { rows } = await client.query<{ email: string }>('SELECT email FROM suppressions');
  for (const { email } of rows) {
    if (emailKey(email) === email) continue;
    await client.query('INSERT INTO suppressions (email, reason, created_at) SELECT $1, reason, created_at FROM suppressions WHERE email = $2 ON CONFLICT (email) DO NOTHING', [emailKey(email), email]);
    await client.query('DELETE FROM suppressions WHERE email = $1', [email]);
  }
}
