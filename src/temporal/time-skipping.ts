// The Java time-skipping test server: timers of days or months fire in milliseconds of wall time,
// as long as the test is awaiting a workflow result or `testEnv.sleep()`.
import type { ClientOptionsForTestEnv } from '@temporalio/testing';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type BinaryEnv, ensureTestServerExecutable } from './binaries.js';
import { freePort } from './ports.js';

export interface TimeSkippingOptions {
  port?: number;
  client?: ClientOptionsForTestEnv;
  env?: BinaryEnv;
}

/** Call `teardown()` on the result when done (in `afterAll`). */
export async function startTimeSkippingEnv(options: TimeSkippingOptions = {}): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    // Our own pick, below the kernel's ephemeral range: the SDK's would be in it, where every dev
    // server started by a parallel test file binds its internal services on ports of its own.
    server: { executable: await ensureTestServerExecutable(options.env), port: options.port ?? (await freePort()) },
    client: options.client,
  });
}
