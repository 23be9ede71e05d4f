import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { upsertDeal } from '../../src/data/deals.js';
import { gatherFacts } from '../../src/data/facts.js';
import { exportLedger } from '../../src/data/ledger.js';
import { upsertRep } from '../../src/data/reps.js';
import { getStatement } from '../../src/data/statements.js';
import { computeStatement } from '../../src/payouts/statement.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { verifyToken, type ApprovalClaims } from '../../src/tokens/index.js';
import { decideUpdate, payoutStatusQuery, workflowIds } from '../../src/workflows/api.js';
import { payoutWorkflow } from '../../src/workflows/payout.js';
import { specRule } from '../payouts/spec-rule.js';
import { parseTemplate } from '../../src/templates/index.js';
import { SECRET, startHarness, type Harness } from './support/harness.js';
import { payoutCases } from './support/payout-cases.js';
import type { CaughtMail } from './support/mail-catcher.js';

const PERIOD = '2026-Q1';
let h: Harness;

beforeAll(async () => {
  h = await startHarness('payout');
  for (const c of payoutCases) {
    await upsertRep(h.db, c.rep);
    for (const d of c.deals) await upsertDeal(h.db, { ...d, rep: c.rep.id });
  }
});
afterAll(async () => {
  await h?.close();
});

async function seedRep(id: string, revenue = '160000'): Promise<RepRecord> {
  const rep: RepRecord = {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: `mgr-${id}@acme.example`, timezone: 'Europe/Berlin', start_date: null,
  };
  await upsertRep(h.db, rep);
  await upsertDeal(h.db, {
    id: `${id}-deal`, rep: id, name: 'Big one', amount: revenue, currency: 'USD', stage: 'won', product: 'Core',
    type: 'new', source: null, closed_at: '2026-03-01', contact: null,
  });
  return rep;
}

const withApproval = (id: string, otherwise: 'approve' | 'reject'): IncentiveRule =>
  specRule({
    id,
    cap: null,
    approval: {
      approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
      within: { amount: '5', unit: 'days' },
      escalations: [{ to: { kind: 'address', address: 'vp-sales@acme.example' }, within: { amount: '3', unit: 'days' } }],
      otherwise,
    },
  });

function start(rule: IncentiveRule, repId: string) {
  return h.testEnv.client.workflow.start(payoutWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: workflowIds.payout(rule.id, repId, PERIOD),
    args: [{ rule, repId, period: PERIOD }],
  });
}

/** The escalation approver's emails about `repName`, once the first has arrived. */
async function escalationMails(repName: string): Promise<CaughtMail[]> {
  const about = () => h.mail.to('vp-sales@acme.example').filter((m) => m.subject.includes(repName));
  await h.mail.waitFor(() => about().length > 0);
  return about();
}

function approvalLink(mail: CaughtMail): { token: string; claims: ApprovalClaims } {
  const match = /http:\/\/salesflow\.test\/approvals\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(mail.body);
  if (!match) throw new Error(`no approval link in: ${mail.body}`);
  const check = verifyToken(match[1], SECRET, 'approval', 0);
  if (!check.ok || check.claims.purpose !== 'approval') throw new Error(`bad token: ${JSON.stringify(check)}`);
  return { token: match[1], claims: check.claims };
}

/** An update the validator refused: its cause carries the validator's message. */
const refusedWith = (message: RegExp) => (err: unknown) =>
  err instanceof WorkflowUpdateFailedError && message.test(String((err.cause as Error | undefined)?.message));

const waitForMail = (to: string, count = 1) => h.mail.waitFor(() => h.mail.to(to).length >= count).then(() => h.mail.to(to));

