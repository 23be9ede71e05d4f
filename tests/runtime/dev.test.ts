import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, expect, test } from 'vitest';
import { listCaughtMail } from '../../src/runtime/mail-catcher.js';
import { runDev, type RunningDev } from '../../src/runtime/dev.js';
import { freePort } from '../../src/temporal/index.js';
import { scalar, sql } from '../../src/data/db.js';

const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-dev-test-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  fs.rmSync(varDir, { recursive: true, force: true });
});

/** Runs `salesflow dev` in this process until `body` is done, capturing what it prints. */
async function withDev(body: (dev: RunningDev) => Promise<void>): Promise<{ code: number; output: string }> {
  const ports = { httpPort: await freePort(), temporalPort: await freePort(), uiPort: await freePort() };
  let output = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  let failure: unknown;
  try {
    const code = await runDev({
      paths: ['rules/'], varDir, env, ...ports, until,
      onReady: (dev) => {
        body(dev).catch((err) => (failure = err)).finally(release);
      },
    });
    if (failure) throw failure;
    return { code, output };
  } finally {
    process.stdout.write = write;
  }
}

const clients: Connection[] = [];
async function temporalClient(dev: RunningDev): Promise<Client> {
  const connection = await Connection.connect({ address: dev.temporalAddress });
  clients.push(connection);
  return new Client({ connection });
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForAsync<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('salesflow dev: demo data, schedules applied, a signed event becomes a caught email; a restart keeps it all', async () => {
  let secret = '';
  let workflowId = '';
  const first = await withDev(async (dev) => {
    secret = dev.secret;
    expect(dev.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reps = await scalar(dev.db, sql`SELECT count(*) FROM reps`) as number;
    expect(reps).toBeGreaterThanOrEqual(8);

    // The sample event the instructions point at, sent as a CRM would.
    const body = fs.readFileSync(path.join(varDir, 'dev-event.json'), 'utf8');
    const signature = `sha256=${createHmac('sha256', dev.secret).update(body).digest('hex')}`;
    const response = await fetch(`${dev.httpUrl}/events`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'x-salesflow-signature': signature },
    });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { routed: { started: string[] } };
    expect(accepted.routed.started).toHaveLength(1);
    workflowId = accepted.routed.started[0];
    const email = (JSON.parse(body) as { lead: { email: string } }).lead.email;
    const mail = await waitFor(async () => (await listCaughtMail(dev.db, { to: email }))[0]);
    expect(mail.raw).toContain('List-Unsubscribe');

    const outbox = await fetch(`${dev.httpUrl}/outbox`);
    expect(await outbox.text()).toContain(email);
    // The webinar sequence now waits 2 days before the case study: the outbox lists it as held.
    const held = await waitForAsync(async () => {
      const page = await (await fetch(`${dev.httpUrl}/outbox`)).text();
      return /<tr class="held">[\s\S]*?case-study[\s\S]*?wait 2 days/.test(page) ? page : undefined;
    });
    expect(held).toContain(email);
  });
  expect(first.code).toBe(0);
  expect(first.output).toContain('loaded demo data');
  expect(first.output).toMatch(/Plan: \d+ to add, 0 to change, 0 to remove, 0 unchanged\./);
  expect(first.output).toContain(`SALESFLOW_SECRET=${secret}`);
  expect(first.output).toContain('Temporal UI');
  expect(first.output).toContain('The outbox also lists emails\nthat are held (quiet hours, a wait) with when they will go out and why.');
  // The demo's webinar thanks goes out at once on any day and hour: nothing is announced as held.
  expect(first.output).not.toContain('will be held until');

  const second = await withDev(async (dev) => {
    expect(dev.secret).toBe(secret);
    // The dev server is persisted to var/: the sequence started before the restart still waits.
    const description = await temporalClient(dev).then((c) => c.workflow.getHandle(workflowId).describe());
    expect(description.status.name).toBe('RUNNING');
  });
  expect(second.code).toBe(0);
  expect(second.output).toContain('no demo data loaded');
  expect(second.output).toContain('No changes.');
});
