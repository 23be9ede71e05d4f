// The backtest's mail catcher: a nodemailer transport that keeps, in memory, when each message
// would have gone out, instead of speaking SMTP to a catcher server on a local port.
//
// A backtest is a simulation in which nothing leaves the process: the outbox of its throwaway
// data source already holds every rendered email (recipient, template, subject, body), and the
// timeline needs only each message's send time (its Date header, the workflow's time of the send).
// Over SMTP a quarter for 200 reps cost about 8,500 MIME messages built, streamed, parsed and stored
// twice, all on the one thread that also drives the workflows. The message still goes through
// nodemailer's own checks (addresses, envelope) up to the wire, so a message nodemailer would refuse
// fails here too; only the wire and the other side are left out. `salesflow dev` and the tests of
// real sending keep the SMTP catcher (src/runtime/mail-catcher.ts).
import nodemailer, { type Transporter } from 'nodemailer';

export interface BacktestCatcher {
  mailer: Transporter;
  /** Message-ID → send time (epoch ms, to the whole second as a Date header carries it). */
  sentAt: Map<string, number>;
}

export function startBacktestCatcher(): BacktestCatcher {
  const sentAt = new Map<string, number>();
  const mailer = nodemailer.createTransport({
    name: 'salesflow-backtest-catcher',
    version: '1',
    send(mail, callback) {
      try {
        const envelope = mail.message.getEnvelope();
        if (envelope.to.length === 0) throw new Error('No recipients defined');
        const messageId = mail.message.messageId();
        const date = mail.data.date === undefined ? new Date() : new Date(mail.data.date);
        // A Date header has no milliseconds: the send time is what a reader of the message would see.
        sentAt.set(messageId, Math.floor(date.getTime() / 1000) * 1000);
        callback(null, { envelope, messageId });
      } catch (err) {
        callback(err as Error, undefined as never);
      }
    },
  });
  return { mailer, sentAt };
}
