// `salesflow worker` in-process: configuration errors are messages with exit code 1; a configured
// worker runs workflows from the task queue and stops cleanly on SIGTERM with exit code 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { run } from '../../src/cli/commands/worker.js';
import { openDatabase } from '../../src/data/db.js';
import { upsertLead } from '../../src/data/leads.js';
import { workflowIds } from '../../src/workflows/api.js';
import { sequenceWorkflow } from '../../src/workflows/sequence.js';
import { startTimeSkippingEnv } from '../../src/temporal/index.js';
import { startMailCatcher, type MailCatcher } from './support/mail-catcher.js';
import { sequenceRule, step, template } from './support/rules.js';

let testEnv: TestWorkflowEnvironment;
let mail: MailCatcher;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-worker-cmd-'));
const dbPath = path.join(dir, 'salesflow.db');
const saved = { ...process.env };

beforeAll(async () => {
  [testEnv, mail] = await Promise.all([startTimeSkippingEnv(), startMailCatcher()]);
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([testEnv?.teardown(), mail?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

function captureStderr() {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return { text: () => lines.join(''), restore: () => spy.mockRestore() };
}

test('a missing SMTP_URL or secret is a clear message and exit code 1', async () => {
  process.env = { ...saved, SALESFLOW_SECRET: 'worker-cmd-secret-0123456789', DATABASE_URL: dbPath };
  delete process.env.SMTP_URL;
  let err = captureStderr();
  expect(await run([])).toBe(1);
  err.restore();
  expect(err.text()).toMatch(/SMTP_URL must be set/);

  process.env = { ...saved, SMTP_URL: mail.url, PORT: 'eighty' };
  err = captureStderr();
  expect(await run([])).toBe(1);
  err.restore();
  expect(err.text()).toMatch(/PORT/);
});

test('runs workflows from its task queue and stops on SIGTERM with exit code 0', async () => {
  const address = testEnv.connection.options.address;
  process.env = {
    ...saved,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: 'worker-command',
    SMTP_URL: mail.url,
    DATABASE_URL: dbPath,
    PUBLIC_URL: 'http://salesflow.test',
    SALESFLOW_SECRET: 'worker-cmd-secret-0123456789',
  };
  const db = await openDatabase(dbPath);
  const lead = { id: 'l1', name: 'Lin', email: 'lin@prospect.example', company: null, source: 'webinar', stage: null, owner: null, timezone: null, score: null };
  await upsertLead(db, lead);
  await db.close();

  const exit = run([]);
  const rule = sequenceRule({ id: 'cmd-seq', templates: [template('hello', 'Hello {{lead.name}}', 'Hi.')], steps: [step.wait(1, 'days'), step.send('hello')] });
  const result = await testEnv.client.workflow.execute(sequenceWorkflow, {
    taskQueue: 'worker-command', workflowId: workflowIds.sequence(rule.id, 'lead', lead.id), args: [{ rule, subject: { kind: 'lead', lead } }],
  });
  expect(result.outcome).toBe('completed');
  expect(mail.to('lin@prospect.example').map((m) => m.subject)).toEqual(['Hello Lin']);

  process.emit('SIGTERM', 'SIGTERM');
  expect(await exit).toBe(0);
});
