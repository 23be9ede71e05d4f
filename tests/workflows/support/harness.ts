// One time-skipping Temporal server, one SQLite file (or the PostgreSQL database given), one SMTP
// catcher and one salesflow worker (own task queue) per test file. Activities are the real ones; a test can make one of them fail
// once *after* it did its work, as a crash between "done" and "reported" would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type Config } from '../../../src/config.js';
import { openDatabase, type Db } from '../../../src/data/db.js';
import type { Activities } from '../../../src/activities/index.js';
import { createMailer } from '../../../src/activities/mail.js';
import { createWorker, type SalesflowWorker, type WorkerOptions } from '../../../src/runtime/worker.js';
import { startTimeSkippingEnv } from '../../../src/temporal/index.js';
import { startMailCatcher, type MailCatcher } from './mail-catcher.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });

export const SECRET = 'test-secret-0123456789abcdef';
export const PUBLIC_URL = 'http://salesflow.test';

export interface Harness {
  testEnv: TestWorkflowEnvironment;
  db: Db;
  dbPath: string;
  mail: MailCatcher;
  config: Config;
  worker: SalesflowWorker;
  taskQueue: string;
  /** The next `times` calls of `activity` do their work, then throw (Temporal retries them). */
  failAfterWork(activity: keyof Activities, times?: number): void;
  /** How often each activity was called (attempts, including retries). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string, tuning?: WorkerOptions['tuning'], options: { databaseUrl?: string } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `salesflow-${name}-`));
  const dbPath = options.databaseUrl ?? path.join(dir, 'salesflow.db');
  const [testEnv, mail] = await Promise.all([startTimeSkippingEnv(), startMailCatcher()]);
  const db = await openDatabase(dbPath);
  const taskQueue = `wf-${name}`;
  const config = loadConfig({
    SALESFLOW_SECRET: SECRET,
    PUBLIC_URL,
    SMTP_URL: mail.url,
    DATABASE_URL: dbPath,
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const pendingFailures = new Map<string, number>();
  const calls = new Map<string, number>();
  const mailer = createMailer(mail.url);
  const worker = await createWorker(config, {
    connection: testEnv.nativeConnection,
    db,
    mailer,
    tuning,
    activities: (real) => {
      const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const [key, fn] of Object.entries(real) as [string, (...args: unknown[]) => Promise<unknown>][]) {
        wrapped[key] = async (...args) => {
          calls.set(key, (calls.get(key) ?? 0) + 1);
          const result = await fn(...args);
          const left = pendingFailures.get(key) ?? 0;
          if (left > 0) {
            pendingFailures.set(key, left - 1);
            throw new Error(`injected failure after ${key} did its work`);
          }
          return result;
        };
      }
      return wrapped as unknown as Activities;
    },
  });
  const running = worker.run();
  return {
    testEnv, db, dbPath, mail, config, worker, taskQueue, calls,
    failAfterWork(activity, times = 1) {
      pendingFailures.set(activity, times);
    },
    async close() {
      await worker.shutdown();
      await running.catch(() => {});
      mailer.close();
      await db.close();
      await Promise.all([testEnv.teardown(), mail.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
