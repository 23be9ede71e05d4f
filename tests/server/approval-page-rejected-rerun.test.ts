// The old link of a rejected statement that sales ops have run again since (`payouts run
// --rerun-rejected`): the manager must learn that a new statement waits for them, not read
// "already rejected" and think the matter closed. Read from the data source, with Temporal down.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decideStatement, recordStatement } from '../../src/data/statements.js';
import { signToken } from '../../src/tokens/index.js';
import { workflowIds } from '../../src/workflows/api.js';
import { type Harness, SECRET, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ temporalClient: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 1000 }) }) });
});
afterAll(async () => { await h?.close(); });

const statement = (total: string) => ({
  rule: 'AE commission', ruleId: 'ae', ruleVersion: 'v1', rep: 'rep-1', repName: 'Rep One', period: '2026-Q1', currency: 'USD',
  measure: '160000.00', target: '100000.00', attainment: '160', lines: [], capped: false, total, rewards: [], warnings: [],
});

async function rejected(repId: string): Promise<string> {
  const workflowId = workflowIds.payout('ae', repId, '2026-Q1');
  await recordStatement(h.db, workflowId, statement('15500.00') as never, 'pending', '2026-04-01T08:00:00.000Z');
  await decideStatement(h.db, workflowId, { status: 'rejected', by: 'mgr@acme.example', reason: 'D-7 is double counted' }, '2026-04-02T09:00:00.000Z');
  return workflowId;
}
const linkOf = (workflowId: string) =>
  `${h.url}/approvals/${signToken({ purpose: 'approval', workflowId, approver: 'mgr@acme.example', round: 0, exp: Date.now() + 3600_000 }, SECRET)}`;

it('says the statement was computed again and a newer email has the link', async () => {
  const workflowId = await rejected('rep-1');
  await recordStatement(h.db, workflowIds.nextPayoutAttempt(workflowId), statement('12000.00') as never, 'pending', '2026-04-03T08:00:00.000Z');
  const res = await fetch(linkOf(workflowId));
  expect(res.status).toBe(409);
  const page = await res.text();
  expect(page).toContain('This payout was already rejected');
  expect(page).toContain('The statement has been computed again since: a newer approval email has the link to the new one.');
});

it('says nothing of a new statement when it was not run again', async () => {
  const res = await fetch(linkOf(await rejected('rep-2')));
  expect(res.status).toBe(409);
  const page = await res.text();
  expect(page).toContain('This payout was already rejected');
  expect(page).not.toContain('computed again');
});
