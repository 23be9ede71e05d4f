// The approval pages against the real payout workflow on the time-skipping server: the link comes
// from the email the worker really sent; GET never decides; POST decides once; every unusable link
// gets its own status and changes nothing.
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLedger } from '../../src/data/ledger.js';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { decideStatement, getStatement, recordStatement } from '../../src/data/statements.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { signToken } from '../../src/tokens/index.js';
import { payoutStatusQuery, workflowIds, type PayoutInput, type PayoutResult } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { SECRET } from './harness.js';
import { linkTo, type LoopHarness, startLoop } from './temporal-harness.js';

const rule: IncentiveRule = specRule({
  approval: {
    approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
    within: { amount: '5', unit: 'days' },
    escalations: [{ to: { kind: 'address', address: 'vp-sales@acme.example' }, within: { amount: '3', unit: 'days' } }],
    otherwise: 'reject',
  },
});
const PERIOD = '2026-Q1';

let h: LoopHarness;
/** How far the server's clock runs ahead of this machine's: set to the workflows' (skipped) time where a test needs links to expire. */
let serverSkew = 0;

beforeAll(async () => {
  h = await startLoop('approvals', { formatVersion: 1, hash: 'test', metrics: [], rules: [rule] }, { clock: () => Date.now() + serverSkew });
  // 160,000 USD of won revenue: 8%·100k + 12%·50k + 15%·10k = 15,500 USD (the SPEC example).
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) await repWithDeals(n, ['100000', '60000']);
});