describe('the same cases through computeStatement and through the payout workflow', () => {
  for (const c of payoutCases) {
    test(c.name, async () => {
      const gathered = await gatherFacts(h.db, c.rule, [c.rep], PERIOD);
      if (!gathered.ok) throw new Error(gathered.message);
      const direct = computeStatement(c.rule, c.rep, PERIOD, gathered.facts.get(c.rep.id)!);
      expect(direct.total).toBe(c.total);
      expect(direct.rewards).toEqual(c.rewards);

      const result = await (await start(c.rule, c.rep.id)).result();
      expect(result.statement).toEqual(direct);
      const ledger = (await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === c.rule.id);
      if (c.total === '0.00' && c.rewards.length === 0) {
        expect(result.phase).toBe('recorded');
        expect(ledger).toEqual([]);
        expect((await getStatement(h.db, workflowIds.payout(c.rule.id, c.rep.id, PERIOD)))?.status).toBe('recorded');
        expect(h.mail.to(c.rep.email)).toEqual([]);
      } else {
        // No approval block: approved automatically, recorded once, and the rep gets the statement.
        expect(result.decision?.decidedBy).toBe('auto');
        expect(ledger.map((e) => [e.rep, e.amount, e.approvedBy])).toEqual([[c.rep.id, c.total, 'auto']]);
        const [mail] = await waitForMail(c.rep.email);
        expect(mail.subject).toContain(c.rule.name);
      }
    });
  }
});

