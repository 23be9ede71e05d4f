// A payout run terminated before its decision, on PostgreSQL: `payouts export` says it ended (not
// that it awaits approval), `payouts run` starts the next attempt, and once that one is approved the
// ledger holds one row and the export names neither attempt as open.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { exportLedger } from '../../src/data/ledger.js';
import { upsertRep } from '../../src/data/reps.js';
import { getStatement } from '../../src/data/statements.js';
import { parsePeriod, type Period } from '../../src/payouts/period.js';
import { describePayoutRuns, selectIncentives, startPayouts } from '../../src/runtime/payouts-run.js';
import { decideUpdate, type PayoutResult } from '../../src/workflows/api.js';
import { salesflow } from '../data/cli.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { fieldEquals, incentiveRule, planOf } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';
import { withEnv } from './support/with-env.js';

const skipped = postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : '';
const q1 = (parsePeriod('2026-Q1') as { ok: true; period: Period }).period;

describe.skipIf(postgresUnavailable !== null)(`a payout run ended before its decision, on PostgreSQL${skipped}`, () => {
  let pg: TestPostgres;
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('ended_runs');
    h = await startHarness('payouts-ended-pg', url);
  });
  afterAll(async () => {
    await h?.close();
    pg?.stop();
  });

  test('export says it ended, payouts run starts it again, and the approved attempt is paid once', async () => {
    const rule = {
      ...incentiveRule('pg-ended'), name: 'PG commission', reps: fieldEquals('rep', 'role', 'AE'),
      approval: {
        approver: { kind: 'field' as const, entity: 'rep' as const, field: 'manager', holds: 'email' as const },
        within: { amount: '5', unit: 'days' as const }, escalations: [], otherwise: 'reject' as const,
      },
    };
    await upsertRep(h.db, {
      id: 'r-pg', name: 'Pat Gee', email: 'pat@acme.example', team: 'NA AEs', role: 'AE', region: 'NA',
      manager: 'pg-boss@acme.example', timezone: 'America/New_York', start_date: null,
    });
    await upsertDeal(h.db, {
      id: 'D-pg', rep: 'r-pg', name: 'Deal', amount: '30000', currency: 'USD', stage: 'won', product: 'Platform',
      type: 'new', source: null, closed_at: '2026-02-10', contact: null,
    });
    const selection = selectIncentives(planOf([rule]), q1, undefined, new Date('2026-04-02T12:00:00Z'));
    if (!selection.ok) throw new Error(selection.message);
    const deps = { client: h.client, db: h.db, config: h.config };
    await startPayouts(deps, selection.rules, q1);
    await h.waitForMail('pg-boss@acme.example');
    const first = 'payout:pg-ended:r-pg:2026-Q1';
    await h.client.workflow.getHandle(first).terminate('ops cleanup');

    const env = { TEMPORAL_ADDRESS: h.server.address, TEMPORAL_NAMESPACE: h.server.namespace };
    const ended = await withEnv(env, () => salesflow(['payouts', 'export', '--period', '2026-Q1'], url));
    expect(ended.code).toBe(0);
    expect(ended.stderr).toMatch(/can no longer be approved: its run ended before a decision: PG commission \/ r-pg \(terminated \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    expect(ended.stderr).not.toContain('still await');

    const second = `${first}:attempt-2`;
    expect(describePayoutRuns(selection.rules, q1, await startPayouts(deps, selection.rules, q1))).toContain(`started again  Pat Gee (r-pg)  ${second}  (a new statement; the last run, ${first}, ended before a decision`);
    await h.waitForMail('pg-boss@acme.example', 2);
    const open = await withEnv(env, () => salesflow(['payouts', 'export', '--period', '2026-Q1'], url));
    expect(open.stderr).toContain('note: 1 statement of 2026-Q1 still awaits approval and is not in this export: PG commission / r-pg');
    expect(open.stderr).not.toContain('can no longer be approved');

    const handle = h.client.workflow.getHandle(second);
    await handle.executeUpdate(decideUpdate, { args: [{ approver: 'pg-boss@acme.example', round: 0, decision: 'approve' }] });
    expect(((await handle.result()) as PayoutResult).ledgerEntryCreated).toBe(true);
    expect((await exportLedger(h.db, '2026-Q1')).map((e) => [e.rep, e.amount, e.workflowId])).toEqual([['r-pg', '3000.00', second]]);
    expect((await getStatement(h.db, first))?.status).toBe('pending');
    const paid = await withEnv(env, () => salesflow(['payouts', 'export', '--period', '2026-Q1'], url));
    expect(paid.stderr).toBe('1 approved payout for 2026-Q1\n');
  });
});