/** An EMEA AE `rep-N` managed by `mgrN@acme.example`, with won USD deals `d-N-i` of these amounts closed in February. */
async function repWithDeals(n: number, amounts: string[]): Promise<void> {
  await upsertRep(h.db, {
    id: `rep-${n}`, name: `Rep ${n}`, email: `rep${n}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: `mgr${n}@acme.example`, timezone: 'Europe/Berlin', start_date: null,
  });
  for (const [i, amount] of amounts.entries()) {
    await upsertDeal(h.db, {
      id: `d-${n}-${i}`, rep: `rep-${n}`, name: `Deal ${i}`, amount, currency: 'USD', stage: 'won', product: 'Platform',
      type: 'new', source: null, closed_at: '2026-02-1' + i, contact: null,
    });
  }
}
afterAll(async () => {
  await h?.close();
});

async function startPayout(repId: string): Promise<{ handle: WorkflowHandle; link: string }> {
  const input: PayoutInput = { rule, repId, period: PERIOD };
  const workflowId = workflowIds.payout(rule.id, repId, PERIOD);
  const handle = await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [input] });
  const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });
  return { handle, link: linkTo(email.text, '/approvals') };
}

const decide = (link: string, decision: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...headers },
    body: new URLSearchParams({ decision, ...extra }).toString(),
  });

const ledgerRows = async () => (await exportLedger(h.db)).length;

describe('approving a payout from the emailed link', () => {
  let handle: WorkflowHandle;
  let link: string;

  beforeAll(async () => {
    ({ handle, link } = await startPayout('rep-1'));
  });

  it('GET shows the statement with every line and the decision buttons, and decides nothing', async () => {
    expect(link.startsWith(h.url)).toBe(true);
    // A first request has no earlier rejection to tell: no such sentence, and no empty paragraph where it would be.
    const email = await h.waitForEmail((r) => r.workflow_id === handle.workflowId && r.text.includes('/approvals/'));
    expect(email.text).not.toContain('computed again');
    expect(email.text).not.toMatch(/\n\s*\n\s*\n/);
    expect(email.html).not.toMatch(/<p>\s*<\/p>/);
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('Your approval is needed');
    expect(page).toContain('mgr1@acme.example');
    // Silence has a consequence, and the page names it: the first round escalates.
    expect(page).toContain('after that this link stops working and the request goes to the next approver.');
    expect(page).toContain('15,500.00 USD');
    expect(page).toMatch(/8%/);
    expect(page).toMatch(/<button type="submit" name="decision" value="approve"/);
    expect(page).toMatch(/<button type="submit" name="decision" value="reject"/);
    expect(page).toMatch(/<label for="reason">/);
    // A mail scanner fetching (GET, HEAD) the link many times changes nothing.
    for (let i = 0; i < 3; i++) expect((await fetch(link, { method: i % 2 ? 'HEAD' : 'GET' })).status).toBe(200);
    const status = await handle.query(payoutStatusQuery);
    expect(status.phase).toBe('awaiting-approval');
    expect(status.decision).toBeNull();
    expect(await ledgerRows()).toBe(0);
  });

  it('refuses a decision posted from another site (403) and changes nothing', async () => {
    const res = await decide(link, 'approve', {}, { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    const evil = await decide(link, 'approve', {}, { 'sec-fetch-site': '', origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect((await handle.query(payoutStatusQuery)).decision).toBeNull();
  });

  it('a form without a decision is a 400 and changes nothing', async () => {
    expect((await decide(link, 'maybe')).status).toBe(400);
    expect((await handle.query(payoutStatusQuery)).decision).toBeNull();
  });

  it('a malformed form to an undecided link is a 400 naming what is wrong with it', async () => {
    const post = (body: string, headers: Record<string, string>) =>
      fetch(link, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', ...headers }, body });
    const maybe = await decide(link, 'maybe');
    expect(maybe.status).toBe(400);
    expect(await maybe.text()).toContain("The form's <code>decision</code> is “maybe”; it must be <code>approve</code> or <code>reject</code>.");
    const empty = await post('', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('The form has no <code>decision</code> field; it must be <code>approve</code> or <code>reject</code>.');
    const json = await post('{"decision":"approve"}', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(await json.text()).toContain('The body was sent as application/json, not as a form');
    const broken = await post('--x\r\nno headers', { 'content-type': 'multipart/form-data; boundary=x' });
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain('The multipart/form-data body could not be read');
    const gzip = await post('decision=approve', { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' });
    expect(gzip.status).toBe(400);
    expect(await gzip.text()).toContain('Content-Encoding gzip');
    expect((await handle.query(payoutStatusQuery)).decision).toBeNull();
  });

  it('POST approve decides once: the page says so and the ledger has one row', async () => {
    const res = await decide(link, 'approve');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Payout approved');
    expect(page).toContain('Approved by <strong>mgr1@acme.example</strong>');
    const result = (await handle.result()) as { phase: string; ledgerEntryCreated: boolean };
    expect(result.phase).toBe('approved');
    expect(await ledgerRows()).toBe(1);
    expect((await exportLedger(h.db))[0]).toMatchObject({ rep: 'rep-1', period: PERIOD, amount: '15500.00', approvedBy: 'mgr1@acme.example' });
  });

  it('a replayed POST (double click, reload) gets the same result and still one ledger row', async () => {
    const first = await handle.query(payoutStatusQuery);
    for (let i = 0; i < 2; i++) {
      const res = await decide(link, 'approve');
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('Payout approved');
      expect(page).toContain('Approved by <strong>mgr1@acme.example</strong>');
    }
    expect((await handle.query(payoutStatusQuery)).decision).toEqual(first.decision);
    expect(await ledgerRows()).toBe(1);
  });

  it('the used link now shows the decision with 409, and a late reject changes nothing', async () => {
    const get = await fetch(link);
    expect(get.status).toBe(409);
    expect(await get.text()).toContain('This payout was already approved');
    const reject = await decide(link, 'reject', { reason: 'changed my mind' });
    expect(reject.status).toBe(409);
    expect((await handle.query(payoutStatusQuery)).decision?.outcome).toBe('approved');
    expect((await getStatement(h.db, handle.workflowId))?.status).toBe('approved');
    expect(await ledgerRows()).toBe(1);
  });

  it('a malformed form to the decided link says it was already decided, by whom and when, whatever the body', async () => {
    const decidedAt = (await handle.query(payoutStatusQuery)).decision!.decidedAt;
    // In the manager's zone as their deadline was shown: the rule's, UTC in spec-rule.
    const at = `${decidedAt.slice(0, 10)} ${decidedAt.slice(11, 16)} UTC`;
    const bodies: [string, Record<string, string>][] = [
      ['decision=maybe', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['{"decision":"approve"}', { 'content-type': 'application/json' }],
      ['--x\r\nno headers', { 'content-type': 'multipart/form-data; boundary=x' }],
    ];
    for (const [body, headers] of bodies) {
      const res = await fetch(link, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', ...headers }, body });
      expect(res.status).toBe(409);
      const page = await res.text();
      expect(page).toContain('This payout was already approved');
      expect(page).toContain(`Approved by <strong>mgr1@acme.example</strong> at ${at}`);
      expect(page).not.toContain('Choose Approve or Reject');
    }
    expect(await ledgerRows()).toBe(1);
  });
});

describe('links that cannot decide this payout', () => {
  it('a forged or expired link for a pending payout changes nothing (403, 410)', async () => {
    const { handle } = await startPayout('rep-2');
    const claims = { purpose: 'approval' as const, workflowId: handle.workflowId, approver: 'mgr2@acme.example', round: 0 };
    const forged = signToken({ ...claims, exp: Date.now() + 3600_000 }, 'an-attackers-own-secret-123');
    expect((await fetch(`${h.url}/approvals/${forged}`)).status).toBe(403);
    expect((await decide(`${h.url}/approvals/${forged}`, 'approve')).status).toBe(403);
    const expired = signToken({ ...claims, exp: Date.now() - 60_000 }, SECRET);
    const get = await fetch(`${h.url}/approvals/${expired}`);
    expect(get.status).toBe(410);
    expect(await get.text()).toContain('This link has expired');
    expect((await decide(`${h.url}/approvals/${expired}`, 'approve')).status).toBe(410);
    const status = await handle.query(payoutStatusQuery);
    expect(status.phase).toBe('awaiting-approval');
    expect(status.decision).toBeNull();
  });

  it('after escalation the first approver\'s link is superseded (410, names who it went to); the new link decides', async () => {
    const { handle, link } = await startPayout('rep-3');
    expect(await (await fetch(link)).text()).not.toContain('class="escalated"');
    // The manager's five days pass without a decision: the VP gets a new link.
    await h.testEnv.sleep('5 days');
    const escalated = await h.waitForEmail((r) => r.workflow_id === handle.workflowId && r.to_addr === 'vp-sales@acme.example');
    const get = await fetch(link);
    expect(get.status).toBe(410);
    const page = await get.text();
    expect(page).toContain('escalated');
    expect(page).toContain('vp-sales@acme.example');
    expect((await decide(link, 'approve')).status).toBe(410);
    expect((await handle.query(payoutStatusQuery)).decision).toBeNull();

    const vpLink = linkTo(escalated.text, '/approvals');
    // The last round: the VP is told that silence rejects, as the rule's `otherwise reject` says,
    // and why the request is theirs (the manager's page had no such line).
    const vpPage = await (await fetch(vpLink)).text();
    expect(vpPage).toContain(
      'after that this link stops working and <strong>the payout is rejected</strong> (the rule says <code>otherwise reject</code>).',
    );
    expect(vpPage).toContain('<p class="escalated">It was escalated to you: no one decided it within the earlier approval window.</p>');
    const res = await decide(vpLink, 'reject', { reason: 'Deal 1 is <b>double counted</b>' });
    expect(res.status).toBe(200);
    const result = await res.text();
    expect(result).toContain('Payout rejected');
    expect(result).not.toContain('<b>double');
    expect(result).toContain('Your reason: “Deal 1 is &lt;b&gt;double counted&lt;/b&gt;”');
    await handle.result();
    expect(await getStatement(h.db, handle.workflowId)).toMatchObject({ status: 'rejected' });
    expect((await exportLedger(h.db)).filter((e) => e.rep === 'rep-3')).toHaveLength(0);
  });

  it('an escalation to the approver already asked (their manager is the VP): the old link points to the newer email', async () => {
    await upsertRep(h.db, {
      id: 'rep-8', name: 'Rep 8', email: 'rep8@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
      manager: 'vp-sales@acme.example', timezone: 'Europe/Berlin', start_date: null,
    });
    const { handle, link } = await startPayout('rep-8');
    await h.testEnv.sleep('5 days');
    await h.waitForEmail((r) => r.workflow_id === handle.workflowId && r.key.includes(':approval-1:'));
    // The run records who it asked once the email is recorded.
    for (let i = 0; (await handle.query(payoutStatusQuery)).approver === null; i++) {
      if (i > 200) throw new Error('the escalation round never recorded its approver');
      await new Promise((r) => setTimeout(r, 50));
    }
    const get = await fetch(link);
    expect(get.status).toBe(410);
    const page = await get.text();
    expect(page).toContain('asks <strong>vp-sales@acme.example</strong> again. A newer email to you has the link that decides now. This link changed nothing.');
    expect(page).not.toContain('escalated to <strong>vp-sales@acme.example</strong>');
    expect((await handle.query(payoutStatusQuery)).decision).toBeNull();
  });

  it('two clicks at the same moment decide once: both see the approval, one ledger row', async () => {
    const { handle, link } = await startPayout('rep-4');
    const pages = await Promise.all([decide(link, 'approve'), decide(link, 'approve')]);
    for (const res of pages) {
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Payout approved');
    }
    await handle.result();
    expect((await exportLedger(h.db)).filter((e) => e.rep === 'rep-4')).toHaveLength(1);
  });

  it('Reject pressed again with an edited reason shows the reason the rep was sent, not the edited one', async () => {
    await repWithDeals(10, ['50000']);
    const { handle, link } = await startPayout('rep-10');
    const first = await decide(link, 'reject', { reason: 'Deal d-10-0 closed in April' });
    expect(await first.text()).toContain('Your reason: “Deal d-10-0 closed in April”');
    // Back, the reason corrected, Reject again: once while the run is sending its notices, once after it ended.
    for (const when of ['running', 'ended']) {
      if (when === 'ended') await handle.result();
      const again = await decide(link, 'reject', { reason: 'Deal d-10-0 closed in March, not February' });
      expect(again.status).toBe(200);
      const page = await again.text();
      expect(page, when).not.toContain('closed in March');
      expect(page, when).toContain('This decision had already been recorded; submitting again changed nothing.');
      expect(page, when).toContain('Reason on record: “Deal d-10-0 closed in April”');
    }
    const notice = await h.waitForEmail((r) => r.workflow_id === handle.workflowId && r.to_addr === 'rep10@acme.example');
    expect(notice.text).toContain('Deal d-10-0 closed in April');
    // Opening the link later shows the decision with the reason that stands.
    const get = await fetch(link);
    expect(get.status).toBe(409);
    expect(await get.text()).toContain('Reason on record: “Deal d-10-0 closed in April”');
    expect((await getStatement(h.db, handle.workflowId))?.reason).toBe('Deal d-10-0 closed in April');
  });

  it('a payout whose run was terminated before a decision: the link says it cannot be decided (410), with no buttons, not "try again shortly"', async () => {
    await repWithDeals(11, ['50000']);
    const { handle, link } = await startPayout('rep-11');
    // An operator ends the run in Temporal (a cleanup, a stuck deploy): it still answers queries with "awaiting approval".
    await handle.terminate('ops cleanup');
    const get = await fetch(link);
    expect(get.status).toBe(410);
    const page = await get.text();
    expect(page).toContain('This payout can no longer be decided here');
    expect(page).not.toContain('name="decision"');
    const post = await decide(link, 'approve');
    expect(post.status).toBe(410);
    expect(await post.text()).toContain('This payout can no longer be decided here');
    expect((await getStatement(h.db, handle.workflowId))?.status).toBe('pending');
    expect((await exportLedger(h.db)).filter((e) => e.rep === 'rep-11')).toHaveLength(0);
    // `payouts run` started the next attempt, which recorded its statement: the old link now says a
    // newer email has the link that decides. (No run is started here: on the time-skipping server a
    // run no worker polls would hold the clock of the tests after this one.)
    await recordStatement(h.db, `${handle.workflowId}:attempt-2`, (await getStatement(h.db, handle.workflowId))!.statement, 'pending');
    for (const response of [await fetch(link), await decide(link, 'approve')]) {
      expect(response.status).toBe(410);
      expect(await response.text()).toContain('a newer email has the link that decides it now. This link changed nothing.');
    }
  });

  it('when no one decides in time, the rule\'s otherwise decides, and the old link says so (409)', async () => {
    const { handle, link } = await startPayout('rep-5');
    await h.testEnv.sleep('5 days');
    await h.waitForEmail((r) => r.workflow_id === handle.workflowId && r.to_addr === 'vp-sales@acme.example');
    await h.testEnv.sleep('3 days');
    expect(((await handle.result()) as { phase: string }).phase).toBe('rejected');
    const get = await fetch(link);
    expect(get.status).toBe(409);
    const page = await get.text();
    expect(page).toContain('This payout was already rejected');
    expect(page).toContain('<strong>otherwise</strong> step, as no one decided in time');
    expect((await decide(link, 'approve')).status).toBe(409);
    expect((await exportLedger(h.db)).filter((e) => e.rep === 'rep-5')).toHaveLength(0);
  });

  it('a link to a decided payout whose run Temporal no longer keeps (past its retention) still shows the decision (409), not "no longer exists"', async () => {
    // What the payout run recorded before Temporal dropped its history: the statement, then the decision.
    const workflowId = workflowIds.payout(rule.id, 'rep-gone', PERIOD);
    const statement = { rule: rule.name, ruleId: rule.id, ruleVersion: rule.version, rep: 'rep-gone', repName: 'Rep Gone', period: PERIOD, currency: 'USD', measure: '160000.00', target: '100000.00', attainment: '160', lines: [], capped: false, total: '15500.00', rewards: [], warnings: [] };
    await recordStatement(h.db, workflowId, statement as never, 'pending');
    await decideStatement(h.db, workflowId, { status: 'approved', by: 'mgr-gone@acme.example' }, '2026-04-03T10:00:00.000Z');
    const token = signToken({ purpose: 'approval', workflowId, approver: 'mgr-gone@acme.example', round: 0, exp: Date.now() + 3600_000 }, SECRET);
    const get = await fetch(`${h.url}/approvals/${token}`);
    expect(get.status).toBe(409);
    const page = await get.text();
    expect(page).toContain('This payout was already approved');
    expect(page).toContain('Approved by <strong>mgr-gone@acme.example</strong>');
    const again = await decide(`${h.url}/approvals/${token}`, 'reject');
    expect(again.status).toBe(409);
    expect(await getStatement(h.db, workflowId)).toMatchObject({ status: 'approved', decidedBy: 'mgr-gone@acme.example' });
  });

  it('a link to a payout that does not exist gets 404', async () => {
    const token = signToken({ purpose: 'approval', workflowId: 'payout:nope:rep-9:2026-Q1', approver: 'x@acme.example', round: 0, exp: Date.now() + 60_000 }, SECRET);
    expect((await fetch(`${h.url}/approvals/${token}`)).status).toBe(404);
  });
});

describe('deadlines in the approver\'s time zone', () => {
  /** The local date and time of an instant in a zone, read with Intl directly (not salesflow's code). */
  const localIn = (ms: number, zone: string) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .formatToParts(ms).map((p) => [p.type, p.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`;
  };

  it('a manager who is a rep reads the deadline in their zone; an escalation address that is nobody\'s reads it in the rule\'s', async () => {
    await upsertRep(h.db, {
      id: 'rep-boss', name: 'Boss NY', email: 'boss-ny@acme.example', team: 'Leads', role: 'Manager', region: 'AMER',
      manager: null, timezone: 'America/New_York', start_date: null,
    });
    await upsertRep(h.db, {
      id: 'rep-tz', name: 'Rep TZ', email: 'reptz@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
      manager: 'boss-ny@acme.example', timezone: 'Europe/Berlin', start_date: null,
    });
    await upsertDeal(h.db, {
      id: 'd-tz', rep: 'rep-tz', name: 'Deal tz', amount: '160000', currency: 'USD', stage: 'won', product: 'Platform',
      type: 'new', source: null, closed_at: '2026-02-10', contact: null,
    });
    const tokyo: IncentiveRule = { ...rule, timezone: 'Asia/Tokyo' };
    const workflowId = workflowIds.payout(tokyo.id, 'rep-tz', PERIOD);
    const handle = await h.testEnv.client.workflow.start('payoutWorkflow', {
      workflowId, taskQueue: h.taskQueue, args: [{ rule: tokyo, repId: 'rep-tz', period: PERIOD } satisfies PayoutInput],
    });
    const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.to_addr === 'boss-ny@acme.example');
    const deadline = Date.parse((await handle.query(payoutStatusQuery)).deadline!);
    const inNewYork = localIn(deadline, 'America/New_York');
    expect(email.text).toContain(`Without a decision by ${inNewYork} this request goes to the next approver.`);
    expect(await (await fetch(linkTo(email.text, '/approvals'))).text()).toContain(`Please decide before <strong>${inNewYork}</strong>`);

    await h.testEnv.sleep('5 days');
    const escalated = await h.waitForEmail((r) => r.workflow_id === workflowId && r.to_addr === 'vp-sales@acme.example');
    const vpDeadline = Date.parse((await handle.query(payoutStatusQuery)).deadline!);
    const inTokyo = localIn(vpDeadline, 'Asia/Tokyo');
    // The last round says what silence does, as the page does: not a vague "moves on".
    expect(escalated.text).toContain(`Without a decision by ${inTokyo} the payout is rejected (the rule says \`otherwise reject\`).`);
    const vpPage = await (await fetch(linkTo(escalated.text, '/approvals'))).text();
    expect(vpPage).toContain(`Please decide before <strong>${inTokyo}</strong>`);
    const approved = await decide(linkTo(escalated.text, '/approvals'), 'approve');
    expect(approved.status).toBe(200);
    const approvedPage = await approved.text();
    const { decision } = (await handle.result()) as PayoutResult;
    // The decision's time reads like the deadline did: in the reader's zone, named. The VP (no
    // rep) reads Tokyo, the rule's; the manager's old link, opened later, reads New York, theirs.
    expect(approvedPage).toContain(`Approved by <strong>vp-sales@acme.example</strong> at ${localIn(Date.parse(decision!.decidedAt), 'Asia/Tokyo')}.`);
    const managerLink = await fetch(linkTo(email.text, '/approvals'));
    expect(managerLink.status).toBe(409);
    expect(await managerLink.text()).toContain(`Approved by <strong>vp-sales@acme.example</strong> at ${localIn(Date.parse(decision!.decidedAt), 'America/New_York')}.`);
  });
});

