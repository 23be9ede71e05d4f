import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { waitForHistory } from './fixtures/history.js';
import type { followUpReminder } from './fixtures/workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));

Runtime.install({ logger: new DefaultLogger('WARN') });

let dir: string;
let workflowBundle: WorkflowBundle;
const servers: DevServerProcess[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-dev-restart-'));
  workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a workflow on the file-backed dev server survives the server being killed mid-timer and restarted', async () => {
  const dbFile = path.join(dir, 'temporal.db');
  const taskQueue = 'dev-restart-reminders';
  const workflowId = 'follow-up-ada';

  const first = await startServer(dbFile);
  let testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address: first.address });
  let worker = await Worker.create({ connection: testEnv.nativeConnection, taskQueue, workflowBundle });
  const firstRun = worker.run();
  const started = await testEnv.client.workflow.start<typeof followUpReminder>('followUpReminder', {
    taskQueue,
    workflowId,
    args: ['Ada', 6_000],
  });
  await waitForHistory(started, (events) => events.some((e) => e.timerStartedEventAttributes));

  worker.shutdown();
  await firstRun;
  await testEnv.teardown();
  await first.kill(); // SIGKILL, as the SDK's own teardown does: no chance to flush anything
  expect(fs.existsSync(dbFile)).toBe(true);

  const second = await startServer(dbFile);
  testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address: second.address });
  try {
    worker = await Worker.create({ connection: testEnv.nativeConnection, taskQueue, workflowBundle });
    const handle = testEnv.client.workflow.getHandle(workflowId);
    const result = await worker.runUntil(handle.result());

    expect(result).toBe('follow up with Ada');
    const description = await handle.describe();
    expect(description.runId).toBe(started.firstExecutionRunId);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.timerFiredEventAttributes)).toHaveLength(1);
  } finally {
    await testEnv.teardown();
  }
});

async function startServer(dbFile: string): Promise<DevServerProcess> {
  const server = await spawnDevServer({ dbFile });
  servers.push(server);
  return server;
}
