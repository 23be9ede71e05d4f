// The payout workflow on a plan with splits, conversion and proration, on the time-skipping
// server: the statement the worker records is the one `simulate` computes (one statement
// function), and the approver's email and approval page show each credited deal with its share,
// each conversion (amount, rate, date) and the prorated target with its fraction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { importCsv } from '../../src/data/import.js';
import { statementsForPeriod } from '../../src/data/period-statements.js';
import { upsertRep } from '../../src/data/reps.js';
import { getStatement } from '../../src/data/statements.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { workflowIds, type PayoutInput } from '../../src/workflows/api.js';
import { bin, field, specRule, str } from '../payouts/spec-rule.js';
import { linkTo, type LoopHarness, startLoop } from './temporal-harness.js';

const rule: IncentiveRule = specRule({
  credit: 'splits',
  convert: 'closing_rate',
  prorate: 'employment',
  approval: {
    approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
    within: { amount: '5', unit: 'days' },
    escalations: [],
    otherwise: 'reject',
  },
});
const PERIOD = '2026-Q1';
/** The managers' plan: every deal of their reports, listed whole (their own never count). */
const teamRule: IncentiveRule = { ...rule, id: 'team-rule', name: 'Managers', credit: 'team', prorate: undefined, reps: bin('=', field('rep', 'role'), str('Manager')) };

let h: LoopHarness;