describe('approval by email', () => {
  test('the manager approves through the link: ledger entry once, rep gets the statement; refused decisions change nothing', async () => {
    const rep = await seedRep('appr');
    const rule = withApproval('appr-rule', 'reject');
    const handle = await start(rule, rep.id);
    const [request] = await waitForMail(rep.manager!);
    const { claims } = approvalLink(request);
    expect(claims).toMatchObject({ workflowId: handle.workflowId, approver: rep.manager, round: 0 });
    // The email can arrive before its activity has recorded the approver (a busy machine): the
    // status is asked until it has.
    const status = await vi.waitFor(async () => {
      const now = await handle.query(payoutStatusQuery);
      expect(now).toMatchObject({ phase: 'awaiting-approval', approver: rep.manager, round: 0 });
      return now;
    }, { timeout: 15_000, interval: 50 });
    expect(Date.parse(status.deadline!)).toBe(claims.exp);
    expect(request.subject).toContain('15,500.00 USD');

    const decide = (approver: string, round: number, decision: 'approve' | 'reject' = 'approve') =>
      handle.executeUpdate(decideUpdate, { args: [{ approver, round, decision }] });
    await expect(decide('intruder@acme.example', 0)).rejects.toSatisfy(refusedWith(/not for the current approver/));
    await expect(decide(rep.manager!, 1)).rejects.toSatisfy(refusedWith(/not for the current approval round/));
    const decided = await decide(rep.manager!.toUpperCase(), 0);
    expect(decided).toMatchObject({ outcome: 'approved', decidedBy: rep.manager });
    await expect(decide(rep.manager!, 0, 'reject')).rejects.toSatisfy(refusedWith(/already been decided/));

    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'approved', ledgerEntryCreated: true, decision: { decidedBy: rep.manager } });
    const ledger = (await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id);
    expect(ledger.map((e) => [e.rep, e.amount, e.approvedBy])).toEqual([[rep.id, '15500.00', rep.manager]]);
    expect(await getStatement(h.db, handle.workflowId)).toMatchObject({ status: 'approved', decidedBy: rep.manager });
    const [statementMail] = await waitForMail(rep.email);
    expect(statementMail.body).toContain('15,500.00 USD');
    expect(h.mail.to('vp-sales@acme.example').filter((m) => m.body.includes(handle.workflowId) || m.subject.includes(rep.name))).toEqual([]);
  });

  test('a click that arrives while the approval email is still being recorded (its activity retried, as after a worker crash) is taken', async () => {
    const rep = await seedRep('quick');
    const rule = withApproval('quick-rule', 'reject');
    // The email goes out, then the activity fails three times: for seconds the round has no approver on record.
    h.failAfterWork('requestApproval', 3);
    const handle = await start(rule, rep.id);
    const [request] = await waitForMail(rep.manager!);
    const { claims } = approvalLink(request);
    expect((await handle.query(payoutStatusQuery)).approver).toBeNull();
    const decided = await handle.executeUpdate(decideUpdate, { args: [{ approver: claims.approver, round: claims.round, decision: 'approve' }] });
    expect(decided).toMatchObject({ outcome: 'approved', decidedBy: rep.manager });

    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'approved', ledgerEntryCreated: true });
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id).map((e) => [e.rep, e.approvedBy])).toEqual([[rep.id, rep.manager]]);
    // The retried activity found the email already sent: the manager was asked once.
    expect(h.mail.to(rep.manager!)).toHaveLength(1);
  });

  test('no decision: escalates to the VP after 5 days, then `otherwise reject` tells rep and manager', async () => {
    const rep = await seedRep('silent');
    const rule = withApproval('silent-rule', 'reject');
    const handle = await start(rule, rep.id);
    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'rejected', decision: { outcome: 'rejected', decidedBy: 'otherwise' }, ledgerEntryCreated: false });
    const [first] = h.mail.to(rep.manager!);
    const vp = h.mail.to('vp-sales@acme.example').filter((m) => m.subject.includes(rep.name));
    expect(vp).toHaveLength(1);
    const escalated = approvalLink(vp[0]).claims;
    expect(escalated).toMatchObject({ approver: 'vp-sales@acme.example', round: 1 });
    expect(vp[0].date.getTime() - first.date.getTime()).toBeGreaterThanOrEqual(5 * 86_400_000 - 1000);
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id)).toEqual([]);
    const notices = [...h.mail.to(rep.email), ...h.mail.to(rep.manager!)].filter((m) => /rejected/.test(m.subject));
    expect(notices).toHaveLength(2);
  });

  test('a rejection notice tells rep and manager when it was rejected, each in their own zone', async () => {
    const rep = await seedRep('zones');
    await upsertRep(h.db, {
      id: 'mgr-zones', name: 'Manager in New York', email: rep.manager!, team: 'NA Management', role: 'Manager', region: 'NA',
      manager: null, timezone: 'America/New_York', start_date: null,
    });
    const rule = withApproval('zones-rule', 'reject');
    const handle = await start(rule, rep.id);
    const [request] = await (async () => { await h.mail.waitFor(() => h.mail.to(rep.manager!).length > 0); return h.mail.to(rep.manager!); })();
    const { claims } = approvalLink(request);
    await handle.executeUpdate(decideUpdate, { args: [{ approver: claims.approver, round: claims.round, decision: 'reject' }] });
    await handle.result();
    const notice = (to: string) => h.mail.to(to).find((m) => /rejected/.test(m.subject))!.body;
    expect(notice(rep.email)).toMatch(/was rejected by mgr-zones@acme\.example on \d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin\./);
    expect(notice(rep.manager!)).toMatch(/was rejected by mgr-zones@acme\.example on \d{4}-\d\d-\d\d \d\d:\d\d America\/New_York\./);
  });

  test('no decision with `otherwise approve`: approved and paid once, by "otherwise"', async () => {
    const rep = await seedRep('lenient');
    const rule = withApproval('lenient-rule', 'approve');
    const result = await (await start(rule, rep.id)).result();
    expect(result).toMatchObject({ phase: 'approved', decision: { decidedBy: 'otherwise' }, ledgerEntryCreated: true });
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id).map((e) => e.approvedBy)).toEqual(['otherwise']);
  });

  test('after escalation the old link is superseded and the VP decides: rejected with a reason', async () => {
    const rep = await seedRep('escal');
    const rule = withApproval('escal-rule', 'approve');
    const handle = await start(rule, rep.id);
    const [managerMail] = await waitForMail(rep.manager!);
    // Each email says what silence does: the first passes it on; the last, under `otherwise
    // approve`, pays the statement as it stands (a vague "moves on" hid that).
    expect(managerMail.body).toMatch(/Without a decision by [^\n]* this request goes to the next approver\./);
    expect(managerMail.body).not.toContain('escalated');
    await h.testEnv.sleep('5 days');
    const vpMail = await escalationMails(rep.name);
    expect(vpMail[0].body).toContain('This request was escalated to you: no one decided it within the earlier approval window.');
    expect(vpMail[0].body).toMatch(/Without a decision by [^\n]* the payout is approved as it stands \(the rule says `otherwise approve`\)\./);
    const { claims } = approvalLink(vpMail[0]);
    await expect(
      handle.executeUpdate(decideUpdate, { args: [{ approver: rep.manager!, round: 0, decision: 'approve' }] }),
    ).rejects.toSatisfy(refusedWith(/superseded/));
    const decided = await handle.executeUpdate(decideUpdate, {
      args: [{ approver: claims.approver, round: claims.round, decision: 'reject', reason: 'Deal b1 is double counted' }],
    });
    expect(decided.outcome).toBe('rejected');
    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'rejected', reason: 'Deal b1 is double counted', decision: { decidedBy: 'vp-sales@acme.example' } });
    expect(await getStatement(h.db, handle.workflowId)).toMatchObject({ status: 'rejected', reason: 'Deal b1 is double counted' });
    const told = [...h.mail.to(rep.email), ...h.mail.to(rep.manager!)].filter((m) => /rejected/.test(m.subject));
    expect(told).toHaveLength(2);
    expect(told[0].body).toContain('Deal b1 is double counted');
    // Rep and manager learn who rejected it: the VP the request was escalated to, not the manager.
    for (const m of told) expect(m.body).toContain(`${rule.name} statement of ${rep.name} for ${PERIOD} was rejected by vp-sales@acme.example on `);
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id)).toEqual([]);
  });
});

