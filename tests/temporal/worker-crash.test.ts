import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { waitForHistory } from './fixtures/history.js';
import { approved, type approvedPayout } from './fixtures/workflows.js';
import { stopProcess } from '../support/processes.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

Runtime.install({ logger: new DefaultLogger('WARN') });

let dir: string;
let server: DevServerProcess;
let testEnv: TestWorkflowEnvironment;
let bundlePath: string;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-worker-crash-'));
  const [started, bundle] = await Promise.all([
    spawnDevServer(),
    bundleWorkflowCode({ workflowsPath: path.join(fixtures, 'workflows.ts'), logger: new DefaultLogger('WARN') }),
  ]);
  server = started;
  bundlePath = path.join(dir, 'workflows.bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => stopProcess(w)));
  await testEnv?.teardown();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a worker killed mid-workflow and restarted finishes it without re-running a completed activity', async () => {
  const taskQueue = 'worker-crash-payouts';
  const ledgerFile = path.join(dir, 'ledger.jsonl');
  const env = { TEMPORAL_ADDRESS: server.address, TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE: bundlePath, LEDGER_FILE: ledgerFile };

  const firstWorker = await startWorker(env);
  const handle = await testEnv.client.workflow.start<typeof approvedPayout>('approvedPayout', {
    taskQueue,
    workflowId: 'payout-q1-ada',
  });
  // The statement activity is done and the workflow now waits for approval.
  await waitForHistory(handle, (events) => {
    const completed = events.findIndex((e) => e.activityTaskCompletedEventAttributes);
    return completed >= 0 && events.slice(completed).some((e) => e.workflowTaskCompletedEventAttributes);
  });

  firstWorker.kill('SIGKILL');
  await new Promise((resolve) => firstWorker.once('exit', resolve));

  const secondWorker = await startWorker(env);
  await handle.signal(approved);
  const [statement, payout] = await handle.result();

  expect(statement).toBe(`statement@${firstWorker.pid}`);
  expect(payout).toBe(`payout@${secondWorker.pid}`);
  const ledger = fs.readFileSync(ledgerFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line).entry);
  expect(ledger.filter((e) => e === 'statement')).toHaveLength(1);
  expect(ledger.filter((e) => e === 'payout')).toHaveLength(1);
});

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(fixtures, 'worker.mjs')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

