// Email delivery with exactly-once intent: the outbox row for `<workflow id>:<send id>:<recipient>`
// is written before the SMTP call and marked sent after it, so a retried activity that already
// got through finds the row and does not mail again. Between "pending" and "sent" the row is
// leased to one attempt (src/data/outbox.ts), so concurrent workers never mail the same row twice.
// What remains is the instant between the relay accepting a message and the mark reaching the
// database: a sender killed there leaves the row pending and its retry mails again. SMTP cannot
// be asked whether it already has a message, so that window is made as short as a process can
// make it (`transmit`), and the Message-ID, derived from the key, lets mail systems fold the repeat.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';
import { claimOutbox, getOutbox, markFailed, markSent, markSuppressed, reserveSentMarker, takeSendLease } from '../data/outbox.js';
import { isSuppressed } from '../data/suppressions.js';
import type { Db } from '../data/db.js';
import type { SentMarker } from '../data/outbox.js';
import type { ActivityDeps } from './deps.js';
import { senderField, subjectFields } from './message-headers.js';

/** SMTP connections per worker (nodemailer's pool default, stated here because sends are limited to it below). */
export const SMTP_CONNECTIONS = 5;

/** A pooled SMTP transport: a few connections reused across the many emails a worker sends. */
export function createMailer(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  return nodemailer.createTransport({
    pool: true,
    maxConnections: SMTP_CONNECTIONS,
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    // Local catchers and dev relays often have self-signed certificates; opportunistic STARTTLS only.
    ignoreTLS: url.searchParams.get('ignoreTLS') === 'true',
  });
}

export interface OutgoingEmail {
  key: string;
  workflowId: string;
  ruleId: string;
  template: string;
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  /** The Date header: the workflow's time of the send (replay-safe, and what a reader sees). */
  date: Date;
  /** Sequence emails: never to a suppressed (unsubscribed) address. */
  suppressible: boolean;
}

/** `failed`: the relay refused the message for good (5xx); retrying would not help. */
export type DeliveryOutcome = 'sent' | 'already-sent' | 'suppressed' | 'failed';

/** Which process took a send lease (each attempt adds its own id: a timed-out attempt may still be mailing). */
const SENDER = `${hostname()}:${process.pid}`;

/**
 * How long a send lease holds unless renewed. The sender renews it every few seconds for as long
 * as its SMTP delivery takes (nodemailer's timeouts are about 2 minutes), so only a sender that
 * crashed (kill -9, lost host) loses it, and then within seconds: its email is retried by another
 * worker as soon as the activity's heartbeat timeout shows the crash, not minutes later.
 */
const SEND_LEASE_MS = 30_000;
const SEND_LEASE_RENEW_MS = 5_000;

