// The outbox: every email salesflow means to send, keyed `<workflow id>:<send id>:<recipient>`.
// A send activity first inserts its row if absent, then takes the row's send lease (a conditional
// UPDATE that only one sender can win while the row is pending and the lease free or expired),
// mails it, and marks it sent. So a retried activity finds the row and never mails twice, and two
// workers running the same send at once cannot both mail it: the loser retries later and then
// finds the row sent. Marking sent goes over a connection reserved before the SMTP transaction
// (reserveSentMarker), to keep "accepted by the relay, not yet recorded" as short as possible.
import type { Db } from './db.js';
import { emailKey } from './email-key.js';
import type { OutboxTable } from './schema.js';

export type OutboxStatus = 'pending' | 'sent' | 'suppressed' | 'failed';

export interface OutboxMessage {
  key: string;
  workflow_id: string | null;
  rule_id: string | null;
  template: string | null;
  to_addr: string;
  from_addr: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers (List-Unsubscribe, ...) as a JSON object. */
  headers: Record<string, string>;
}

export interface OutboxRow extends OutboxMessage {
  id: number;
  status: OutboxStatus;
  message_id: string | null;
  error: string | null;
  created_at: string;
  sent_at: string | null;
}

const columns = [
  'id', 'key', 'workflow_id', 'rule_id', 'template', 'to_addr', 'from_addr', 'subject', 'html', 'text', 'headers',
  'status', 'message_id', 'error', 'created_at', 'sent_at',
] as const;

type RawRow = Omit<Pick<OutboxTable, (typeof columns)[number]>, 'id'> & { id: unknown };

// Ids are int8 on PostgreSQL (text from `pg`).
const decode = (row: RawRow): OutboxRow => ({
  ...row, id: Number(row.id), status: row.status as OutboxStatus, headers: JSON.parse(row.headers) as Record<string, string>,
});

const affected = (result: { numInsertedOrUpdatedRows?: bigint; numUpdatedRows?: bigint }) =>
  Number(result.numInsertedOrUpdatedRows ?? result.numUpdatedRows ?? 0);

export async function getOutbox(db: Db, key: string): Promise<OutboxRow | null> {
  const row = await db.kysely.selectFrom('outbox').select(columns).where('key', '=', key).executeTakeFirst();
  return row ? decode(row) : null;
}

export async function getOutboxById(db: Db, id: number): Promise<OutboxRow | null> {
  const row = await db.kysely.selectFrom('outbox').select(columns).where('id', '=', id).executeTakeFirst();
  return row ? decode(row) : null;
}

/**
 * Insert the message unless a row with its key exists; returns the row as stored and whether this
 * call created it. A caller sends only when `row.status` is 'pending' and it holds the send lease.
 */
export async function insertOutboxIfAbsent(
  db: Db,
  message: OutboxMessage,
  status: OutboxStatus = 'pending',
  now = new Date().toISOString(),
): Promise<{ row: OutboxRow; created: boolean }> {
  const result = await db.kysely.insertInto('outbox').values({
    key: message.key, workflow_id: message.workflow_id, rule_id: message.rule_id, template: message.template,
    to_addr: message.to_addr, from_addr: message.from_addr, subject: message.subject, html: message.html, text: message.text,
    headers: JSON.stringify(message.headers), status, message_id: null, error: null, created_at: now, sent_at: null,
    claimed_by: null, claimed_until: null,
  }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
  // The row exists now whoever inserted it: ON CONFLICT DO NOTHING waits for a concurrent insert to commit.
  return { row: (await getOutbox(db, message.key))!, created: affected(result) > 0 };
}

/** Same as insertOutboxIfAbsent: the name the send activity reads best with. */
export const claimOutbox = insertOutboxIfAbsent;

/**
 * Take the send lease of a pending row for `owner` until `until` (ISO time); true when this
 * sender may mail it now. Only one sender wins: the UPDATE matches only while the row is pending
 * and its lease is free, expired (a crashed sender), or already this owner's.
 */
export async function takeSendLease(db: Db, key: string, owner: string, until: string, now = new Date().toISOString()): Promise<boolean> {
  const result = await db.kysely.updateTable('outbox').set({ claimed_by: owner, claimed_until: until })
    .where('key', '=', key).where('status', '=', 'pending')
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now), eb('claimed_by', '=', owner)]))
    .executeTakeFirst();
  return affected(result) === 1;
}

const markSentQuery = (db: Db, key: string, messageId: string | null, now: string) => db.kysely.updateTable('outbox')
  .set({ status: 'sent', message_id: messageId, sent_at: now, error: null, claimed_by: null, claimed_until: null })
  .where('key', '=', key);

export async function markSent(db: Db, key: string, messageId: string | null, now = new Date().toISOString()): Promise<void> {
  await markSentQuery(db, key, messageId, now).execute();
}

/**
 * A way to mark one row sent that waits for nothing when the relay answers: on PostgreSQL a pool
 * connection held from before the SMTP transaction to after the UPDATE, so no pool queue, no
 * connect, just one write to a socket already open. Once that write is made the row is safe even
 * if the worker dies the next instant: the server runs and commits a statement it has received
 * whether or not its client is still there. On SQLite the UPDATE runs synchronously in-process
 * and nothing is held (the one connection is shared by the whole process). `mark` rejects when
 * the held connection broke (database restarted): the caller retries through the pool.
 */
export interface SentMarker {
  mark(messageId: string | null, now?: string): Promise<void>;
  /** Gives the connection back; call once, after `mark` or when the send failed. */
  release(): void;
}

