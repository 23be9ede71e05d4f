// One holder at a time, across every process on the data source, for a CRM's webhook deliveries
// (src/server/webhooks.ts). A delivery is a partial record merged over the stored one and then
// written whole; two `serve` processes doing that for one deal at once would both read the old row
// and one change would be lost. So the read-merge-route of a source runs under this lock.
//
// PostgreSQL: a session advisory lock held on one pool connection for the span of the work. If that
// connection is lost the server ends the session and the lock with it, so a crashed holder never
// blocks anyone.
// SQLite: a lease row in crm_locks (migration 8), taken by one conditional upsert, renewed while
// the work runs and deleted after it. Holding a write transaction instead would block every other
// writer (a worker marking an email sent) for as long as routing to Temporal takes; a lease blocks
// only other takers of this CRM's deliveries, and a crashed holder's lease expires.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Db } from './db.js';

export interface CrmLockOptions {
  /**
   * How long to wait for another holder before giving up with CrmLockTimeout (ms, elapsed time);
   * zero or less still makes one attempt.
   */
  waitMs: number;
  /** SQLite: how long a lease lasts unless renewed (ms); how long a crashed holder blocks others. */
  leaseMs: number;
  /** SQLite: epoch ms now, for lease expiry (the server's clock); default Date.now. */
  now?: () => number;
}

/** Another holder kept the lock longer than `waitMs`: nothing was done, the caller may retry later. */
export class CrmLockTimeout extends Error {}

/** Run `work` while holding `source`'s lock; it is released however `work` ends. */
export async function withCrmLock<T>(db: Db, source: string, options: CrmLockOptions, work: () => Promise<T>): Promise<T> {
  const giveUpAt = performance.now() + options.waitMs;
  if (db.dialect === 'postgres' && db.pool) return withAdvisoryLock(db.pool, source, giveUpAt, work);
  return withLease(db, source, options, giveUpAt, work);
}

/** A fixed int64 per source, in the advisory key space every salesflow process shares. */
export function crmLockKey(source: string): bigint {
  return createHash('sha256').update(`salesflow crm webhook ${source}`).digest().readBigInt64BE(0);
}

const timedOut = (source: string) =>
  new CrmLockTimeout(`other requests kept the ${source} deliveries' turn past the time this one could wait`);

async function withAdvisoryLock<T>(pool: pg.Pool, source: string, giveUpAt: number, work: () => Promise<T>): Promise<T> {
  const key = crmLockKey(source).toString();
  const client = await pool.connect();
  // A connection whose lock statements failed is destroyed rather than returned: ending its session
  // guarantees no lock and no lock_timeout setting outlives it in the pool.
  let broken: Error | undefined;
  const query = async (text: string, values: unknown[] = []) => {
    try {
      return await client.query(text, values);
    } catch (err) {
      broken ??= err as Error;
      throw err;
    }
  };
  try {
    // lock_timeout bounds the wait inside pg_advisory_lock, which queues fairly (unlike polling a
    // try-lock); with the time already spent, one immediate attempt (0 would mean no limit).
    const waitMs = Math.max(1, Math.floor(giveUpAt - performance.now()));
    // A statement_timeout the DBA set on the role, shorter than the wait, would cancel it first
    // (57014, a failed request instead of "wait your turn"): the lock_timeout is the bound here.
    await query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false)", [`${waitMs}ms`]);
    try {
      await query('SELECT pg_advisory_lock($1::bigint)', [key]);
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') throw timedOut(source); // lock_not_available
      throw err;
    }
    await query('RESET lock_timeout; RESET statement_timeout');
    try {
      return await work();
    } finally {
      // Failing to unlock means the connection is gone, and the server released the lock with it.
      await query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    }
  } finally {
    client.release(broken);
  }
}

async function withLease<T>(db: Db, source: string, options: CrmLockOptions, giveUpAt: number, work: () => Promise<T>): Promise<T> {
  const now = options.now ?? Date.now;
  const holder = `${process.pid}:${randomUUID()}`;
  for (let attempt = 0; !(await takeLease(db, source, holder, now(), options.leaseMs)); attempt++) {
    const left = giveUpAt - performance.now();
    if (left <= 0) throw timedOut(source);
    // Short, growing, jittered pauses: a lease is usually held for one HTTP request's routing.
    await sleep(Math.min(left, Math.min(100, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random())));
  }
  // Renewed while held, so a long batch (one route timeout per delivery) never outlives its lease.
  const renewal = setInterval(() => {
    db.kysely.updateTable('crm_locks').set({ expires_at: now() + options.leaseMs })
      .where('source', '=', source).where('holder', '=', holder).execute()
      .catch((err: Error) => { console.error(`salesflow: renewing the ${source} webhook lease failed: ${err.message}`); });
  }, Math.max(1, Math.floor(options.leaseMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    // The work is done whatever happens here; a lease left behind expires by itself.
    await db.kysely.deleteFrom('crm_locks').where('source', '=', source).where('holder', '=', holder).execute()
      .catch((err: Error) => { console.error(`salesflow: releasing the ${source} webhook lease failed: ${err.message}`); });
  }
}

/** Insert the lease, or take over one that expired; true when `holder` holds it now. */
async function takeLease(db: Db, source: string, holder: string, now: number, leaseMs: number): Promise<boolean> {
  const expires_at = now + leaseMs;
  const result = await db.kysely.insertInto('crm_locks').values({ source, holder, expires_at })
    .onConflict((oc) => oc.column('source').doUpdateSet({ holder, expires_at }).where('crm_locks.expires_at', '<', now))
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}
