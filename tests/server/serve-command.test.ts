// `salesflow serve` as a user runs it: configuration from the environment, rules from a folder,
// a real Temporal to connect to; it answers HTTP until SIGINT, then shuts down cleanly (exit 0).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/serve.js';
import { signBody } from '../../src/server/signature.js';
import { freePort, startTimeSkippingEnv } from '../../src/temporal/index.js';
import { SECRET } from './harness.js';

let testEnv: TestWorkflowEnvironment;
let dir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  testEnv = await startTimeSkippingEnv();
  dir = mkdtempSync(path.join(tmpdir(), 'salesflow-serve-'));
});
afterEach(() => {
  process.env = { ...savedEnv };
  vi.restoreAllMocks();
});
afterAll(async () => {
  await testEnv?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function captureStderr(): () => string {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  return () => text;
}

it('serves the webhook with the repository rules and stops on SIGINT with exit 0', async () => {
  const port = await freePort();
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: testEnv.address,
    PORT: String(port),
    SALESFLOW_SECRET: SECRET,
    DATABASE_URL: path.join(dir, 'serve.db'),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const exit = run(['rules/']);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 200) throw new Error('salesflow serve did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
  const body = JSON.stringify({
    id: 'evt-serve-1', type: 'deal.updated', occurred_at: '2026-03-01T10:00:00Z',
    deal: { id: 'D-1', rep: 'rep-1', amount: '1000', currency: 'USD', stage: 'open' },
  });
  const res = await fetch(`${url}/events`, { method: 'POST', headers: { 'X-Salesflow-Signature': signBody(body, SECRET) }, body });
  expect(res.status).toBe(202);
  process.emit('SIGINT');
  await expect(exit).resolves.toBe(0);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});

it('refuses to start without SALESFLOW_SECRET, saying why', async () => {
  delete process.env.SALESFLOW_SECRET;
  process.env.DATABASE_URL = path.join(dir, 'nosecret.db');
  const stderr = captureStderr();
  await expect(run(['rules/'])).resolves.toBe(1);
  expect(stderr()).toMatch(/SALESFLOW_SECRET is not set/);
});

it('refuses a bad PORT with a message naming the variable', async () => {
  Object.assign(process.env, { PORT: 'eighty', SALESFLOW_SECRET: SECRET });
  const stderr = captureStderr();
  await expect(run([])).resolves.toBe(1);
  expect(stderr()).toMatch(/PORT/);
});