describe('an old link clicked after its window ended (the link itself has expired)', () => {
  /** The server's clock catches up with the time the workflows skipped to, as it would in real life. */
  const serverAtWorkflowTime = async () => {
    serverSkew = (await h.testEnv.currentTimeMs()) - Date.now();
  };

  it('says the request was escalated and to whom (410), then that the rule\'s otherwise decided (409); it never decides', async () => {
    try {
      const { handle, link } = await startPayout('rep-6');
      await h.testEnv.sleep('5 days');
      const escalated = await h.waitForEmail((r) => r.workflow_id === handle.workflowId && r.to_addr === 'vp-sales@acme.example');
      await serverAtWorkflowTime();
      const get = await fetch(link);
      expect(get.status).toBe(410);
      const page = await get.text();
      expect(page).toContain('escalated to <strong>vp-sales@acme.example</strong>');
      const late = await decide(link, 'approve');
      expect(late.status).toBe(410);
      expect(await late.text()).toContain('escalated to <strong>vp-sales@acme.example</strong>');
      expect((await handle.query(payoutStatusQuery)).decision).toBeNull();

      await h.testEnv.sleep('3 days');
      expect(((await handle.result()) as { phase: string }).phase).toBe('rejected');
      await serverAtWorkflowTime();
      for (const old of [link, linkTo(escalated.text, '/approvals')]) {
        const after = await fetch(old);
        expect(after.status).toBe(409);
        const text = await after.text();
        expect(text).toContain('This payout was already rejected');
        expect(text).toContain('<strong>otherwise</strong> step, as no one decided in time');
        expect((await decide(old, 'approve')).status).toBe(409);
      }
      expect((await exportLedger(h.db)).filter((e) => e.rep === 'rep-6')).toHaveLength(0);
    } finally {
      serverSkew = 0;
    }
  });
});

