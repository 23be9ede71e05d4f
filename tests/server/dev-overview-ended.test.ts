// The dev overview against a real Temporal dev server: a payout whose run an operator terminated
// is shown apart, as ended (how and when), not among the payouts waiting for approval, and a
// statement replaced by a later attempt (`payouts run` started it again) is not listed at all.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordStatement } from '../../src/data/statements.js';
import type { Statement } from '../../src/payouts/statement.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { type Harness, startHarness } from './harness.js';
import { specRule } from '../payouts/spec-rule.js';

let server: DevServerProcess;
let connection: Connection;
let dev: Harness;

const statement = (rep: string, repName: string): Statement => ({
  rule: 'AE commission FY26', ruleId: 'ae', ruleVersion: 'v1', rep, repName, period: '2026-Q1',
  currency: 'USD', measureMetric: 'revenue', measure: '160000.00', target: '100000.00', attainment: '160.00',
  lines: [{ kind: 'commission', description: 'marginal bands', amount: '15500.00' }], capped: false, total: '15500.00',
  rewards: [], warnings: [],
} as unknown as Statement);

beforeAll(async () => {
  server = await spawnDevServer({ dbFile: null });
  connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  dev = await startHarness({ dev: { outbox: true }, temporalClient: client, plan: { formatVersion: 1, hash: 'h', metrics: [], rules: [specRule()] } });
  // No worker polls this queue: the runs only need to exist, one going on and one terminated.
  const start = (workflowId: string) => client.workflow.start('payoutWorkflow', { workflowId, taskQueue: 'nobody-listens-here', args: [{}] });
  await start('payout:ae:rep-live:2026-Q1');
  await (await start('payout:ae:rep-ended:2026-Q1')).terminate('ops cleanup');
  await (await start('payout:ae:rep-redone:2026-Q1')).terminate('ops cleanup');
  await start('payout:ae:rep-redone:2026-Q1:attempt-2');
  await recordStatement(dev.db, 'payout:ae:rep-live:2026-Q1', statement('rep-live', 'Live Rep'), 'pending');
  await recordStatement(dev.db, 'payout:ae:rep-ended:2026-Q1', statement('rep-ended', 'Ended Rep'), 'pending');
  await recordStatement(dev.db, 'payout:ae:rep-redone:2026-Q1', statement('rep-redone', 'Redone Rep'), 'pending');
  await recordStatement(dev.db, 'payout:ae:rep-redone:2026-Q1:attempt-2', statement('rep-redone', 'Redone Rep'), 'pending');
});
afterAll(async () => {
  await dev?.close();
  await connection?.close();
  await server?.stop();
});

it('shows a payout whose run ended before a decision as ended, with how and when, and only the newest attempt of one started again', async () => {
  const page = await (await fetch(`${dev.url}/`)).text();
  const section = (id: string) => new RegExp(`<h2 id="${id}">[\\s\\S]*?</section>`).exec(page)?.[0] ?? '';
  const waiting = section('pending-heading');
  const ended = section('ended-heading');
  expect(waiting).toContain('Payouts waiting for approval (2)');
  expect(waiting).toContain('Live Rep');
  expect(waiting).toContain('payout:ae:rep-redone:2026-Q1:attempt-2');
  expect(waiting).not.toContain('Ended Rep');
  expect(waiting).not.toContain('<code>payout:ae:rep-redone:2026-Q1</code>');
  expect(ended).toContain('Payouts whose run ended before a decision (1)');
  expect(ended).toContain('Ended Rep');
  expect(ended).toMatch(/<td>terminated \d{4}-\d\d-\d\d \d\d:\d\d UTC<\/td>/);
  expect(ended).not.toContain('Redone Rep');
});
