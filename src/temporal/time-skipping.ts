// The Java time-skipping test server: timers of days or months fire in milliseconds of wall time,
// as long as the test is awaiting a workflow result or `testEnv.sleep()`.
import type { ClientOptionsForTestEnv } from '@temporalio/testing';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type BinaryEnv, ensureTestServerExecutable } from './binaries.js';

export interface TimeSkippingOptions {
  port?: number;
  client?: ClientOptionsForTestEnv;
  env?: BinaryEnv;
}

/** Call `teardown()` on the result when done (in `afterAll`). */
export async function startTimeSkippingEnv(options: TimeSkippingOptions = {}): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: await ensureTestServerExecutable(options.env), port: options.port },
    client: options.client,
  });
}
