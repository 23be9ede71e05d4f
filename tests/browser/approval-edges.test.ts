// The approval page as approvers really misuse it, in a real browser (Debian chromium, headless)
// against the real payout workflow, worker, mail catcher and HTTP server: a double click, Approve
// after Reject, two tabs deciding at once, links that are forged or expired, a reason with HTML in
// it, and pages opened again and again. Each ends with what the ledger and the emails hold.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { exportLedger } from '../../src/data/ledger.js';
import { listOutbox } from '../../src/data/outbox.js';
import { upsertRep } from '../../src/data/reps.js';
import { getStatement } from '../../src/data/statements.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { signToken } from '../../src/tokens/index.js';
import { payoutStatusQuery, workflowIds, type PayoutInput } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { SECRET } from '../server/harness.js';
import { linkTo, type LoopHarness, startLoop } from '../server/temporal-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PERIOD = '2026-Q1';

const rule: IncentiveRule = specRule({
  id: 'edges',
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

beforeAll(async () => {
  [h, browser] = await Promise.all([
    startLoop('browser-edges', { formatVersion: 1, hash: 'edges', metrics: [], rules: [rule] }, { dev: true }),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** A rep with 160,000 USD won in the period (15,500.00 USD to pay), a payout run for them, and the link their manager got. */
async function payoutFor(id: string): Promise<{ workflowId: string; link: string; manager: string }> {
  const manager = `mgr-${id}@acme.example`;
  await upsertRep(h.db, {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager, timezone: 'Europe/Lisbon', start_date: null,
  });
  await upsertDeal(h.db, {
    id: `${id}-d`, rep: id, name: 'Big one', amount: '160000', currency: 'USD', stage: 'won', product: 'Platform',
    type: 'new', source: null, closed_at: '2026-03-02', contact: null,
  });
  const workflowId = workflowIds.payout(rule.id, id, PERIOD);
  const input: PayoutInput = { rule, repId: id, period: PERIOD };
  await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [input] });
  const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });
  return { workflowId, link: linkTo(email.text, '/approvals'), manager };
}

async function open(link: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.setDefaultTimeout(15_000);
  await page.goto(link);
  return page;
}

const ledgerOf = async (rep: string) => (await exportLedger(h.db)).filter((e) => e.rep === rep);
const finished = (workflowId: string) => h.testEnv.client.workflow.getHandle(workflowId).result();

it('opening and reloading the page decides nothing; a double click on Approve decides once and pays once', async () => {
  const { workflowId, link, manager } = await payoutFor('dbl');
  const page = await open(link);
  await page.getByRole('heading', { name: 'Your approval is needed' }).waitFor();
  for (let i = 0; i < 3; i++) await page.reload();
  await page.getByRole('heading', { name: 'Your approval is needed' }).waitFor();
  const waiting = await h.testEnv.client.workflow.getHandle(workflowId).query(payoutStatusQuery);
  expect(waiting).toMatchObject({ phase: 'awaiting-approval', decision: null });

  await page.getByRole('button', { name: 'Approve payout' }).dblclick();
  await page.getByRole('heading', { name: 'Payout approved' }).waitFor();
  expect(await page.getByText(`Approved by ${manager}`).count()).toBe(1);
  await finished(workflowId);
  expect((await ledgerOf('dbl')).map((e) => [e.amount, e.approvedBy])).toEqual([['15500.00', manager]]);
  // The rep gets their statement once.
  const toRep = (await listOutbox(h.db, { limit: 500 })).filter((r) => r.workflow_id === workflowId && r.to_addr === 'dbl@acme.example');
  expect(toRep).toHaveLength(1);
  await page.close();
});

it('Reject with an HTML reason, then Approve from a tab opened before: the reason shows as text, the approve is refused, nothing is paid', async () => {
  const { workflowId, link } = await payoutFor('rej');
  const page = await open(link);
  const earlier = await open(link);
  await earlier.getByRole('heading', { name: 'Your approval is needed' }).waitFor();
  const reason = 'Deal <b>rej-d</b> is <script>window.pwned=1</script> double counted & "disputed"';
  await page.getByLabel(/Reason/).fill(reason);
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByRole('heading', { name: 'Payout rejected' }).waitFor();
  // Shown as the approver typed it, never run or rendered as markup.
  expect(await page.getByText(`Your reason: “${reason}”`).count()).toBe(1);
  expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
  expect(await page.locator('b', { hasText: 'rej-d' }).count()).toBe(0);

  await earlier.getByRole('button', { name: 'Approve payout' }).click();
  await earlier.getByRole('heading', { name: 'This payout was already rejected' }).waitFor();
  expect(await earlier.getByText('A payout is decided once; this link changed nothing.').count()).toBe(1);
  await earlier.close();
  await finished(workflowId);
  expect(await getStatement(h.db, workflowId)).toMatchObject({ status: 'rejected', reason });
  expect(await ledgerOf('rej')).toEqual([]);

  // The rejection emails carry the reason as text in their HTML too.
  const told = (await listOutbox(h.db, { limit: 500 })).filter((r) => r.workflow_id === workflowId && r.template === 'incentive-rejected');
  expect(told.map((r) => r.to_addr).sort()).toEqual(['mgr-rej@acme.example', 'rej@acme.example']);
  for (const mail of told) {
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
  }
  await page.close();
});

it('Reject in one tab, then Reject with a corrected reason in a tab opened before: the page shows the reason the rep was sent', async () => {
  const { workflowId, link } = await payoutFor('fix');
  const page = await open(link);
  const earlier = await open(link);
  await earlier.getByRole('heading', { name: 'Your approval is needed' }).waitFor();
  await page.getByLabel(/Reason/).fill('Deal fix-d closed in April');
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByRole('heading', { name: 'Payout rejected' }).waitFor();
  // The form left open in the other tab: the approver writes the reason better and presses again.
  await earlier.getByLabel(/Reason/).fill('Deal fix-d closed in March');
  await earlier.getByRole('button', { name: 'Reject' }).click();
  await earlier.getByRole('heading', { name: 'Payout rejected' }).waitFor();
  expect(await earlier.getByText('This decision had already been recorded; submitting again changed nothing.').count()).toBe(1);
  expect(await earlier.getByText('Reason on record: “Deal fix-d closed in April”').count()).toBe(1);
  expect(await earlier.getByText('closed in March').count()).toBe(0);
  await finished(workflowId);
  // Back (the page is not cached): the decision, with the reason that stands.
  await page.goBack();
  await page.getByRole('heading', { name: 'This payout was already rejected' }).waitFor();
  expect(await page.getByText('Reason on record: “Deal fix-d closed in April”').count()).toBe(1);
  const told = (await listOutbox(h.db, { limit: 500 })).filter((r) => r.workflow_id === workflowId && r.template === 'incentive-rejected');
  expect(told.length).toBe(2);
  for (const mail of told) expect(mail.text).toContain('Deal fix-d closed in April');
  await earlier.close();
  await page.close();
});

it('two tabs: Approve in both at once pays once; the later tab says it was already decided or shows the same approval', async () => {
  const { workflowId, link, manager } = await payoutFor('tabs');
  const [a, b] = await Promise.all([open(link), open(link)]);
  await Promise.all([a, b].map((p) => p.getByRole('heading', { name: 'Your approval is needed' }).waitFor()));
  await Promise.all([a, b].map((p) => p.getByRole('button', { name: 'Approve payout' }).click()));
  for (const p of [a, b]) {
    await p.getByRole('heading', { name: /Payout approved|This payout was already approved/ }).waitFor();
    expect(await p.getByText(`by ${manager}`).count()).toBeGreaterThan(0);
  }
  await finished(workflowId);
  expect(await ledgerOf('tabs')).toHaveLength(1);
  await Promise.all([a.close(), b.close()]);
});

it('two tabs: Reject in one and Approve in the other at once: one decision wins, the other tab says so, the ledger agrees', async () => {
  const { workflowId, link } = await payoutFor('race');
  const [a, b] = await Promise.all([open(link), open(link)]);
  await Promise.all([a, b].map((p) => p.getByRole('heading', { name: 'Your approval is needed' }).waitFor()));
  await Promise.all([a.getByRole('button', { name: 'Reject' }).click(), b.getByRole('button', { name: 'Approve payout' }).click()]);
  const headings = await Promise.all([a, b].map(async (p) => {
    const h1 = p.getByRole('heading', { level: 1, name: /Payout approved|Payout rejected|This payout was already (approved|rejected)/ });
    await h1.first().waitFor();
    return h1.first().textContent();
  }));
  const result = (await finished(workflowId)) as { phase: 'approved' | 'rejected' };
  // The winner's tab names the outcome; the loser's says it was already decided that way.
  expect(headings.sort()).toEqual(
    [`Payout ${result.phase}`, `This payout was already ${result.phase}`].sort(),
  );
  expect(await ledgerOf('race')).toHaveLength(result.phase === 'approved' ? 1 : 0);
  await Promise.all([a.close(), b.close()]);
});

it('a forged, an expired and a mangled link each show a clear page, with nothing to press, and change nothing', async () => {
  const { workflowId, manager } = await payoutFor('bad');
  const claims = { purpose: 'approval' as const, workflowId, approver: manager, round: 0 };
  const forged = signToken({ ...claims, exp: Date.now() + 3600_000 }, 'an-attackers-own-secret-123');
  const expired = signToken({ ...claims, exp: Date.now() - 60_000 }, SECRET);
  const cases = [
    [forged, 'This link is not valid'],
    [expired, 'This link has expired'],
    ['not-a-token', 'This link is not valid'],
    [`${expired}x`, 'This link is not valid'],
  ] as const;
  for (const [token, heading] of cases) {
    const page = await open(`${h.url}/approvals/${token}`);
    await page.getByRole('heading', { name: heading }).first().waitFor();
    expect(await page.getByRole('button').count()).toBe(0);
    expect(await page.getByText('Nothing was changed').count()).toBeGreaterThan(0);
    await page.close();
  }
  const status = await h.testEnv.client.workflow.getHandle(workflowId).query(payoutStatusQuery);
  expect(status).toMatchObject({ phase: 'awaiting-approval', decision: null });
  expect(await ledgerOf('bad')).toEqual([]);
});

it('a reason as long as the box allows, written in Japanese, is taken with the rejection and reaches the rep', async () => {
  const { workflowId, link } = await payoutFor('long');
  const page = await open(link);
  // 2,000 characters, the box's limit: three UTF-8 bytes each, nine once form-encoded.
  const reason = '取引の金額が二重に計上されています。'.repeat(200).slice(0, 2000);
  await page.getByLabel(/Reason/).fill(reason);
  expect((await page.getByLabel(/Reason/).inputValue()).length).toBe(2000);
  await page.getByRole('button', { name: 'Reject' }).click();
  await page.getByRole('heading', { name: 'Payout rejected' }).waitFor();
  await finished(workflowId);
  expect(await getStatement(h.db, workflowId)).toMatchObject({ status: 'rejected', reason });
  const told = (await listOutbox(h.db, { limit: 500 })).filter((r) => r.workflow_id === workflowId && r.template === 'incentive-rejected');
  expect(told.map((r) => r.to_addr).sort()).toEqual(['long@acme.example', 'mgr-long@acme.example']);
  expect(told[0].text).toContain(reason);
  await page.close();
});

it('a rep nobody can be asked about, under `otherwise approve`: the dev overview says no email went out and when it pays without approval', async () => {
  await upsertRep(h.db, {
    id: 'lone', name: 'Lone Wolf', email: 'lone@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: null, timezone: 'Europe/Lisbon', start_date: null,
  });
  await upsertDeal(h.db, {
    id: 'lone-d', rep: 'lone', name: 'Big one', amount: '160000', currency: 'USD', stage: 'won', product: 'Platform',
    type: 'new', source: null, closed_at: '2026-03-02', contact: null,
  });
  const lenient: IncentiveRule = { ...rule, id: 'edges-lenient', approval: { ...rule.approval!, otherwise: 'approve' } };
  const workflowId = workflowIds.payout(lenient.id, 'lone', PERIOD);
  const handle = await h.testEnv.client.workflow.start('payoutWorkflow', {
    workflowId, taskQueue: h.taskQueue, args: [{ rule: lenient, repId: 'lone', period: PERIOD } satisfies PayoutInput],
  });
  for (let i = 0; !(await handle.query(payoutStatusQuery)).nobodyToAsk; i++) {
    if (i > 200) throw new Error('the run never reported nobody to ask');
    await new Promise((r) => setTimeout(r, 50));
  }
  const deadline = (await handle.query(payoutStatusQuery)).deadline!;
  const page = await open(`${h.url}/`);
  const row = page.getByRole('row', { name: /Lone Wolf/ });
  await row.waitFor();
  expect(await row.textContent()).toContain(
    `Nobody to ask (rep.manager is empty): no approval email was sent; paid without approval at ${deadline.slice(0, 10)} ${deadline.slice(11, 16)} UTC (otherwise approve).`,
  );
  expect(await ledgerOf('lone')).toEqual([]);
  await page.close();
});