beforeAll(async () => {
  h = await startLoop('approvals-in-depth', { formatVersion: 1, hash: 'test', metrics: [], rules: [rule, teamRule] });
  // rep-1 joined on 15 February: 45 of the quarter's 90 days, so a target of 50,000 USD.
  await upsertRep(h.db, { id: 'rep-1', name: 'Rep 1', email: 'rep1@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: 'mgr1@acme.example', timezone: 'Europe/Berlin', start_date: '2026-02-15' });
  await upsertRep(h.db, { id: 'rep-2', name: 'Rep 2', email: 'rep2@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: 'mgr2@acme.example', timezone: 'Europe/Berlin', start_date: null });
  const deal = (id: string, rep: string, amount: string, currency: string, closed: string) => upsertDeal(h.db, {
    id, rep, name: id, amount, currency, stage: 'won', product: 'Platform', type: 'new', source: null, closed_at: closed, contact: null,
  });
  await deal('SPLIT', 'rep-2', '100000', 'USD', '2026-02-20');
  await deal('EURO', 'rep-1', '20000', 'EUR', '2026-03-05');
  await upsertRep(h.db, { id: 'rep-3', name: 'Rep 3', email: 'rep3@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: 'mgr3@acme.example', timezone: 'Europe/Berlin', start_date: null });
  await deal('CENTS', 'rep-3', '15250', 'EUR', '2026-03-25');
  expect((await importCsv(h.db, 'credits', 'deal,rep,share\nSPLIT,rep-1,60\nSPLIT,rep-2,40\n', 'credits.csv')).ok).toBe(true);
  expect((await importCsv(h.db, 'rates', 'currency,to,rate,from\nEUR,USD,1.085,2026-03-01\nEUR,USD,1.1125,2026-03-20\n', 'rates.csv')).ok).toBe(true);
});
afterAll(async () => {
  await h?.close();
});

describe('a payout with splits, conversion and proration', () => {
  it('records the statement simulate computes, and the approver sees how it was credited', async () => {
    const input: PayoutInput = { rule, repId: 'rep-1', period: PERIOD };
    const workflowId = workflowIds.payout(rule.id, 'rep-1', PERIOD);
    await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [input] });
    const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });

    // 60% of 100,000 USD + 20,000 EUR × 1.085 = 60,000 + 21,700 = 81,700 USD on a prorated 50,000 USD target.
    const recorded = (await getStatement(h.db, workflowId))!.statement;
    const simulated = await statementsForPeriod(h.db, rule, PERIOD);
    expect(simulated.ok && simulated.statements.find((s) => s.rep === 'rep-1')).toEqual(recorded);
    expect(recorded).toMatchObject({ measure: '81700.00', target: '50000.00', attainment: '163.40', proration: { fraction: '45/90', prorated: '50000.00' } });
    // Bands of 100% and 150% of the prorated target: 8%·50,000 + 12%·25,000 + 15%·6,700 = 4,000 + 3,000 + 1,005.
    expect(recorded.lines.map((l) => l.amount)).toEqual(['4000.00', '3000.00', '1005.00']);

    expect(email.text).toContain('Prorated: target 100,000.00 USD × 45/90 days employed = 50,000.00 USD');
    expect(email.text).toContain('Credited: SPLIT (2026-02-20): 60% revenue share of 100,000.00 USD = 60,000.00 USD');
    expect(email.text).toContain('Credited: EURO (2026-03-05): own deal of 20,000.00 EUR at 1.085 EUR→USD (rate from 2026-03-01) = 21,700.00 USD');
    // A rep's own whole deals in USD count without being listed: said, so the list is not read as all of the measure.
    expect(email.text).toContain("- Credited deals: only deals counted through a share, a team or a currency conversion are listed; the rep's own deals, counted whole in the statement's currency, are not");

    const page = await (await fetch(linkTo(email.text, '/approvals'))).text();
    expect(page).toContain('<h2>Credited deals</h2><p class="muted">Only deals counted through a share, a team or a currency conversion are listed; the rep&#39;s own deals, counted whole in the statement&#39;s currency, are not.</p>');
    expect(page).toContain('SPLIT (2026-02-20): 60% revenue share of 100,000.00 USD = 60,000.00 USD');
    expect(page).toContain('EURO (2026-03-05): own deal of 20,000.00 EUR at 1.085 EUR→USD (rate from 2026-03-01) = 21,700.00 USD');
    expect(page).toContain('target 100,000.00 USD × 45/90 days employed = 50,000.00 USD');
  });
});

describe('a converted deal credited to a fraction of a cent', () => {
  it('is listed with every digit, so the listed deals add up to the measure', async () => {
    const workflowId = workflowIds.payout(rule.id, 'rep-3', PERIOD);
    await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [{ rule, repId: 'rep-3', period: PERIOD } satisfies PayoutInput] });
    const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });
    // 15,250 EUR × 1.1125 = 16,965.625 USD exactly; "16,965.63" added up a cent off a measure of several such deals.
    expect(email.text).toContain('Credited: CENTS (2026-03-25): own deal of 15,250.00 EUR at 1.1125 EUR→USD (rate from 2026-03-20) = 16,965.625 USD');
    const page = await (await fetch(linkTo(email.text, '/approvals'))).text();
    expect(page).toContain('CENTS (2026-03-25): own deal of 15,250.00 EUR at 1.1125 EUR→USD (rate from 2026-03-20) = 16,965.625 USD');
  });
});

describe('team credit', () => {
  it('lists every deal it counts, so no note says own deals are left off the list', async () => {
    await upsertRep(h.db, { id: 'mgr-1', name: 'Manager 1', email: 'mgr1@acme.example', team: 'EMEA', role: 'Manager', region: 'EMEA', manager: 'vp@acme.example', timezone: 'Europe/Berlin', start_date: null });
    const workflowId = workflowIds.payout(teamRule.id, 'mgr-1', PERIOD);
    await h.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h.taskQueue, args: [{ rule: teamRule, repId: 'mgr-1', period: PERIOD } satisfies PayoutInput] });
    const email = await h.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });
    expect(email.text).toContain('Credited: EURO (2026-03-05): team deal of 20,000.00 EUR');
    expect(email.text).not.toContain('Credited deals:');
    const page = await (await fetch(linkTo(email.text, '/approvals'))).text();
    expect(page).toContain('<h2>Credited deals</h2><ul');
  });
});
