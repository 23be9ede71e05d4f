// A real SMTP server (smtp-server) that keeps every message it accepts, for asserting on what
// people would receive: recipients, subject, Date, headers and the (decoded) body text.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface CaughtMail {
  to: string[];
  from: string;
  subject: string;
  /** The Date header, parsed. */
  date: Date;
  headers: Map<string, string>;
  /** Raw body with quoted-printable soft breaks and escapes decoded (html and text parts). */
  body: string;
  /** The message as the relay received it (latin1), for checks on its lines. */
  raw: string;
  receivedAt: number;
}

export interface MailCatcher {
  url: string;
  messages: CaughtMail[];
  /** Addresses the server refuses with 550 (mailbox unavailable), as a real relay would. */
  refuse: Set<string>;
  /** Addresses the server turns away for now with 451 (try again later), as a busy relay would. */
  defer: Set<string>;
  /**
   * Subjects the server turns away for now with 451 at the end of DATA, and how many more times
   * (Infinity: always), as a relay that greylists or rate-limits by content would.
   */
  deferSubjects: Map<string, number>;
  to(address: string): CaughtMail[];
  waitFor(predicate: (messages: CaughtMail[]) => boolean, timeoutMs?: number): Promise<CaughtMail[]>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parse(raw: string, envelopeTo: string[]): CaughtMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return {
    to: envelopeTo,
    from: headers.get('from') ?? '',
    subject: headers.get('subject') ?? '',
    date: new Date(headers.get('date') ?? ''),
    headers,
    body: decodeQuotedPrintable(raw.slice(split + 4)),
    raw,
    receivedAt: Date.now(),
  };
}

/**
 * `login`: the server requires these credentials, as a hosted relay does (530 without a login,
 * 535 for a wrong one); without it, anyone may send.
 */
export async function startMailCatcher(options: { login?: { user: string; pass: string } } = {}): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const refuse = new Set<string>();
  const defer = new Set<string>();
  const deferSubjects = new Map<string, number>();
  const { login } = options;
  const server = new SMTPServer({
    authOptional: !login,
    allowInsecureAuth: true,
    disabledCommands: login ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (login && auth.username === login.user && auth.password === login.pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error('authentication failed'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (defer.has(address.address.toLowerCase())) return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
      if (!refuse.has(address.address.toLowerCase())) return callback();
      const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const message = parse(Buffer.concat(chunks).toString('latin1'), session.envelope.rcptTo.map((r) => r.address));
        const left = deferSubjects.get(message.subject) ?? 0;
        if (left > 0) {
          deferSubjects.set(message.subject, left - 1);
          return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        }
        messages.push(message);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    refuse,
    defer,
    deferSubjects,
    to: (address) => messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase())),
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`mail never arrived (have ${messages.length}: ${messages.map((m) => m.subject).join(', ')})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