export async function reserveSentMarker(db: Db, key: string): Promise<SentMarker> {
  if (!db.pool || db.inTransaction) {
    return { mark: (messageId, now) => markSent(db, key, messageId, now), release: () => {} };
  }
  // A connection cut while this send is in SMTP (database restart) does not end the process (every
  // pool connection has an error listener, src/data/db.ts): the mark's query fails instead.
  const client = await db.pool.connect();
  let broken: Error | undefined;
  let released = false;
  return {
    async mark(messageId, now = new Date().toISOString()) {
      const { sql, parameters } = markSentQuery(db, key, messageId, now).compile();
      try {
        await client.query(sql, parameters as unknown[]);
      } catch (err) {
        broken ??= err as Error;
        throw err;
      }
    },
    release() {
      if (released) return;
      released = true;
      // A broken connection is destroyed instead of going back to the pool.
      client.release(broken);
    },
  };
}

export async function markSuppressed(db: Db, key: string): Promise<void> {
  await db.kysely.updateTable('outbox').set({ status: 'suppressed', claimed_by: null, claimed_until: null })
    .where('key', '=', key).where('status', '=', 'pending').execute();
}

/** Record a failed attempt; the row stays retryable (its lease released) unless `final`. */
export async function markFailed(db: Db, key: string, error: string, final = false): Promise<void> {
  await db.kysely.updateTable('outbox')
    .set(final ? { error, status: 'failed', claimed_by: null, claimed_until: null } : { error, claimed_by: null, claimed_until: null })
    .where('key', '=', key).where('status', '=', 'pending').execute();
}

/**
 * Stop retrying a pending row for good, unless a sender holds its lease right now (that attempt's
 * outcome decides). Returns the row's status afterwards; 'pending' means a send is under way:
 * ask again once its lease is over.
 */
export async function giveUpPending(db: Db, key: string, error: string, now = new Date().toISOString()): Promise<OutboxStatus | null> {
  await db.kysely.updateTable('outbox').set({ error, status: 'failed', claimed_by: null, claimed_until: null })
    .where('key', '=', key).where('status', '=', 'pending')
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .execute();
  return (await getOutbox(db, key))?.status ?? null;
}

/** Newest first. */
/** Rows whose addresses one pass of listOutbox's `to` filter reads at a time. */
const TO_SCAN_BATCH = 1000;

/**
 * The newest emails, optionally only those to one address (the same person as emailKey has it,
 * as every other comparison of addresses) or of one run. SQL's lower() cannot be that filter:
 * SQLite's folds ASCII letters only, so `?to=Élise@acme.fr` found nothing sent to élise@acme.fr
 * (see src/data/email-key.ts); the addresses are read in batches and compared here instead.
 */
export async function listOutbox(db: Db, options: { limit?: number; to?: string; workflowId?: string } = {}): Promise<OutboxRow[]> {
  const limit = options.limit ?? 100;
  const { workflowId } = options;
  if (options.to === undefined || options.to === '') {
    return (await db.kysely.selectFrom('outbox').select(columns)
      .$if(!!workflowId, (q) => q.where('workflow_id', '=', workflowId!))
      .orderBy('id', 'desc').limit(limit).execute()).map(decode);
  }
  const wanted = emailKey(options.to);
  const ids: number[] = [];
  for (let before: number | null = null; ids.length < limit;) {
    const batch = await db.kysely.selectFrom('outbox').select(['id', 'to_addr'])
      .$if(!!workflowId, (q) => q.where('workflow_id', '=', workflowId!))
      .$if(before !== null, (q) => q.where('id', '<', before!))
      .orderBy('id', 'desc').limit(TO_SCAN_BATCH).execute();
    for (const row of batch) if (ids.length < limit && emailKey(row.to_addr) === wanted) ids.push(Number(row.id));
    if (batch.length < TO_SCAN_BATCH) break;
    before = Number(batch[batch.length - 1].id);
  }
  if (ids.length === 0) return [];
  return (await db.kysely.selectFrom('outbox').select(columns).where('id', 'in', ids).orderBy('id', 'desc').execute()).map(decode);
}

/**
 * Whether an approval email of a round before `round` was recorded for this payout run (someone
 * was asked earlier). The outbox keeps every send, keyed `<workflow id>:approval-<round>:<address>`;
 * one the relay refused for good (`failed`) asked nobody.
 */
export async function earlierApprovalEmailRecorded(db: Db, workflowId: string, round: number): Promise<boolean> {
  for (let r = 0; r < round; r++) {
    const row = await db.kysely.selectFrom('outbox').select('id').where('workflow_id', '=', workflowId)
      .where('key', 'like', `${workflowId}:approval-${r}:%`).where('status', '!=', 'failed').limit(1).executeTakeFirst();
    if (row) return true;
  }
  return false;
}

/** Whether any round's approval email of a payout run was recorded and not refused: none means nobody was asked. */
export async function approvalEmailRecorded(db: Db, workflowId: string): Promise<boolean> {
  const row = await db.kysely.selectFrom('outbox').select('id').where('workflow_id', '=', workflowId)
    .where('key', 'like', `${workflowId}:approval-%`).where('status', '!=', 'failed').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The addresses whose approval email of this payout run the relay refused for good, in send order. */
export async function refusedApprovalEmails(db: Db, workflowId: string): Promise<string[]> {
  const rows = await db.kysely.selectFrom('outbox').select('to_addr').where('workflow_id', '=', workflowId)
    .where('key', 'like', `${workflowId}:approval-%`).where('status', '=', 'failed').orderBy('id').execute();
  return rows.map((r) => r.to_addr);
}
