import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTimeSkippingEnv } from '../../src/temporal/index.js';
import type { quarterEndReview } from './fixtures/workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url));
const DAY_MS = 24 * 60 * 60 * 1000;

Runtime.install({ logger: new DefaultLogger('WARN') });

let testEnv: TestWorkflowEnvironment;

beforeAll(async () => {
  testEnv = await startTimeSkippingEnv();
});

afterAll(async () => {
  await testEnv?.teardown();
});

test('a 30-day wait completes in seconds of wall time on the time-skipping server', async () => {
  const taskQueue = 'time-skipping-review';
  const worker = await Worker.create({ connection: testEnv.nativeConnection, taskQueue, workflowsPath });

  const wallStart = Date.now();
  const times = await worker.runUntil(
    testEnv.client.workflow.execute<typeof quarterEndReview>('quarterEndReview', {
      taskQueue,
      workflowId: 'quarter-end-review',
    }),
  );
  const wallMs = Date.now() - wallStart;

  expect(times.reviewedAt - times.startedAt).toBeGreaterThanOrEqual(30 * DAY_MS);
  expect(wallMs).toBeLessThan(60_000);
});
