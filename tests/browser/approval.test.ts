// The demo loop in a real browser (Debian chromium, headless): open the approval email in the dev
// outbox, follow its link, read the statement, press Approve, see the result, and find the payout in
// the ledger on the overview page; and unsubscribe from a sequence email by its link. Saves
// test-artifacts/approval.png (the approval page), approved.png, outbox-email.png, unsubscribed.png.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { exportLedger } from '../../src/data/ledger.js';
import { upsertRep } from '../../src/data/reps.js';
import { isSuppressed } from '../../src/data/suppressions.js';
import type { IncentiveRule, SequenceRule } from '../../src/plan/schema.js';
import { signBody } from '../../src/server/signature.js';
import { workflowIds, type PayoutInput } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { SECRET } from '../server/harness.js';
import { sequenceRule, step, template } from '../workflows/support/rules.js';
import { type LoopHarness, startLoop } from '../server/temporal-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');

const rule: IncentiveRule = specRule({
  approval: {
    approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
    within: { amount: '5', unit: 'days' },
    escalations: [],
    otherwise: 'reject',
  },
});

// No quiet hours, so the first email goes out whatever the time of the test run.
const webinar: SequenceRule = sequenceRule({
  id: 'webinar-follow-up',
  templates: [template('webinar-thanks', 'Thanks for joining, {{lead.name}}', 'Hi {{lead.name}}, thanks for joining the webinar.')],
  steps: [step.send('webinar-thanks'), step.wait(2, 'days'), step.send('webinar-thanks')],
});

let h: LoopHarness;
let browser: Browser;

beforeAll(async () => {
  [h, browser] = await Promise.all([
    startLoop('browser', { formatVersion: 1, hash: 'demo', metrics: [], rules: [rule, webinar] }, { dev: true }),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
  await upsertRep(h.db, {
    id: 'rep-ana', name: 'Ana Souza', email: 'ana@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: 'maria@acme.example', timezone: 'Europe/Lisbon', start_date: null,
  });
  const deals = [['d-1', '100000', 'Platform'], ['d-2', '50000', 'Platform'], ['d-3', '10000', 'Analytics'], ['d-4', '8000', 'Analytics']] as const;
  for (const [id, amount, product] of deals) {
    await upsertDeal(h.db, {
      id, rep: 'rep-ana', name: `${product} for ${id}`, amount, currency: 'USD', stage: 'won', product,
      type: 'new', source: null, closed_at: '2026-03-02', contact: null,
    });
  }
  await upsertDeal(h.db, {
    id: 'd-eur', rep: 'rep-ana', name: 'Berlin expansion', amount: '20000', currency: 'EUR', stage: 'won', product: 'Platform',
    type: 'expansion', source: null, closed_at: '2026-03-05', contact: null,
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

it('approves a payout from the outbox by clicking through, and the ledger shows it once', async () => {
  const input: PayoutInput = { rule, repId: 'rep-ana', period: '2026-Q1' };
  const workflowId = workflowIds.payout(rule.id, 'rep-ana', '2026-Q1');
  const handle = await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [input] });
  const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });

  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.setDefaultTimeout(10_000);
  await page.goto(`${h.url}/`);
  await expect(page.getByRole('heading', { name: /Payouts waiting for approval \(1\)/ }).isVisible()).resolves.toBe(true);

  await page.goto(`${h.url}/outbox`);
  await page.getByRole('link', { name: email.subject }).click();
  await page.getByRole('heading', { level: 1, name: email.subject }).waitFor();
  expect(await page.locator('iframe.email').count()).toBe(1);
  await page.screenshot({ path: path.join(ARTIFACTS, 'outbox-email.png'), fullPage: true });
  await page.getByRole('link', { name: /\/approvals\// }).first().click();

  await page.getByRole('heading', { name: 'Your approval is needed' }).waitFor();
  expect(await page.getByTestId('statement-total').textContent()).toBe('17,200.00 USD');
  expect(await page.getByText('left out').count()).toBeGreaterThan(0);
  await page.getByLabel(/Reason/).fill('Great quarter, Ana!');
  await page.screenshot({ path: path.join(ARTIFACTS, 'approval.png'), fullPage: true });
  // Managers approve from their phones: the same page at a phone's width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'approval-mobile.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });

  await page.getByRole('button', { name: 'Approve payout' }).click();
  await page.getByRole('heading', { name: 'Payout approved' }).waitFor();
  expect(await page.getByText('Approved by maria@acme.example').count()).toBe(1);
  await page.screenshot({ path: path.join(ARTIFACTS, 'approved.png'), fullPage: true });

  await handle.result();
  await page.goto(`${h.url}/`);
  const ledger = page.locator('section', { has: page.getByRole('heading', { name: /Payout ledger/ }) });
  expect(await ledger.getByRole('row', { name: /Ana|rep-ana/ }).count()).toBe(1);
  expect(await ledger.getByText('17,200.00 USD').count()).toBe(1);
  expect(await exportLedger(h.db)).toHaveLength(1);
  await page.close();
});

it('unsubscribes from a sequence email in the outbox: confirm page, button, done', async () => {
  const body = JSON.stringify({
    id: 'evt-browser-1', type: 'lead.created', occurred_at: '2026-11-30T10:00:00Z',
    lead: { id: 'L-42', name: 'Grace Hopper', email: 'grace@navy.example', company: 'Navy', source: 'webinar' },
  });
  const res = await fetch(`${h.url}/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Signature': signBody(body, SECRET) }, body,
  });
  expect(res.status).toBe(202);
  const workflowId = workflowIds.sequence(webinar.id, 'lead', 'L-42');
  const email = await h.waitForEmail((r) => r.workflow_id === workflowId, { workflowId });

  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.setDefaultTimeout(10_000);
  await page.goto(`${h.url}/outbox`);
  await page.getByRole('link', { name: email.subject }).click();
  // The link inside the sandboxed email preview, as the recipient would click it.
  await page.frameLocator('iframe.email').getByRole('link', { name: 'Unsubscribe' }).click();
  await page.getByRole('heading', { name: 'Unsubscribe grace@navy.example?' }).waitFor();
  expect(await isSuppressed(h.db, 'grace@navy.example')).toBe(false);
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'unsubscribed.png'), fullPage: true });
  expect(await isSuppressed(h.db, 'grace@navy.example')).toBe(true);
  expect(((await h.testEnv.client.workflow.getHandle(workflowId).result()) as { outcome: string }).outcome).toBe('stopped');
  await page.close();
});
