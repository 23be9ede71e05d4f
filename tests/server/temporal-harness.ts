// The whole loop for HTTP tests that need workflows: the Java time-skipping server, the real
// salesflow worker (own task queue) with its real activities, the dev mail catcher (a real SMTP
// server), and the HTTP server, all over one SQLite file. PUBLIC_URL names the server's port, so
// links in the emails the worker sends point at this server.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createMailer } from '../../src/activities/mail.js';
import { loadConfig } from '../../src/config.js';
import { listOutbox, type OutboxRow } from '../../src/data/outbox.js';
import type { Plan } from '../../src/plan/schema.js';
import { startMailCatcher, type MailCatcher } from '../../src/runtime/mail-catcher.js';
import { createWorker, type SalesflowWorker } from '../../src/runtime/worker.js';
import { freePort, startTimeSkippingEnv } from '../../src/temporal/index.js';
import { type Harness, type HarnessOptions, SECRET, startHarness } from './harness.js';

export interface LoopHarness extends Harness {
  testEnv: TestWorkflowEnvironment;
  taskQueue: string;
  mail: MailCatcher;
  /** Polls the outbox until an email matching `match` is there; on timeout says why `workflowId` is stuck. */
  waitForEmail(match: (row: OutboxRow) => boolean, options?: { workflowId?: string; timeoutMs?: number }): Promise<OutboxRow>;
}

export async function startLoop(
  name: string, plan: Plan, options: { dev?: boolean; env?: Record<string, string> } & Pick<HarnessOptions, 'mappings' | 'clock'> = {},
): Promise<LoopHarness> {
  const [testEnv, port] = await Promise.all([startTimeSkippingEnv(), freePort()]);
  const taskQueue = `server-${name}`;
  const http = await startHarness({
    port,
    env: { ...options.env, TEMPORAL_TASK_QUEUE: taskQueue },
    temporalClient: testEnv.client,
    plan,
    dev: options.dev ? { outbox: true } : undefined,
    mappings: options.mappings,
    clock: options.clock,
  });
  const mail = await startMailCatcher(http.db);
  const mailer = createMailer(mail.smtpUrl);
  const workerConfig = loadConfig({
    SALESFLOW_SECRET: SECRET,
    PUBLIC_URL: http.config.publicUrl,
    SMTP_URL: mail.smtpUrl,
    DATABASE_URL: http.config.databasePath,
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const worker: SalesflowWorker = await createWorker(workerConfig, { connection: testEnv.nativeConnection, db: http.db, mailer });
  const running = worker.run();

  return {
    ...http,
    testEnv,
    taskQueue,
    mail,
    async waitForEmail(match, { workflowId, timeoutMs = 30_000 } = {}) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = (await listOutbox(http.db, { limit: 500 })).find((row) => row.status === 'sent' && match(row));
        if (found) return found;
        if (Date.now() > until) throw new Error(`timed out waiting for an email in the outbox${workflowId ? await stuckBecause(testEnv, workflowId) : ''}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await worker.shutdown();
      await running.catch(() => {});
      mailer.close();
      await mail.close();
      await http.close();
      await testEnv.teardown();
    },
  };
}

async function stuckBecause(testEnv: TestWorkflowEnvironment, workflowId: string): Promise<string> {
  const description = await testEnv.client.workflow.getHandle(workflowId).describe();
  const failures = (description.raw.pendingActivities ?? []).map(
    (a) => `${a.activityType?.name}: ${a.lastFailure?.message ?? 'no failure'}`,
  );
  const history = await testEnv.client.workflow.getHandle(workflowId).fetchHistory();
  const taskFailures = (history.events ?? [])
    .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message)
    .filter((m): m is string => Boolean(m));
  return ` (${workflowId} is ${description.status.name}; pending activities: ${failures.join('; ') || 'none'}; ` +
    `workflow task failures: ${[...new Set(taskFailures)].join('; ') || 'none'}; ${history.events?.length ?? 0} history events)`;
}

/** The first http(s) link in a text that goes to `path` on the server. */
export function linkTo(text: string, path: string): string {
  const match = new RegExp(`https?://[^\\s"<>]+${path}/[A-Za-z0-9_.-]+`).exec(text);
  if (!match) throw new Error(`no ${path} link in:\n${text}`);
  return match[0];
}
