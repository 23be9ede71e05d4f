// The example rules of rules/ compiled by the real compiler and run by the workflows: the plan
// contract between the DSL and the runtime, end to end, with the real templates.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { exportLedger } from '../../src/data/ledger.js';
import { upsertLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import { loadRules } from '../../src/dsl/index.js';
import type { GoalRule, IncentiveRule, Plan, SequenceRule } from '../../src/plan/schema.js';
import { decideUpdate, workflowIds } from '../../src/workflows/api.js';
import { localTime } from '../../src/workflows/calendar.js';
import { goalWorkflow, payoutWorkflow, sequenceWorkflow } from '../../src/workflows/index.js';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
let plan: Plan;
const rule = <T>(id: string) => plan.rules.find((r) => r.id === id) as T;

beforeAll(async () => {
  const compiled = await loadRules(['rules/']);
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  plan = compiled.plan!;
  h = await startHarness('compiled');
  await upsertRep(h.db, {
    id: 'r-eve', name: 'Eve Closer', email: 'eve@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: 'max@acme.example', timezone: 'Europe/Paris', start_date: '2025-06-01',
  });
});
afterAll(async () => {
  await h?.close();
});

describe('rules/ compiled and run', () => {
  test('"Webinar follow-up" for a hot lead: three emails to the lead outside quiet hours (any day), one to the owner', async () => {
    const seq = rule<SequenceRule>('webinar-follow-up');
    const lead = { id: 'L-100', name: 'Noor', email: 'noor@prospect.example', company: 'Prospect BV', source: 'webinar', stage: 'new', owner: 'r-eve', timezone: 'Asia/Tokyo', score: '72' };
    await upsertLead(h.db, lead);
    const result = await h.testEnv.client.workflow.execute(sequenceWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.sequence(seq.id, 'lead', lead.id), args: [{ rule: seq, subject: { kind: 'lead', lead } }],
    });
    expect(result.outcome).toBe('completed');
    const toLead = h.mail.to(lead.email);
    expect(toLead.map((m) => m.subject)).toEqual([
      'Thanks for joining our webinar, Noor',
      "How a team like Prospect BV's cut forecast time in half",
      '20 minutes for Prospect BV?',
    ]);
    for (const m of toLead) {
      const local = localTime(m.date.getTime(), 'Asia/Tokyo');
      expect(local.hour >= 8 && local.hour < 20).toBe(true);
      expect(m.body).not.toContain('{{');
      expect(m.headers.get('list-unsubscribe')).toMatch(/^<http:\/\/salesflow\.test\/unsubscribe\//);
    }
    const [hot] = h.mail.to('eve@acme.example').filter((m) => m.subject.startsWith('Hot lead'));
    expect(hot.subject).toBe('Hot lead: Noor at Prospect BV (score 72)');
  });

  test('"Feedback after first meeting": request and reminder go out on weekdays between 08:00 and 19:00 in the lead zone', async () => {
    const seq = rule<SequenceRule>('feedback-after-first-meeting');
    const lead = { id: 'L-101', name: 'Sam', email: 'sam@prospect.example', company: 'Prospect BV', source: 'event', stage: 'new', owner: 'r-eve', timezone: 'America/Chicago', score: '10' };
    await upsertLead(h.db, lead);
    const result = await h.testEnv.client.workflow.execute(sequenceWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.sequence(seq.id, 'lead', lead.id), args: [{ rule: seq, subject: { kind: 'lead', lead } }],
    });
    expect(result.outcome).toBe('completed');
    const toLead = h.mail.to(lead.email);
    expect(toLead).toHaveLength(2);
    for (const m of toLead) {
      const local = localTime(m.date.getTime(), 'America/Chicago');
      expect(local.weekday).toBeLessThanOrEqual(5);
      expect(local.hour >= 8 && local.hour < 19).toBe(true);
    }
  });

  test('"Q4 new business": Monday 09:00 check-ins in the rep zone and a review at the end of the quarter', async () => {
    const goal = rule<GoalRule>('q4-new-business');
    const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
    await upsertDeal(h.db, {
      id: 'g-1', rep: 'r-eve', name: 'New logo', amount: '30000', currency: 'EUR', stage: 'won', product: 'Core', type: 'new',
      source: null, closed_at: `${year}-10-20`, contact: null,
    });
    const result = await h.testEnv.client.workflow.execute(goalWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.goal(goal.id, 'r-eve', `${year}-Q4`), args: [{ rule: goal, repId: 'r-eve', period: `${year}-Q4` }],
    });
    const checkins = result.checkins.filter((c) => c.checkpointId === goal.checkpoints[0].id);
    expect(checkins.length).toBeGreaterThanOrEqual(13);
    for (const c of checkins) expect(localTime(Date.parse(c.at), 'Europe/Paris')).toMatchObject({ weekday: 1, hour: 9, minute: 0 });
    const atRisk = result.checkins.find((c) => c.checkpointId === goal.checkpoints[1].id);
    expect(atRisk).toMatchObject({ conditionHeld: true, attainment: '25.00', sentTo: ['eve@acme.example', 'max@acme.example'] });
    const review = h.mail.to('max@acme.example').filter((m) => m.body.includes('30,000.00 EUR'));
    expect(review.length).toBeGreaterThanOrEqual(2);
    expect(h.mail.messages.every((m) => !m.body.includes('{{'))).toBe(true);
  });

  test('"AE commission FY26": the manager approves from the email, the ledger has one entry', async () => {
    const incentive = rule<IncentiveRule>('ae-commission-fy26');
    await upsertDeal(h.db, {
      id: 'c-1', rep: 'r-eve', name: 'Quota buster', amount: '160000', currency: 'USD', stage: 'won', product: 'Core', type: 'new',
      source: null, closed_at: '2026-05-12', contact: null,
    });
    const handle = await h.testEnv.client.workflow.start(payoutWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.payout(incentive.id, 'r-eve', '2026-Q2'), args: [{ rule: incentive, repId: 'r-eve', period: '2026-Q2' }],
    });
    await h.mail.waitFor(() => h.mail.to('max@acme.example').some((m) => m.subject.startsWith('Approve')));
    const request = h.mail.to('max@acme.example').find((m) => m.subject.startsWith('Approve'))!;
    // 15,500 commission + 2,500 bonus (attainment >= 150%).
    expect(request.subject).toContain('18,000.00 USD');
    expect(request.body).toMatch(/http:\/\/salesflow\.test\/approvals\/\S+/);
    await handle.executeUpdate(decideUpdate, { args: [{ approver: 'max@acme.example', round: 0, decision: 'approve' }] });
    expect((await handle.result()).phase).toBe('approved');
    expect((await exportLedger(h.db, '2026-Q2')).map((e) => [e.rep, e.amount, e.approvedBy])).toEqual([['r-eve', '18000.00', 'max@acme.example']]);
    const statement = h.mail.to('eve@acme.example').find((m) => m.subject.includes('statement'));
    expect(statement?.body).toContain('Extra day off');
  });
});
