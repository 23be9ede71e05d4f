// The verdict of a run: every expected email counted at the SMTP server (by recipient and subject,
// cross-checked by Message-ID) and in the outbox (by key), every expected ledger row counted in the
// data source. Lost: expected and never arrived; duplicated: every arrival past the first (and any
// that was not expected at all).
import type { DataSource } from './data-source.js';
import type { ReceivedMail } from './smtp.js';
import { type Expected, mailKey, RULE_ID } from './workload.js';

export interface Tally {
  emailsExpected: number;
  emailsSent: number;
  emailsLost: number;
  emailsDuplicated: number;
  payoutsExpected: number;
  payoutsRecorded: number;
  payoutsLost: number;
  payoutsDuplicated: number;
  /**
   * Duplicated arrivals that carry their first copy's Message-ID: the same message sent again by
   * the retry of a sender killed after the SMTP server accepted it and before it recorded that
   * (SMTP has no way to ask the server whether it already has a message). Mail clients that
   * de-duplicate by Message-ID show these once.
   */
  sameMessageDuplicates: number;
  /**
   * Per email marked sent: milliseconds from the SMTP server accepting it to the worker sending its
   * "sent" UPDATE (the row's sent_at, taken the instant before the write). A worker killed inside
   * this window leaves the row pending, and the retry mails it again; once written, the database
   * runs and commits the statement whether or not the worker still lives.
   */
  acceptedToMarkedMs: number[];
  /** The same to the database's commit of that UPDATE (PostgreSQL's commit time; none on SQLite). */
  acceptedToCommittedMs: number[];
  /** Outbox rows (one per key, the table's unique key) and how many of them are marked sent. */
  outbox: { keys: number; sent: number };
  /** Human-readable findings behind the numbers (which keys, which rows). */
  details: string[];
}

interface OutboxRow { key: string; to_addr: string; subject: string; status: string; message_id: string | null; sent_at: string | null; committed_ms: string | null }
interface LedgerRow { rule_id: string; rep: string; period: string }

export async function tally(expected: Expected, received: ReceivedMail[], data: DataSource): Promise<Tally> {
  const details: string[] = [];
  const arrivals = new Map<string, number>();
  for (const mail of received) arrivals.set(mailKey(mail), (arrivals.get(mailKey(mail)) ?? 0) + 1);
  const lostEmails = [...expected.emails].filter((k) => !arrivals.has(k));
  let duplicated = 0;
  let sameMessage = 0;
  for (const [key, n] of arrivals) {
    const ids = received.filter((m) => mailKey(m) === key).map((m) => m.messageId);
    if (n > 1 && ids.every((id) => id !== null && id === ids[0])) sameMessage += n - 1;
    if (!expected.emails.has(key)) { duplicated += n; details.push(`unexpected email: ${key} (${n}x)`); }
    else if (n > 1) {
      duplicated += n - 1;
      details.push(`duplicated email: ${key} (${n}x, received ${received.filter((m) => mailKey(m) === key).map((m) => m.at).join(', ')})`);
    }
  }
  const ids = new Map<string, number>();
  for (const mail of received) if (mail.messageId) ids.set(mail.messageId, (ids.get(mail.messageId) ?? 0) + 1);
  const repeatedIds = [...ids.values()].filter((n) => n > 1).length;
  if (repeatedIds > 0) details.push(`${repeatedIds} Message-ID(s) arrived more than once`);
  for (const key of lostEmails.slice(0, 20)) details.push(`lost email: ${key}`);

  const outbox = await data.query<OutboxRow>(`SELECT key, to_addr, subject, status, message_id, sent_at, ${data.commitTimeSql ?? 'NULL'} AS committed_ms FROM outbox`);
  const byStatus = new Map<string, number>();
  for (const row of outbox) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
  details.push(`outbox: ${outbox.length} keys (${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ') || 'none'})`);
  const marked = acceptedTo(received, outbox, (r) => (r.sent_at ? Date.parse(r.sent_at) : NaN));
  const committed = acceptedTo(received, outbox, (r) => (r.committed_ms !== null ? Number(r.committed_ms) : NaN));
  details.push(describeWindow(marked, 'mark sent written by the worker (sent_at)'));
  if (data.commitTimeSql) details.push(describeWindow(committed, 'committed as sent (database commit time)'));
  const sentKeys = new Set(outbox.filter((r) => r.status === 'sent').map((r) => mailKey({ to: r.to_addr.toLowerCase(), subject: r.subject })));
  const notSent = [...expected.emails].filter((k) => !sentKeys.has(k));
  for (const key of notSent.slice(0, 20)) details.push(`outbox has no sent row for: ${key}`);
  // An email the SMTP server has but the outbox does not call sent is lost as far as salesflow
  // knows; one marked sent that never arrived is lost for its reader. Either way it is lost.
  const lost = new Set([...lostEmails, ...notSent]);

  const ledger = await data.query<LedgerRow>('SELECT rule_id, rep, period FROM ledger');
  const rows = new Map<string, number>();
  for (const row of ledger) {
    if (row.rule_id !== RULE_ID || row.period !== expected.period) { details.push(`unexpected ledger row: ${JSON.stringify(row)}`); continue; }
    rows.set(row.rep, (rows.get(row.rep) ?? 0) + 1);
  }
  const lostPayouts = [...expected.ledgerReps].filter((rep) => !rows.has(rep));
  let duplicatedPayouts = ledger.length - [...rows.keys()].length;
  for (const [rep, n] of rows) {
    if (n > 1) details.push(`duplicated ledger row: ${rep} (${n}x)`);
    if (!expected.ledgerReps.has(rep)) { duplicatedPayouts += 1; details.push(`unexpected ledger row for ${rep}`); }
  }
  for (const rep of lostPayouts.slice(0, 20)) details.push(`lost ledger row: ${rep}`);

  return {
    emailsExpected: expected.emails.size,
    emailsSent: received.length,
    emailsLost: lost.size,
    emailsDuplicated: duplicated,
    payoutsExpected: expected.ledgerReps.size,
    payoutsRecorded: ledger.length,
    payoutsLost: lostPayouts.length,
    payoutsDuplicated: duplicatedPayouts,
    sameMessageDuplicates: sameMessage,
    acceptedToMarkedMs: marked,
    acceptedToCommittedMs: committed,
    outbox: { keys: outbox.length, sent: byStatus.get('sent') ?? 0 },
    details,
  };
}

