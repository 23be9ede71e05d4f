// The approval and unsubscribe pages behind a reverse proxy that serves salesflow under a path
// (PUBLIC_URL http://…/salesflow, the proxy strips /salesflow), in a real browser (Debian
// chromium) against the real payout workflow: the pages are styled and their buttons reach
// salesflow. Their forms once posted to /approvals/… from the root, which the proxy does not send
// to salesflow, and the stylesheet was linked from /assets/… the same way.
import http from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { exportLedger } from '../../src/data/ledger.js';
import { upsertRep } from '../../src/data/reps.js';
import { isSuppressed } from '../../src/data/suppressions.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { freePort } from '../../src/temporal/index.js';
import { signToken } from '../../src/tokens/index.js';
import { workflowIds, type PayoutInput } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { SECRET } from '../server/harness.js';
import { linkTo, type LoopHarness, startLoop } from '../server/temporal-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PREFIX = '/salesflow';

const rule: IncentiveRule = specRule({
  id: 'prefixed',
  cap: null,
  approval: {
    approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
    within: { amount: '5', unit: 'days' },
    escalations: [],
    otherwise: 'reject',
  },
});

let h: LoopHarness;
let browser: Browser;
let proxy: http.Server;
/** What reached the proxy outside the prefix (but the browser's own /favicon.ico): requests salesflow never got. */
const strays: string[] = [];

/** Forwards /salesflow/... to the server with the prefix removed, as `proxy_pass http://app/;` does. */
function startPrefixProxy(port: number, target: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith(`${PREFIX}/`)) {
      if (req.url !== '/favicon.ico') strays.push(`${req.method} ${req.url}`);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not salesflow');
      return;
    }
    const upstream = http.request(`${target}${req.url.slice(PREFIX.length)}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  const proxyPort = await freePort();
  [h, browser] = await Promise.all([
    startLoop('browser-prefix', { formatVersion: 1, hash: 'prefixed', metrics: [], rules: [rule] }, { env: { PUBLIC_URL: `http://127.0.0.1:${proxyPort}${PREFIX}` } }),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
  proxy = await startPrefixProxy(proxyPort, h.url);
});

afterAll(async () => {
  await browser?.close();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy ? proxy.close(resolve) : resolve(undefined));
  await h?.close();
});

it('the approval link from the email opens styled behind the proxy, and Approve reaches salesflow and pays once', async () => {
  const manager = 'mgr-px@acme.example';
  await upsertRep(h.db, { id: 'px', name: 'Rep px', email: 'px@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager, timezone: 'Europe/Lisbon', start_date: null });
  await upsertDeal(h.db, { id: 'px-d', rep: 'px', name: 'Big one', amount: '160000', currency: 'USD', stage: 'won', product: 'Platform', type: 'new', source: null, closed_at: '2026-03-02', contact: null });
  const workflowId = workflowIds.payout(rule.id, 'px', '2026-Q1');
  const input: PayoutInput = { rule, repId: 'px', period: '2026-Q1' };
  await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [input] });
  const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });
  const link = linkTo(email.text, `${PREFIX}/approvals`);

  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const refused: string[] = [];
  page.on('console', (m) => { if (m.text().includes('Content Security Policy')) refused.push(m.text()); });
  await page.goto(link);
  await page.getByRole('heading', { name: 'Your approval is needed' }).waitFor();
  // Styled: the brand bar has the stylesheet's ink colour, and the CSP refused nothing.
  expect(await page.evaluate("getComputedStyle(document.querySelector('header.brand')).backgroundColor")).toBe('rgb(27, 31, 36)');
  expect(refused).toEqual([]);

  await page.getByRole('button', { name: 'Approve payout' }).click();
  await page.getByRole('heading', { name: 'Payout approved' }).waitFor();
  await h.testEnv.client.workflow.getHandle(workflowId).result();
  expect((await exportLedger(h.db)).filter((e) => e.rep === 'px').map((e) => [e.amount, e.approvedBy])).toEqual([['15500.00', manager]]);
  expect(strays).toEqual([]);
  await page.close();
});

it('an unsubscribe link behind the proxy: the button reaches salesflow and the address is suppressed', async () => {
  const token = signToken({ purpose: 'unsubscribe', email: 'lead-px@example.com', ruleId: 'webinar-follow-up', exp: Date.now() + 3600_000 }, SECRET);
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${h.config.publicUrl}/unsubscribe/${token}`);
  await page.getByRole('heading', { name: 'Unsubscribe lead-px@example.com?' }).waitFor();
  expect(await isSuppressed(h.db, 'lead-px@example.com')).toBe(false);
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
  expect(await isSuppressed(h.db, 'lead-px@example.com')).toBe(true);
  expect(strays).toEqual([]);
  await page.close();
});
