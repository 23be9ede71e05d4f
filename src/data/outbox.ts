// The outbox: every email salesflow means to send, keyed `<workflow id>:<send id>:<recipient>`.
// A send activity first inserts its row if absent, sends only while the row is pending, then marks
// it sent — so a retried activity finds the row and never mails twice.
import { prepared, type Db } from './db.js';

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

type RawRow = Omit<OutboxRow, 'headers'> & { headers: string };

const decode = (row: RawRow): OutboxRow => ({ ...row, headers: JSON.parse(row.headers) as Record<string, string> });

export function getOutbox(db: Db, key: string): OutboxRow | null {
  const row = prepared(db, 'SELECT * FROM outbox WHERE key = ?').get(key) as RawRow | undefined;
  return row ? decode(row) : null;
}

/**
 * Insert the message unless a row with its key exists; returns the row as stored and whether this
 * call created it. A caller sends only when `row.status` is 'pending'.
 */
export function insertOutboxIfAbsent(
  db: Db,
  message: OutboxMessage,
  status: OutboxStatus = 'pending',
  now = new Date().toISOString(),
): { row: OutboxRow; created: boolean } {
  return db.transaction(() => {
    const result = db
      .prepare(
        `INSERT INTO outbox (key, workflow_id, rule_id, template, to_addr, from_addr, subject, html, text, headers, status, created_at)
         VALUES (@key, @workflow_id, @rule_id, @template, @to_addr, @from_addr, @subject, @html, @text, @headers, @status, @created_at)
         ON CONFLICT(key) DO NOTHING`,
      )
      .run({ ...message, headers: JSON.stringify(message.headers), status, created_at: now });
    return { row: getOutbox(db, message.key)!, created: result.changes > 0 };
  }).immediate();
}

/** Same as insertOutboxIfAbsent: the name the send activity reads best with. */
export const claimOutbox = insertOutboxIfAbsent;

export function markSent(db: Db, key: string, messageId: string | null, now = new Date().toISOString()): void {
  prepared(db, "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE key = ?").run(messageId, now, key);
}

export function markSuppressed(db: Db, key: string): void {
  prepared(db, "UPDATE outbox SET status = 'suppressed' WHERE key = ? AND status = 'pending'").run(key);
}

/** Record a failed attempt; the row stays retryable unless `final`. */
export function markFailed(db: Db, key: string, error: string, final = false): void {
  prepared(db, `UPDATE outbox SET error = ?, status = ${final ? "'failed'" : 'status'} WHERE key = ? AND status = 'pending'`).run(error, key);
}

/** Newest first. */
export function listOutbox(db: Db, options: { limit?: number; to?: string; workflowId?: string } = {}): OutboxRow[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.to) { where.push('lower(to_addr) = lower(?)'); params.push(options.to); }
  if (options.workflowId) { where.push('workflow_id = ?'); params.push(options.workflowId); }
  const sql = `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return (prepared(db, sql).all(...params, options.limit ?? 100) as RawRow[]).map(decode);
}
