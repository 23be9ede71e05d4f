// A worker whose Temporal goes away while it starts (a restart or failover between the connection
// and the worker's own namespace check): the SDK's error came after ~20 s of retries without a
// stack, and `salesflow worker` printed "undefined" and exited 2. Against a real dev server killed
// at that moment, the worker is refused as any unreachable Temporal is, naming TEMPORAL_ADDRESS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createWorker, WorkerConfigError } from '../../src/runtime/worker.js';
import { spawnDevServer } from '../../src/temporal/index.js';

test('Temporal lost between connecting and creating the worker: "cannot reach Temporal at … (TEMPORAL_ADDRESS)"', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-worker-lost-'));
  const server = await spawnDevServer({ dbFile: null });
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    await server.kill();
    const config = loadConfig({
      TEMPORAL_ADDRESS: server.address, SALESFLOW_SECRET: 'worker-lost-secret-0123456789',
      SMTP_URL: 'smtp://127.0.0.1:1', DATABASE_URL: path.join(work, 'salesflow.db'),
    });
    const failure = await createWorker(config, { connection, taskQueue: 'worker-lost' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkerConfigError);
    expect((failure as Error).message).toMatch(new RegExp(`^cannot reach Temporal at ${server.address.replace(/\./g, '\\.')} \\(TEMPORAL_ADDRESS\\): tcp connect error\\n`));
  } finally {
    await connection.close().catch(() => undefined);
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 120_000);
