// One Temporal dev server (in memory), one SQLite file (or a given PostgreSQL database), the dev SMTP
// mail catcher and one salesflow worker (own task queue) per test file: event routing exercised end
// to end against real servers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig, type Config } from '../../../src/config.js';
import { openDatabase, type Db } from '../../../src/data/db.js';
import { type CaughtMail, listCaughtMail, type MailCatcher, startMailCatcher } from '../../../src/runtime/mail-catcher.js';
import { createWorker, type SalesflowWorker } from '../../../src/runtime/worker.js';
import { type DevServerProcess, spawnDevServer } from '../../../src/temporal/index.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

export const SECRET = 'runtime-test-secret-0123456789';

export interface Harness {
  server: DevServerProcess;
  client: Client;
  db: Db;
  dir: string;
  config: Config;
  mail: MailCatcher;
  worker: SalesflowWorker;
  /** Caught mail to an address, oldest first. */
  caught(to: string): Promise<CaughtMail[]>;
  /** Waits until `count` emails to `to` arrived (or throws after `timeoutMs`). */
  waitForMail(to: string, count?: number, timeoutMs?: number): Promise<CaughtMail[]>;
  close(): Promise<void>;
}

/** `databaseUrl`: another data source (a PostgreSQL database) instead of a SQLite file in the temp folder. */
export async function startHarness(name: string, databaseUrl?: string): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `salesflow-runtime-${name}-`));
  const dbPath = databaseUrl ?? path.join(dir, 'salesflow.db');
  const db = await openDatabase(dbPath);
  const [server, mail] = await Promise.all([spawnDevServer({ dbFile: null }), startMailCatcher(db)]);
  const config = loadConfig({
    SALESFLOW_SECRET: SECRET,
    PUBLIC_URL: 'http://salesflow.test',
    SMTP_URL: mail.smtpUrl,
    DATABASE_URL: dbPath,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `runtime-${name}`,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker(config, { connection: native, db });
  const running = worker.run();
  const caught = async (to: string) => (await listCaughtMail(db, { to, limit: 1000 })).reverse();
  return {
    server, client, db, dir, config, mail, worker, caught,
    async waitForMail(to, count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mails = await caught(to);
        if (mails.length >= count) return mails;
        if (Date.now() > deadline) throw new Error(`expected ${count} email(s) to ${to} within ${timeoutMs} ms, got ${mails.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await worker.shutdown();
      await running.catch(() => {});
      await native.close();
      await connection.close();
      await mail.close();
      await server.stop();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