describe('the team\'s own approval template', () => {
  test('one without {{approval.url}} in its body still carries the link, and the manager decides through it', async () => {
    const rep = await seedRep('ownapproval');
    const own = parseTemplate('incentive-approval', '---\nsubject: Please approve {{rep.name}} ({{statement.total}}), link {{approval.url}}\n---\n\n{{rep.name}} earned {{statement.total}}.\n').template;
    const rule = { ...withApproval('ownapproval-rule', 'reject'), templates: { 'incentive-approval': own } };
    const handle = await start(rule, rep.id);
    const mail = await h.mail.waitFor(() => h.mail.to(rep.manager!).length > 0).then(() => h.mail.to(rep.manager!)[0]);
    expect(mail.body).toContain('Rep ownapproval earned 15,500.00 USD.');
    const { claims } = approvalLink(mail);
    expect(claims).toMatchObject({ approver: rep.manager, round: 0 });
    await handle.executeUpdate(decideUpdate, { args: [{ approver: claims.approver, round: 0, decision: 'approve' }] });
    expect(await handle.result()).toMatchObject({ phase: 'approved', decision: { decidedBy: rep.manager } });
  });
});

describe('retries', () => {
  test('a ledger write and a statement email retried after they succeeded pay and mail once', async () => {
    const rep = await seedRep('retry');
    const rule = specRule({ id: 'retry-rule', cap: null });
    const before = { record: h.calls.get('recordDecision') ?? 0, notify: h.calls.get('notifyPayoutOutcome') ?? 0 };
    h.failAfterWork('recordDecision');
    h.failAfterWork('notifyPayoutOutcome');
    const result = await (await start(rule, rep.id)).result();
    expect((h.calls.get('recordDecision') ?? 0) - before.record).toBe(2);
    expect((h.calls.get('notifyPayoutOutcome') ?? 0) - before.notify).toBe(2);
    expect(result.ledgerEntryCreated).toBe(true);
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id)).toHaveLength(1);
    expect(h.mail.to(rep.email)).toHaveLength(1);
  });

  test('a run restarted for the same rule, rep and period after it finished asks nobody, pays and mails nothing again', async () => {
    const rep = await seedRep('dup');
    const rule = withApproval('dup-rule', 'approve');
    const first = await (await start(rule, rep.id)).result();
    const mailsBefore = h.mail.messages.length;
    // Temporal's default id reuse policy allows a new run once the first has closed.
    const again = await (await start(rule, rep.id)).result();
    expect(again).toMatchObject({ phase: 'approved', decision: first.decision, ledgerEntryCreated: true });
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id)).toHaveLength(1);
    expect(h.mail.messages.length).toBe(mailsBefore);
  });
});

