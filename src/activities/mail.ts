// Email delivery with exactly-once intent: the outbox row for `<workflow id>:<send id>:<recipient>`
// is written before the SMTP call and marked sent after it, so a retried activity that already
// got through finds the row and does not mail again. The Message-ID is derived from the key, so
// the rare retry between "accepted by SMTP" and "marked sent" is recognisable as a duplicate.
// Between "pending" and "sent" the row is leased to one attempt (src/data/outbox.ts), so
// concurrent workers never mail the same row twice.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';
import { claimOutbox, getOutbox, markFailed, markSent, markSuppressed, takeSendLease } from '../data/outbox.js';
import { isSuppressed } from '../data/suppressions.js';
import type { ActivityDeps } from './deps.js';

/** A pooled SMTP transport: one connection reused across the many emails a worker sends. */
export function createMailer(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  return nodemailer.createTransport({
    pool: true,
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
 * How long a send lease holds: longer than one SMTP delivery can take (nodemailer's timeouts are
 * about 2 minutes), so only a sender that crashed mid-send loses it to another.
 */
const SEND_LEASE_MS = 5 * 60 * 1000;

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
  const now = Date.now();
  if (!(await takeSendLease(db, email.key, `${SENDER}:${randomUUID()}`, new Date(now + SEND_LEASE_MS).toISOString(), new Date(now).toISOString()))) {
    const current = await getOutbox(db, email.key);
    if (current?.status === 'sent') return 'already-sent';
    if (current?.status === 'suppressed') return 'suppressed';
    if (current?.status === 'failed') return 'failed';
    throw new Error(`outbox ${email.key}: another sender is mailing it now; retrying later`);
  }
  const messageId = messageIdFor(email.key, deps.config.publicUrl);
  try {
    // What was recorded first is what goes out, so a retry never sends a different text.
    await mailer.sendMail({
      from: row.from_addr,
      to: row.to_addr,
      subject: row.subject,
      html: row.html,
      text: row.text,
      headers: row.headers,
      messageId,
      date: email.date,
    });
  } catch (err) {
    // A permanent refusal (unknown mailbox, policy) is recorded and the run moves on; anything
    // else (relay down, 4xx) is thrown so Temporal retries the activity with backoff.
    const permanent = isPermanentRefusal(err);
    await markFailed(db, email.key, (err as Error).message, permanent);
    if (permanent) return 'failed';
    throw err;
  }
  await markSent(db, email.key, messageId);
  return 'sent';
}

function isPermanentRefusal(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** The sender when a rule's settings name none. */
export function defaultFrom(publicUrl: string): string {
  const host = new URL(publicUrl).hostname;
  return `salesflow <no-reply@${host.includes('.') ? host : 'salesflow.local'}>`;
}