describe('a statement run again after a rejection', () => {
  it('its approval page says what was rejected, by whom and why (escaped), so the approver knows why they are asked again', async () => {
    // What the first attempt left: its statement, rejected with a reason.
    const first = workflowIds.payout(rule.id, 'rep-7', PERIOD);
    const rejected = { rule: rule.name, ruleId: rule.id, ruleVersion: rule.version, rep: 'rep-7', repName: 'Rep 7', period: PERIOD, currency: 'USD', measure: '1600000.00', target: '100000.00', attainment: '1600', lines: [], capped: false, total: '237500.00', rewards: [], warnings: [] };
    await recordStatement(h.db, first, rejected as never, 'pending');
    await decideStatement(h.db, first, { status: 'rejected', by: 'mgr7@acme.example', reason: 'D-7 is <b>10x</b> too big' }, '2026-04-03T10:00:00.000Z');
    const workflowId = workflowIds.payout(rule.id, 'rep-7', PERIOD, 2);
    // The rule's zone is New York: mgr7 is no rep, so that is the zone they read times in.
    const newYork: IncentiveRule = { ...rule, timezone: 'America/New_York' };
    const handle = await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [{ rule: newYork, repId: 'rep-7', period: PERIOD } satisfies PayoutInput] });
    const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });
    // The email itself says what was turned down before: an approver reading only the email must not
    // approve the new total without knowing it (the reason escaped in the HTML part).
    const said = 'This statement was computed again after an earlier statement for the same period (total 237,500.00 USD) ' +
      'was rejected by mgr7@acme.example at 2026-04-03 06:00 America/New_York. Reason given: "D-7 is <b>10x</b> too big".';
    expect(email.text).toContain(said);
    expect(email.html).toContain('was rejected by mgr7@acme.example at 2026-04-03 06:00 America/New_York. Reason given: &quot;D-7 is &lt;b&gt;10x&lt;/b&gt; too big&quot;.');
    expect(email.html).not.toContain('<b>10x');
    const page = await (await fetch(linkTo(email.text, '/approvals'))).text();
    expect(page).toContain('15,500.00 USD');
    expect(page).toContain('an earlier statement for the same period (total 237,500.00 USD) was rejected by <strong>mgr7@acme.example</strong> at 2026-04-03 06:00 America/New_York: “D-7 is &lt;b&gt;10x&lt;/b&gt; too big”');
    await decide(linkTo(email.text, '/approvals'), 'approve');
    expect(await handle.result()).toMatchObject({ phase: 'approved' });
  });
});

