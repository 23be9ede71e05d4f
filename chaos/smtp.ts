// The harness's own SMTP server: a real one (smtp-server, on a loopback port) that keeps every
// message it accepts in memory, so a run can count what arrived, per recipient and Message-ID,
// independently of what salesflow believes it sent. It lives in the harness process, which no
// chaos touches, so a message it accepted is never forgotten.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  messageId: string | null;
  to: string;
  subject: string;
  /** The body with soft line breaks undone, for finding links. */
  text: string;
  /** When the server accepted it (ISO time), to line up with the run's log. */
  at: string;
  /** The same instant in epoch milliseconds with sub-millisecond precision (to measure short windows). */
  atMs: number;
}

export interface SmtpSink {
  smtpUrl: string;
  received: ReceivedMail[];
  /** Called for each message as it is accepted (the approver clicks from here). */
  onMail(listener: (mail: ReceivedMail) => void): void;
  /**
   * The next N messages are read but never answered: the sender hangs in its SMTP transaction, as
   * with a stuck relay, and nothing is kept (a message is only delivered once the server says so).
   * Resolves `stalled` when one is being held.
   */
  stallNext(n: number): void;
  stalled: number;
  close(): Promise<void>;
}

export function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const listeners: Array<(mail: ReceivedMail) => void> = [];
  const state = { stall: 0, stalled: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (state.stall > 0) {
          state.stall -= 1;
          state.stalled += 1;
          return; // no answer: the client waits until it gives up or dies
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.search(/\r?\n\r?\n/);
        const headers = (split === -1 ? raw : raw.slice(0, split)).replace(/\r?\n[ \t]+/g, ' ');
        const mail: ReceivedMail = {
          messageId: header(headers, 'message-id'),
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()).join(', '),
          subject: header(headers, 'subject') ?? '',
          text: (split === -1 ? '' : raw.slice(split)).replace(/=\r?\n/g, '').replace(/=3D/g, '='),
          at: '',
          atMs: performance.timeOrigin + performance.now(),
        };
        mail.at = new Date(mail.atMs).toISOString();
        // Kept and answered in one go: what the harness does with the mail (an approver's click)
        // must not sit between the server taking a message and the sender hearing 250, or it
        // would widen the window in which a killed sender repeats the email.
        received.push(mail);
        callback();
        for (const listener of listeners) listener(mail);
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      // A sender killed mid-transaction resets its connection: expected here, and not the server's fault.
      server.removeListener('error', reject);
      server.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') process.stderr.write(`smtp sink: ${err.message}\n`);
      });
      const { port } = server.server.address() as AddressInfo;
      resolve({
        smtpUrl: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
        received,
        onMail: (listener) => listeners.push(listener),
        stallNext: (n) => { state.stall = n; },
        get stalled() { return state.stalled; },
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

function header(block: string, name: string): string | null {
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return null;
}
