// The code of the worker's send thread (send-thread.ts): its own SMTP pool and database pool, and
// for each message the same `transmit` a worker without the thread runs (src/activities/mail.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../data/db.js';
import { createMailer, SMTP_CONNECTIONS, transmit, type Transmission } from './mail.js';

const { smtpUrl, databaseUrl } = workerData as { smtpUrl: string; databaseUrl: string };
const mailer = createMailer(smtpUrl);
// One connection held per SMTP connection, and a couple for marks retried after a connection broke.
let db: ReturnType<typeof openDatabase> | undefined;

parentPort!.on('message', async ({ id, t }: { id: number; t: Transmission }) => {
  try {
    db ??= openDatabase(databaseUrl, { poolSize: SMTP_CONNECTIONS + 2 });
    // A failed open (database down as the thread started) is tried again by the next message.
    const opened = await db.catch((err: unknown) => { db = undefined; throw err; });
    parentPort!.postMessage({ id, result: await transmit(opened, mailer, t) });
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});
