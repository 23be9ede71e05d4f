// The worker's activities on PostgreSQL: a sequence with a 30-day wait sends each email once, also
// when the send activity is retried after it already mailed (the outbox row and its send lease
// are in PostgreSQL), and a payout without an approval block records its statement and ledger row there.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertLead } from '../../src/data/leads.js';
import { exportLedger } from '../../src/data/ledger.js';
import { listOutbox } from '../../src/data/outbox.js';
import { upsertRep } from '../../src/data/reps.js';
import { getStatement } from '../../src/data/statements.js';
import type { Statement } from '../../src/payouts/statement.js';
import { workflowIds } from '../../src/workflows/api.js';
import { payoutWorkflow } from '../../src/workflows/payout.js';
import { sequenceWorkflow } from '../../src/workflows/sequence.js';
import { specRule } from '../payouts/spec-rule.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { startHarness, type Harness } from './support/harness.js';
import { sequenceRule, step, template } from './support/rules.js';

const skipped = postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : '';

describe.skipIf(postgresUnavailable !== null)(`the worker on PostgreSQL${skipped}`, () => {
  let pg: TestPostgres;
  let h: Harness;
  beforeAll(async () => {
    pg = await startPostgres();
    h = await startHarness('postgres', undefined, { databaseUrl: await pg.createDatabase('worker') });
    await upsertRep(h.db, {
      id: 'r-ada', name: 'Ada Rep', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
      manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null,
    });
  });
  afterAll(async () => {
    await h?.close();
    pg?.stop();
  });

  test('a sequence mails each step once, even when a send is retried after it mailed', async () => {
    const lead = { id: 'L-pg', name: 'Lin', email: 'lin@prospect.example', company: null, source: 'webinar', stage: 'new', owner: 'r-ada', timezone: 'UTC', score: '10' };
    await upsertLead(h.db, lead);
    const rule = sequenceRule({
      id: 'pg-nurture',
      templates: [template('hello', 'Hello {{lead.name}}', 'Hi.'), template('later', 'Still there?', 'Hi again.')],
      steps: [step.send('hello'), step.wait(30, 'days'), step.send('later')],
    });
    h.failAfterWork('sendToCurrentRecipient');
    const handle = await h.testEnv.client.workflow.start(sequenceWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', lead.id), args: [{ rule, subject: { kind: 'lead', lead } }],
    });
    const result = await handle.result();
    expect(result.outcome).toBe('completed');
    expect(h.mail.to(lead.email).map((m) => m.subject)).toEqual(['Hello Lin', 'Still there?']);
    expect((await listOutbox(h.db, { to: lead.email })).map((r) => r.status)).toEqual(['sent', 'sent']);
    expect(h.calls.get('sendToCurrentRecipient')).toBe(3); // the first send ran twice, mailed once
  });

  test('a payout without an approval block is approved once: statement and ledger row in PostgreSQL', async () => {
    await upsertDeal(h.db, {
      id: 'D-pg', rep: 'r-ada', name: 'Deal', amount: '120000', currency: 'USD', stage: 'won', product: 'Core', type: 'new',
      source: null, closed_at: '2026-02-01', contact: null,
    });
    const rule = specRule({ id: 'pg-ae', cap: null, reps: null });
    const workflowId = workflowIds.payout(rule.id, 'r-ada', '2026-Q1');
    const result = await h.testEnv.client.workflow.execute(payoutWorkflow, {
      taskQueue: h.taskQueue, workflowId, args: [{ rule, repId: 'r-ada', period: '2026-Q1' }],
    });
    expect(result.decision?.decidedBy).toBe('auto');
    const { total } = result.statement as Statement;
    expect(await getStatement(h.db, workflowId)).toMatchObject({ status: 'approved', statement: { rep: 'r-ada', total } });
    expect((await exportLedger(h.db, '2026-Q1')).map((e) => [e.ruleId, e.rep, e.amount])).toEqual([['pg-ae', 'r-ada', total]]);
    expect(Number(total)).toBeGreaterThan(0);
  });
});