export function messageIdFor(key: string, publicUrl: string): string {
  const host = new URL(publicUrl).hostname || 'salesflow.local';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${host}>`;
}

export async function deliver(deps: ActivityDeps, email: OutgoingEmail): Promise<DeliveryOutcome> {
  const { db, mailer } = deps;
  const { row } = await claimOutbox(db, {
    key: email.key,
    workflow_id: email.workflowId,
    rule_id: email.ruleId,
    template: email.template,
    to_addr: email.to,
    from_addr: email.from,
    subject: email.subject,
    html: email.html,
    text: email.text,
    headers: email.headers,
  });
  if (row.status === 'sent') return 'already-sent';
  if (row.status === 'suppressed') return 'suppressed';
  if (row.status === 'failed') return 'failed';
  if (email.suppressible && (await isSuppressed(db, email.to))) {
    await markSuppressed(db, email.key);
    return 'suppressed';
  }
  // Only one sender mails a pending row: another worker running the same send (a retry racing a
  // slow first attempt) holds the lease; this attempt fails and is retried, and then finds it sent.
  const owner = `${SENDER}:${randomUUID()}`;
  const leaseUntil = () => new Date(Date.now() + SEND_LEASE_MS).toISOString();
  if (!(await takeSendLease(db, email.key, owner, leaseUntil(), new Date().toISOString()))) {
    const current = await getOutbox(db, email.key);
    if (current?.status === 'sent') return 'already-sent';
    if (current?.status === 'suppressed') return 'suppressed';
    if (current?.status === 'failed') return 'failed';
    throw new Error(`outbox ${email.key}: another sender is mailing it now; retrying later`);
  }
  const messageId = messageIdFor(email.key, deps.config.publicUrl);
  // A renewal that fails (database briefly away) is harmless: the next one, or markSent, follows.
  // It goes on until the row is marked sent, so no other attempt can take the row meanwhile.
  const renew = setInterval(() => { takeSendLease(db, email.key, owner, leaseUntil()).catch(() => {}); }, SEND_LEASE_RENEW_MS);
  let result: TransmitResult;
  try {
    // What was recorded first is what goes out, so a retry never sends a different text.
    const message = { from: row.from_addr, to: row.to_addr, subject: row.subject, html: row.html, text: row.text, headers: row.headers };
    const transmission: Transmission = { key: email.key, messageId, message, date: email.date };
    result = await (deps.transmit ? deps.transmit(transmission) : transmit(db, mailer, transmission));
  } finally {
    // Stopped before markFailed: a renewal after it would lease the row again and hold off the retry.
    clearInterval(renew);
  }
  if (result.sent) return 'sent';
  // A permanent refusal of this message (unknown mailbox, policy) is recorded and the run moves
  // on; anything else (relay down, 4xx, the relay refusing salesflow itself) is thrown so
  // Temporal retries the activity with backoff.
  const permanent = result.permanent === true;
  await markFailed(db, email.key, result.error, permanent);
  if (permanent) return 'failed';
  throw new RelayDeferral(result.error, result.responseCode, result.forRecipient === true);
}

/**
 * The relay did not take the message this time (4xx, relay down or refusing salesflow's login):
 * the row is pending again, its lease released, and a retry may send it. Thrown so that callers
 * that wait for acceptance retry; a sequence moves on meanwhile when only this recipient or
 * message was turned away (`forRecipient`, see deferredForRecipient).
 */
export class RelayDeferral extends Error {
  constructor(message: string, readonly responseCode?: number, readonly forRecipient = false) {
    super(message);
    this.name = 'RelayDeferral';
  }
}

/** One message to hand to the relay, as recorded in its outbox row. */
export interface Transmission {
  key: string;
  messageId: string;
  message: { from: string; to: string; subject: string; html: string; text: string; headers: Record<string, string> };
  date: Date;
}

/**
 * `sent`: the relay accepted it and the row is marked sent. Otherwise it was not accepted (refused,
 * relay down): `responseCode` is the relay's answer when it gave one, and `permanent` says it
 * refused this message for good (see permanentRefusal).
 */
export type TransmitResult = { sent: true } | { sent: false; error: string; responseCode?: number; permanent?: boolean; forRecipient?: boolean };

/** SMTP replies about authentication (RFC 4954): 530 required, 534 mechanism too weak, 535 bad credentials, 538 encryption required. */
const AUTHENTICATION_CODES = new Set([530, 534, 535, 538]);

/**
 * Whether a relay's error refuses this message for good: a 5xx to its recipient (RCPT TO) or its
 * content (DATA), or a size refusal. A 5xx about salesflow's own connection (a wrong or rotated
 * SMTP password, authentication or TLS required, the greeting, the sender address) is the
 * operator's to fix, and the same for every email: recording those as failed would drop every
 * email sent until then, for good, so they are retried like a relay that is down.
 */
export function permanentRefusal(err: { responseCode?: unknown; command?: unknown; code?: unknown }): boolean {
  const { code, aboutMessage } = relayReply(err);
  if (code === undefined || code < 500 || code > 599) return false;
  if (code === 552) return true;
  if (err.code === 'EAUTH' || AUTHENTICATION_CODES.has(code)) return false;
  return aboutMessage;
}

/**
 * Whether a relay's error turns this message away for now for its own sake: a 4xx to its recipient
 * (RCPT TO: a full mailbox, greylisting) or its content (DATA). A 421 (the relay closing the
 * connection), a connection error or a 4xx to salesflow's login or sender address is the relay
 * being unavailable to every email alike.
 */
export function deferredForRecipient(err: { responseCode?: unknown; command?: unknown }): boolean {
  const { code, aboutMessage } = relayReply(err);
  return code !== undefined && code >= 400 && code <= 499 && code !== 421 && aboutMessage;
}

/**
 * A nodemailer error's SMTP reply code, and whether the relay gave it to this message's recipient
 * (RCPT TO) or content (DATA) rather than to salesflow's connection, login or sender address.
 */
function relayReply(err: { responseCode?: unknown; command?: unknown }): { code: number | undefined; aboutMessage: boolean } {
  const command = typeof err.command === 'string' ? err.command.toUpperCase() : '';
  return { code: typeof err.responseCode === 'number' ? err.responseCode : undefined, aboutMessage: command === 'RCPT TO' || command === 'DATA' };
}

/**
 * The SMTP transaction and the "sent" mark, kept as close together as a process can: a worker
 * killed after the relay accepted the message and before the mark reached the database leaves
 * the row pending, and the retry mails it again (SMTP has no two-phase commit, so this window
 * cannot be closed, only made short). So the database connection for the mark is taken before the
 * message goes out, and the UPDATE is written to it as soon as the relay's 250 is read. Workers on
 * PostgreSQL run this on a thread of its own (send-thread.ts), where nothing else delays that.
 * Throws only when the relay accepted the message and recording it failed for minutes.
 */
export async function transmit(db: Db, mailer: Transporter, t: Transmission): Promise<TransmitResult> {
  const slot = await sendSlots(mailer).acquire();
  let marker: SentMarker | undefined;
  try {
    try {
      marker = await reserveSentMarker(db, t.key);
    } catch (err) {
      return { sent: false, error: `no database connection to record the send: ${(err as Error).message}` };
    }
    try {
      const { subject, headers, from, ...message } = t.message;
      await mailer.sendMail({ ...message, from: senderField(from), ...subjectFields(subject, headers), messageId: t.messageId, date: t.date });
    } catch (err) {
      const code = (err as { responseCode?: unknown }).responseCode;
      return {
        sent: false, error: (err as Error).message, responseCode: typeof code === 'number' ? code : undefined,
        permanent: permanentRefusal(err as object), forRecipient: deferredForRecipient(err as object),
      };
    }
    // Also the row's sent_at: when the mark left for the database, to line up with the relay's log.
    const acceptedAt = new Date().toISOString();
    try {
      await marker.mark(t.messageId, acceptedAt);
    } catch {
      // The held connection broke (database restarted while SMTP ran): keep trying through the
      // pool. Giving up here would make the retry mail it again for certain.
      marker.release();
      marker = undefined;
      await markSentPersistently(db, t.key, t.messageId, acceptedAt);
    }
    return { sent: true };
  } finally {
    marker?.release();
    slot.release();
  }
}

/**
 * After the relay accepted a message, recording that is worth waiting for: retried for up to
 * MARK_SENT_PATIENCE_MS (the activity heartbeats meanwhile and the send lease is renewed, so no
 * other attempt takes the row); only then is the error thrown, and the retry will mail again.
 */
const MARK_SENT_PATIENCE_MS = 10 * 60_000;

async function markSentPersistently(db: Db, key: string, messageId: string, acceptedAt: string): Promise<void> {
  const giveUpAt = Date.now() + MARK_SENT_PATIENCE_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      await markSent(db, key, messageId, acceptedAt);
      return;
    } catch (err) {
      if (Date.now() + delay > giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * At most as many sends in their SMTP transaction as the mailer has connections, so the database
 * connections held for their marks are few and none waits in nodemailer's queue holding one.
 */
interface Slots { acquire(): Promise<{ release(): void }> }
const slotsByMailer = new WeakMap<Transporter, Slots>();

function sendSlots(mailer: Transporter): Slots {
  let slots = slotsByMailer.get(mailer);
  if (!slots) {
    let free = SMTP_CONNECTIONS;
    const waiting: Array<() => void> = [];
    const slot = () => {
      let released = false;
      return { release: () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        if (next) next();
        else free++;
      } };
    };
    slots = {
      acquire() {
        if (free > 0) { free--; return Promise.resolve(slot()); }
        return new Promise((resolve) => waiting.push(() => resolve(slot())));
      },
    };
    slotsByMailer.set(mailer, slots);
  }
  return slots;
}

/** The sender when a rule's settings name none. */
export function defaultFrom(publicUrl: string): string {
  const host = new URL(publicUrl).hostname;
  return `salesflow <no-reply@${host.includes('.') ? host : 'salesflow.local'}>`;
}