/** The exact last line `npm run chaos` prints. */
export function chaosLine(t: Tally): string {
  return `chaos: emails ${t.emailsExpected} expected, ${t.emailsSent} sent, ${t.emailsLost} lost, ${t.emailsDuplicated} duplicated; ` +
    `payouts ${t.payoutsExpected} expected, ${t.payoutsRecorded} recorded, ${t.payoutsLost} lost, ${t.payoutsDuplicated} duplicated`;
}

export const clean = (t: Tally) => t.emailsLost === 0 && t.emailsDuplicated === 0 && t.payoutsLost === 0 && t.payoutsDuplicated === 0;

/** True once everything expected has arrived and been recorded (the run can stop waiting). */
export async function complete(expected: Expected, received: ReceivedMail[], data: DataSource): Promise<boolean> {
  const arrived = new Set(received.map(mailKey));
  if ([...expected.emails].some((k) => !arrived.has(k))) return false;
  const ledger = await data.query<LedgerRow>('SELECT rule_id, rep, period FROM ledger').catch(() => []);
  const reps = new Set(ledger.map((r) => r.rep));
  return [...expected.ledgerReps].every((rep) => reps.has(rep));
}

/**
 * How long after the SMTP server accepted each message (its first copy) its outbox row was marked
 * sent, by the given time of the row. A worker killed inside that window leaves the row pending,
 * and its retry mails again; a duplicated message's gap therefore runs to its retry's mark.
 */
function acceptedTo(received: ReceivedMail[], outbox: OutboxRow[], at: (r: OutboxRow) => number): number[] {
  const firstAccepted = new Map<string, number>();
  for (const m of received) if (m.messageId && !firstAccepted.has(m.messageId)) firstAccepted.set(m.messageId, m.atMs);
  return outbox.filter((r) => r.status === 'sent' && r.message_id && firstAccepted.has(r.message_id) && Number.isFinite(at(r)))
    .map((r) => at(r) - firstAccepted.get(r.message_id!)!).sort((a, b) => a - b);
}

function describeWindow(gaps: number[], what: string): string {
  if (gaps.length === 0) return `accepted by SMTP -> ${what}: no data`;
  const at = (q: number) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))].toFixed(1);
  const sum = gaps.reduce((a, b) => a + Math.max(0, b), 0);
  return `accepted by SMTP -> ${what}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms, ` +
    `max ${gaps[gaps.length - 1].toFixed(1)} ms, total ${sum.toFixed(0)} ms over ${gaps.length} emails`;
}
