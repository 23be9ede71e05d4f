// What `salesflow worker` prints while a part is down (docs/operations.md "Logs"): the built worker
// against a real Temporal dev server, its SMTP relay a port nothing listens on. Each failed send
// attempt was the SDK's "Activity failed" with a task token and a 30-line stack, every few seconds
// for as long as the relay was down; it is one line naming the activity, the run, the attempt and
// the relay's error. An error that is a bug keeps its stack.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { LogEntry } from '@temporalio/worker';
import { activityFailureLine } from '../../src/runtime/worker-log.js';
import { type DevServerProcess, freePort, spawnDevServer } from '../../src/temporal/index.js';
import { stopProcess } from '../support/processes.js';
import { eventually } from './support/eventually.js';

const root = path.join(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'salesflow.js');
let server: DevServerProcess;
let work: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: 'worker-log-test',
    DATABASE_URL: path.join(work, 'salesflow.db'),
    SALESFLOW_SECRET: 'worker-log-secret-0123456789',
    ...extra,
  };
}

function salesflow(args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env: env() });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')), 'run `npm run build` first').toBe(true);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-worker-log-'));
  fs.mkdirSync(path.join(work, 'rules', 'templates'), { recursive: true });
  fs.writeFileSync(path.join(work, 'rules', 'hello.rules'), 'sequence "Hello" {\n  on lead.created\n  send "hello" to lead\n}\n');
  fs.writeFileSync(path.join(work, 'rules', 'templates', 'hello.md'), '---\nsubject: Hello {{lead.name}}\n---\nHi {{lead.name}}\n');
  fs.writeFileSync(path.join(work, 'e.json'), JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L1', email: 'lee@example.com', name: 'Lee' } }));
  server = await spawnDevServer({ dbFile: null });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('an SMTP relay that is down: each failed send attempt is one line naming the run, the attempt and the relay error', async () => {
  expect(salesflow(['apply']).code).toBe(0);
  const relay = await freePort(); // nothing listens there
  const worker = spawn(process.execPath, [bin, 'worker'], { cwd: work, env: env({ SMTP_URL: `smtp://127.0.0.1:${relay}` }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  worker.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  try {
    const sent = salesflow(['events', 'send', 'e.json']);
    expect(sent.code, sent.stderr).toBe(0);
    await eventually(async () => expect(stderr).toContain('failed on attempt 2'), 60_000);
  } finally {
    await stopProcess(worker);
  }
  const failures = stderr.split('\n').filter((line) => line.includes('sendToCurrentRecipient'));
  expect(failures.length).toBeGreaterThanOrEqual(2);
  expect(failures[0]).toMatch(new RegExp(
    `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\[WARN\\] activity sendToCurrentRecipient of workflow seq:hello:lead:L1 failed on attempt 1 ` +
      `\\(Temporal retries it as its retry policy says\\): RelayDeferral: connect ECONNREFUSED 127\\.0\\.0\\.1:${relay}$`));
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('taskToken');
}, 120_000);

// Was: the SDK's native core wrote each retried poll straight to stderr, with terminal colour codes
// and a Rust debug dump, from every poller on every retry (about 15 lines a second). Last in this
// file: it stops the Temporal server the others use.
test('Temporal down under a running worker: one plain line saying so, not repeated within the minute', async () => {
  const worker = spawn(process.execPath, [bin, 'worker'], { cwd: work, env: env({ SMTP_URL: 'smtp://127.0.0.1:1' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  worker.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  worker.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  try {
    await eventually(async () => expect(stdout).toContain('salesflow worker: polling task queue'), 60_000);
    await server.kill();
    await eventually(async () => expect(stderr).toContain('[WARN] Temporal: gRPC call'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  } finally {
    await stopProcess(worker);
  }
  expect(stderr).not.toContain('\u001b[');
  const temporal = stderr.split('\n').filter((line) => line.includes('Temporal: '));
  expect(temporal[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[WARN\] Temporal: gRPC call \w+ retried \d+ times: Unavailable: tcp connect error$/);
  // Each warning once (the pollers' retries are one warning; a completion the server could not
  // take while down is another), not once per poller and retry.
  const said = temporal.map((line) => line.replace(/^\S+ /, '').replace(/\d+ times/, 'N times').replace(/poll_\w+_task_queue/, 'poll'));
  expect(new Set(said).size, stderr).toBe(said.length);
  expect(said.filter((line) => line.includes('gRPC call poll retried')), stderr).toHaveLength(1);
  for (const line of stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[(INFO|WARN)\] /);
}, 120_000);

test('an error that is a bug in salesflow keeps its stack under the line', () => {
  const error = new TypeError("Cannot read properties of undefined (reading 'email')");
  const line = activityFailureLine({
    level: 'WARN', message: 'Activity failed', timestampNanos: 1_767_225_600_000_000_000n,
    meta: { activityType: 'prepareStatement', workflowId: 'payout:x', attempt: 3, taskToken: 'abc', error },
  } as LogEntry);
  expect(line).toMatch(/^2026-01-01T00:00:00\.000Z \[WARN\] activity prepareStatement of workflow payout:x failed on attempt 3 \(Temporal retries it as its retry policy says\): TypeError: Cannot read properties of undefined \(reading 'email'\)\n\s+at /);
  expect(line).not.toContain('abc');
});
