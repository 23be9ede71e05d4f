// An approval POST whose reason carries a NUL character (no textarea sends one; a crafted or
// scripted POST can), against the real payout workflow with its data source on PostgreSQL, which
// cannot store NUL in text.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { getStatement } from '../../src/data/statements.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { workflowIds, type PayoutInput } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { linkTo, type LoopHarness, startLoop } from './temporal-harness.js';

const rule: IncentiveRule = specRule({
  id: 'nul-reason',
  approval: {
    approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
    within: { amount: '5', unit: 'days' },
    escalations: [],
    otherwise: 'approve',
  },
});

let pg: TestPostgres | undefined;
let h: LoopHarness | undefined;

beforeAll(async () => {
  if (postgresUnavailable) return;
  pg = await startPostgres();
  h = await startLoop('reason-nul', { formatVersion: 1, hash: 'nul', metrics: [], rules: [rule] }, { env: { DATABASE_URL: await pg.createDatabase('reason_nul') } });
});
afterAll(async () => {
  await h?.close();
  pg?.stop();
});

it.skipIf(postgresUnavailable !== null)('a reject whose reason has a NUL is recorded with the reason, without the NUL, and the rep is told', async () => {
  await upsertRep(h!.db, { id: 'rn', name: 'Rep N', email: 'rn@acme.example', team: null, role: 'AE', region: null, manager: 'mgr-rn@acme.example', timezone: null, start_date: null });
  await upsertDeal(h!.db, { id: 'rn-d', rep: 'rn', name: 'Deal', amount: '160000', currency: 'USD', stage: 'won', product: 'Platform', type: 'new', source: null, closed_at: '2026-02-10', contact: null });
  const workflowId = workflowIds.payout(rule.id, 'rn', '2026-Q1');
  const input: PayoutInput = { rule, repId: 'rn', period: '2026-Q1' };
  await h!.testEnv.client.workflow.start('payoutWorkflow', { workflowId, taskQueue: h!.taskQueue, args: [input] });
  const email = await h!.waitForEmail((r) => r.workflow_id === workflowId && r.text.includes('/approvals/'), { workflowId });
  const res = await fetch(linkTo(email.text, '/approvals'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ decision: 'reject', reason: 'Deal rn-d is\u0000 double counted' }).toString(),
  });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('Payout rejected');
  await h!.testEnv.client.workflow.getHandle(workflowId).result();
  expect(await getStatement(h!.db, workflowId)).toMatchObject({ status: 'rejected', reason: 'Deal rn-d is double counted' });
  const told = await h!.waitForEmail((r) => r.workflow_id === workflowId && r.template === 'incentive-rejected' && r.to_addr === 'rn@acme.example', { workflowId });
  expect(told.text).toContain('Reason: Deal rn-d is double counted');
}, 60_000);
