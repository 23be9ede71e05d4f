// The README's "Demo: what to click", run for real: `salesflow dev` (embedded Temporal dev server,
// worker, mail catcher, demo data, HTTP server) driven by a headless chromium. A signed event starts
// the webinar sequence (its first email may wait for the end of quiet hours in the lead's zone, so
// the unsubscribe click is in approval.test.ts); `payouts run` starts the Q3 statements (the demo deals close in
// Q3 and Q4), a manager approves one from the email, the ledger shows it.
// Saves test-artifacts/dev-overview.png and dev-outbox.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportLedger } from '../../src/data/ledger.js';
import { listOutbox } from '../../src/data/outbox.js';
import { listStatements } from '../../src/data/statements.js';
import { parsePeriod } from '../../src/payouts/period.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { type RunningDev, runDev } from '../../src/runtime/dev.js';
import { startPayouts } from '../../src/runtime/payouts-run.js';
import { loadPlan } from '../../src/runtime/session.js';
import { signBody } from '../../src/server/signature.js';
import { freePort } from '../../src/temporal/index.js';

const ARTIFACTS = path.resolve('test-artifacts');
let varDir: string;
let stop: () => void;
let exited: Promise<number>;
let dev: RunningDev;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-demo-'));
  const [httpPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const { SMTP_URL: _smtp, DATABASE_URL: _db, SALESFLOW_SECRET: _secret, PORT: _port, ...env } = process.env;
  const until = new Promise<void>((resolve) => (stop = resolve));
  const ready = new Promise<RunningDev>((resolve) => {
    exited = runDev({ paths: ['rules/'], varDir, httpPort, temporalPort, uiPort, env, until, onReady: resolve });
  });
  dev = await Promise.race([ready, exited.then((code) => Promise.reject(new Error(`salesflow dev exited with ${code}`)))]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(15_000);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  stop?.();
  await exited;
  fs.rmSync(varDir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it('a signed webinar event starts the webinar sequence for that lead', async () => {
  const body = JSON.stringify({
    id: 'evt-demo-1', type: 'lead.created', occurred_at: new Date().toISOString(),
    lead: { id: 'L-2001', name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines', source: 'webinar', owner: 'r-jonas', timezone: 'Europe/London', score: 64 },
  });
  const res = await fetch(`${dev.httpUrl}/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Signature': signBody(body, dev.secret) }, body,
  });
  expect(res.status).toBe(202);
  // The first email waits while it is quiet hours (20:00-08:00) in the lead's zone.
  expect(((await res.json()) as { routed: { started: string[] } }).routed.started).toEqual(['seq:webinar-follow-up:lead:L-2001']);
});

it('payouts run, then the manager approves from the outbox and the ledger shows the payout', async () => {
  const plan = await loadPlan(['rules/']);
  if (!plan.ok) throw new Error(plan.message);
  const rule = plan.value.rules.find((r): r is IncentiveRule => r.kind === 'incentive' && r.name === 'AE commission FY26')!;
  const period = parsePeriod('2026-Q3');
  if (!period.ok) throw new Error(period.message);
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: dev.temporalAddress });
  try {
    const client = new Client({ connection, namespace: dev.config.temporal.namespace });
    const runs = await startPayouts({ client, db: dev.db, config: dev.config }, [rule], period.period);
    expect(runs.length).toBeGreaterThan(0);
  } finally {
    await connection.close();
  }
  await waitFor('a pending approval', async () => (await listStatements(dev.db)).some((s) => s.status === 'pending'));
  await waitFor('an approval email', async () => (await listOutbox(dev.db)).find((r) => r.status === 'sent' && r.text.includes('/approvals/')));

  await page.goto(`${dev.httpUrl}/`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dev-overview.png'), fullPage: true });
  await page.getByRole('link', { name: 'approval email' }).first().click();
  await page.locator('table a[href^="/outbox/"]').first().click();
  await page.getByRole('link', { name: /\/approvals\// }).first().click();
  await page.getByRole('heading', { name: 'Your approval is needed' }).waitFor();
  await page.getByRole('button', { name: 'Approve payout' }).click();
  await page.getByRole('heading', { name: 'Payout approved' }).waitFor();

  await waitFor('the ledger row', async () => (await exportLedger(dev.db)).length === 1);
  await page.goto(`${dev.httpUrl}/`);
  await page.getByRole('heading', { name: 'Payout ledger (1)' }).waitFor();
});