describe('a total past what payouts can record', () => {
  test('the run stops at once saying why, records nothing and asks nobody (it used to retry the write forever)', async () => {
    // Ten deals of 9 trillion USD: 90 trillion of revenue, 13,499,999,991,500.00 USD of commission
    // and the 1,000.00 USD bonus for 10 deals won.
    const rep = await seedRep('huge', '9000000000000');
    for (let i = 2; i <= 10; i++) {
      await upsertDeal(h.db, {
        id: `huge-deal-${i}`, rep: rep.id, name: 'Big one', amount: '9000000000000', currency: 'USD', stage: 'won',
        product: 'Core', type: 'new', source: null, closed_at: '2026-03-02', contact: null,
      });
    }
    const rule = withApproval('huge-rule', 'approve');
    const mailsBefore = h.mail.messages.length;
    const handle = await start(rule, rep.id);
    const failure = await handle.result().then(() => null, (err: Error) => err);
    expect(failure).not.toBeNull();
    const cause = (failure as Error & { cause?: { cause?: Error; message: string } }).cause;
    expect(cause?.cause?.message ?? cause?.message).toBe(
      'statement of rep huge for 2026-Q1 under "AE commission FY26": the total 13,499,999,992,500.00 USD is more than payouts can record ' +
      "(at most 9,223,372,036,854.77 USD): `payouts run` refuses this statement; check the rule's amounts and rates and the deals' amounts; nothing was recorded",
    );
    expect(await getStatement(h.db, handle.workflowId)).toBeNull();
    expect(h.mail.messages.length).toBe(mailsBefore);
  });
});