describe('while no worker is running (a deploy, an outage)', () => {
  it('the link answers "try again shortly" instead of never loading (the test times out without an answer), and a decision is not claimed as made or as not made', async () => {
    // A run that no worker serves: Temporal holds its queries and updates until one polls.
    const workflowId = workflowIds.payout(rule.id, 'rep-idle', PERIOD);
    const handle = await h.testEnv.client.workflow.start('payoutWorkflow', {
      workflowId, taskQueue: 'no-worker-polls-this', args: [{ rule, repId: 'rep-idle', period: PERIOD } satisfies PayoutInput],
    });
    try {
      const link = `${h.url}/approvals/${signToken({ purpose: 'approval', workflowId, approver: 'mgr-idle@acme.example', round: 0, exp: Date.now() + 3600_000 }, SECRET)}`;
      const get = await fetch(link);
      expect(get.status).toBe(503);
      expect(await get.text()).toContain('Please try again shortly');
      const post = await decide(link, 'approve');
      expect(post.status).toBe(503);
      const page = await post.text();
      expect(page).toContain('Your decision is not confirmed yet');
      expect(page).not.toContain('Nothing was changed');

      // Once the decision is on record, the data source answers for the run while no worker can.
      const statement = { rule: rule.name, ruleId: rule.id, ruleVersion: rule.version, rep: 'rep-idle', repName: 'Rep Idle', period: PERIOD, currency: 'USD', measure: '160000.00', target: '100000.00', attainment: '160', lines: [], capped: false, total: '15500.00', rewards: [], warnings: [] };
      await recordStatement(h.db, workflowId, statement as never, 'pending');
      await decideStatement(h.db, workflowId, { status: 'rejected', by: 'mgr-idle@acme.example', reason: 'not now' }, '2026-04-03T10:00:00.000Z');
      const decided = await fetch(link);
      expect(decided.status).toBe(409);
      expect(await decided.text()).toContain('This payout was already rejected');
    } finally {
      await handle.terminate('test done');
    }
  }, 120_000);
});
