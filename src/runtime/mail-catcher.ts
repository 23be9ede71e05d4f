// The dev mail catcher: a real SMTP server on a local port that accepts every message and keeps
// it in the `caught_mail` table, so `salesflow dev` sends real email through nodemailer without
// reaching anyone. The outbox page shows what salesflow sent; this table proves it arrived.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Db } from '../data/db.js';

export interface CaughtMail {
  id: number;
  message_id: string | null;
  mail_from: string;
  rcpt_to: string;
  subject: string | null;
  raw: string;
  received_at: string;
}

export interface MailCatcher {
  port: number;
  /** SMTP_URL for the worker's mailer. */
  smtpUrl: string;
  close(): Promise<void>;
}

/** Largest message accepted; sales emails are small, a runaway loop should not fill the disk. */
const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

export function startMailCatcher(
  db: Db, options: { port?: number; host?: string; onMail?: (mail: CaughtMail) => void } = {},
): Promise<MailCatcher> {
  const host = options.host ?? '127.0.0.1';
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    banner: 'salesflow dev mail catcher',
    logger: false,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'dev' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('message too large for the dev mail catcher'), { responseCode: 552 }));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = headerBlock(raw);
        const row = {
          message_id: header(headers, 'message-id'),
          mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt_to: session.envelope.rcptTo.map((r) => r.address).join(', '),
          subject: header(headers, 'subject'),
          raw,
          received_at: new Date().toISOString(),
        };
        db.kysely.insertInto('caught_mail').values(row).returning('id').executeTakeFirstOrThrow().then(
          ({ id }) => {
            options.onMail?.({ id: Number(id), ...row });
            callback();
          },
          (err: Error) => callback(Object.assign(new Error(`dev mail catcher cannot store the message: ${err.message}`), { responseCode: 451 })),
        );
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const port = (server.server.address() as AddressInfo).port;
      resolve({
        port,
        smtpUrl: `smtp://${host}:${port}?ignoreTLS=true`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

export async function listCaughtMail(db: Db, options: { to?: string; limit?: number } = {}): Promise<CaughtMail[]> {
  let query = db.kysely.selectFrom('caught_mail').selectAll();
  // Addresses match regardless of case (SQLite's LIKE ignores ASCII case, PostgreSQL's does not).
  if (options.to) query = query.where((eb) => eb(eb.fn('lower', ['rcpt_to']), 'like', eb.fn('lower', [eb.val(`%${options.to}%`)])));
  const rows = await query.orderBy('id', 'desc').limit(options.limit ?? 100).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

function headerBlock(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  // Folded header lines continue with whitespace: unfold them before reading.
  return (end === -1 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
}

function header(block: string, name: string): string | null {
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return null;
}