describe('approver that cannot be resolved', () => {
  test('a rep without a manager goes straight to the escalation', async () => {
    const rep = { ...(await seedRep('nomgr')), manager: null };
    await upsertRep(h.db, rep);
    const rule = withApproval('nomgr-rule', 'reject');
    const handle = await start(rule, rep.id);
    const [vpMail] = await escalationMails(rep.name);
    const { claims } = approvalLink(vpMail);
    expect(claims.round).toBe(1);
    // The VP is told why it is theirs: nobody was asked before, not "no one decided in time".
    expect(vpMail.body).toContain('This request comes to you because no earlier approver could be asked (e.g. no manager on record).');
    expect(vpMail.body).not.toContain('earlier approval window');
    await handle.executeUpdate(decideUpdate, { args: [{ approver: claims.approver, round: 1, decision: 'approve' }] });
    expect(await handle.result()).toMatchObject({ phase: 'approved', decision: { decidedBy: 'vp-sales@acme.example' } });
  });

  test('nobody to ask in any round: `otherwise reject` decides at once, and the notice says why (not "nobody decided")', async () => {
    const rep = { ...(await seedRep('nobody')), manager: null };
    await upsertRep(h.db, rep);
    const rule = specRule({
      id: 'nobody-rule', cap: null,
      approval: { approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' }, within: { amount: '5', unit: 'days' }, escalations: [], otherwise: 'reject' },
    });
    const result = await (await start(rule, rep.id)).result();
    expect(result).toMatchObject({ phase: 'rejected', decision: { decidedBy: 'otherwise' } });
    const [notice] = h.mail.to(rep.email).filter((m) => /rejected/.test(m.subject));
    expect(notice.body).toContain('nobody could be asked');
    expect(notice.body).toMatch(/was rejected on \d{4}-\d\d-\d\d \d\d:\d\d \S+ by the rule's `otherwise reject`\./);
    expect(notice.body).not.toContain('nobody decided within the approval window');
  });

  test('nobody to ask in any round with `otherwise approve`: nothing is paid until the window has run out, and the run says why no one was asked', async () => {
    const rep = { ...(await seedRep('nobodyok')), manager: null };
    await upsertRep(h.db, rep);
    const rule = specRule({
      id: 'nobodyok-rule', cap: null,
      approval: { approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' }, within: { amount: '5', unit: 'days' }, escalations: [], otherwise: 'approve' },
    });
    const handle = await start(rule, rep.id);
    // The clock stands still while the test only queries: the run must be waiting, not paid.
    let status = await handle.query(payoutStatusQuery);
    for (let i = 0; i < 100 && !status.nobodyToAsk && !status.decision; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await handle.query(payoutStatusQuery);
    }
    expect(status).toMatchObject({ phase: 'awaiting-approval', approver: null, decision: null, afterDeadline: 'approved', nobodyToAsk: 'rep.manager is empty' });
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id)).toEqual([]);
    expect(h.mail.to(rep.email)).toEqual([]);
    // No link went out for this round, so none decides it.
    await expect(
      handle.executeUpdate(decideUpdate, { args: [{ approver: 'someone@acme.example', round: 0, decision: 'approve' }] }),
    ).rejects.toSatisfy(refusedWith(/nobody was asked/));

    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'approved', decision: { decidedBy: 'otherwise' }, ledgerEntryCreated: true });
    const started = (await handle.describe()).startTime.getTime();
    expect(Date.parse(result.decision!.decidedAt) - started).toBeGreaterThanOrEqual(5 * 86_400_000 - 1000);
    expect((await exportLedger(h.db, PERIOD)).filter((e) => e.ruleId === rule.id).map((e) => e.approvedBy)).toEqual(['otherwise']);
  });

  test('a manager address the mail server refuses (550) is nobody asked: the VP gets the request at once, told why', async () => {
    const rep = await seedRep('bounced');
    h.mail.refuse.add(rep.manager!);
    const rule = withApproval('bounced-rule', 'reject');
    const handle = await start(rule, rep.id);
    const [vpMail] = await escalationMails(rep.name);
    const started = (await handle.describe()).startTime.getTime();
    // Not after the manager's 5-day window: nobody holds a link to decide in it.
    expect(vpMail.date.getTime() - started).toBeLessThan(60_000);
    expect(vpMail.body).toContain(`This request comes to you because the mail server refused the approval email to ${rep.manager}.`);
    expect(vpMail.body).not.toContain('earlier approval window');
    await handle.executeUpdate(decideUpdate, { args: [{ approver: 'vp-sales@acme.example', round: 1, decision: 'approve' }] });
    expect(await handle.result()).toMatchObject({ phase: 'approved', decision: { decidedBy: 'vp-sales@acme.example' } });
  });

  test('the only approval email refused by the mail server: `otherwise reject` decides at once, and the notice names the refused address', async () => {
    const rep = await seedRep('bounced-only');
    h.mail.refuse.add(rep.manager!);
    const rule = specRule({
      id: 'bounced-only-rule', cap: null,
      approval: { approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' }, within: { amount: '5', unit: 'days' }, escalations: [], otherwise: 'reject' },
    });
    const handle = await start(rule, rep.id);
    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'rejected', decision: { decidedBy: 'otherwise' } });
    expect(Date.parse(result.decision!.decidedAt) - (await handle.describe()).startTime.getTime()).toBeLessThan(60_000);
    const [notice] = h.mail.to(rep.email).filter((m) => /rejected/.test(m.subject));
    expect(notice.body).toContain(`nobody could be asked (the mail server refused the approval email to ${rep.manager})`);
    expect(notice.body).not.toContain('nobody decided within the approval window');
  });

  test('a rep who is their own manager never gets the approval link: the escalation decides', async () => {
    const seeded = await seedRep('selfmgr');
    const rep = { ...seeded, manager: seeded.email.toUpperCase() };
    await upsertRep(h.db, rep);
    const rule = withApproval('selfmgr-rule', 'reject');
    const handle = await start(rule, rep.id);
    const [vpMail] = await escalationMails(rep.name);
    expect(approvalLink(vpMail).claims.round).toBe(1);
    expect(h.mail.to(rep.email).filter((m) => /approvals\//.test(m.body))).toEqual([]);
    // A link forged for the rep in the skipped round is turned away too.
    await expect(
      handle.executeUpdate(decideUpdate, { args: [{ approver: rep.email, round: 0, decision: 'approve' }] }),
    ).rejects.toSatisfy(refusedWith(/superseded/));
    await handle.executeUpdate(decideUpdate, { args: [{ approver: 'vp-sales@acme.example', round: 1, decision: 'approve' }] });
    expect(await handle.result()).toMatchObject({ phase: 'approved', decision: { decidedBy: 'vp-sales@acme.example' } });
  });
});
