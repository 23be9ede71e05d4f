import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { countEvents, recordEventOnce } from '../../src/data/events.js';
import { getLead } from '../../src/data/leads.js';
import { claimOutbox, getOutbox, listOutbox, markSent } from '../../src/data/outbox.js';
import { decideStatement, getStatement, listStatements, recordStatement } from '../../src/data/statements.js';
import { isSuppressed, suppress } from '../../src/data/suppressions.js';
import type { Statement } from '../../src/payouts/statement.js';
import { parseEvent } from '../../src/events/schema.js';
import { tempDir } from './tmp.js';

const statement: Statement = {
  rule: 'AE commission FY26', ruleId: 'ae', ruleVersion: 'v1', rep: 'r1', repName: 'Ada', period: '2026-Q1', currency: 'USD',
  measureMetric: 'revenue', measure: '160000.00', target: '100000.00', attainment: '160.00',
  lines: [{ kind: 'commission', description: 'x', amount: '15500.00' }], capped: false, total: '15500.00', rewards: [], warnings: [],
};

describe('stores', () => {
  it('records an event once and stores the entity it carries; a duplicate changes nothing', async () => {
    const db = await openDatabase(join(tempDir(), 's.db'));
    const first = parseEvent(JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L1', email: 'bob@globex.example', name: 'Bob' } }));
    const dup = parseEvent(JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L1', email: 'bob@globex.example', name: 'Robert' } }));
    if (!first.ok || !dup.ok) throw new Error('bad event');
    expect(await recordEventOnce(db, first.event)).toBe('new');
    expect(await recordEventOnce(db, dup.event)).toBe('duplicate');
    expect((await getLead(db, 'L1'))?.name).toBe('Bob');
    expect(await countEvents(db)).toBe(1);
    const won = parseEvent(JSON.stringify({ id: 'e2', type: 'deal.won', occurred_at: '2026-03-02T10:00:00Z', deal: { id: 'D1', rep: 'r1', amount: '5000.25', currency: 'USD', stage: 'won', closed_at: '2026-03-02' } }));
    if (!won.ok) throw new Error(won.message);
    expect(await recordEventOnce(db, won.event)).toBe('new');
    expect(await getDeal(db, 'D1')).toMatchObject({ amount: '5000.25', stage: 'won' });
    await db.close();
  });

  it('an outbox key is claimed once; suppressions are case-insensitive', async () => {
    const db = await openDatabase(join(tempDir(), 's.db'));
    const message = { key: 'seq:w:lead:L1:s1:bob@globex.example', workflow_id: 'seq:w:lead:L1', rule_id: 'w', template: 't', to_addr: 'bob@globex.example', from_addr: 'ops@acme.example', subject: 'Hi', html: '<p>Hi</p>', text: 'Hi', headers: { 'List-Unsubscribe': '<https://x/u>' } };
    expect((await claimOutbox(db, message)).created).toBe(true);
    const again = await claimOutbox(db, { ...message, subject: 'changed' });
    expect(again).toMatchObject({ created: false, row: { subject: 'Hi', status: 'pending' } });
    await markSent(db, message.key, '<m1@acme.example>');
    expect(await getOutbox(db, message.key)).toMatchObject({ status: 'sent', message_id: '<m1@acme.example>', headers: message.headers });
    expect((await listOutbox(db)).map((r) => r.key)).toEqual([message.key]);
    expect(await suppress(db, 'Bob@Globex.example', 'unsubscribed')).toBe(true);
    expect(await suppress(db, 'bob@globex.example', 'again')).toBe(false);
    expect(await isSuppressed(db, 'BOB@globex.example')).toBe(true);
    await db.close();
  });

  it('a statement is recorded once and decided once', async () => {
    const db = await openDatabase(join(tempDir(), 's.db'));
    expect(await recordStatement(db, 'payout:ae:r1:2026-Q1', statement, 'pending')).toBe(true);
    expect(await recordStatement(db, 'payout:ae:r1:2026-Q1', { ...statement, total: '1.00' }, 'pending')).toBe(false);
    expect(await decideStatement(db, 'payout:ae:r1:2026-Q1', { status: 'approved', by: 'grace@acme.example' })).toBe(true);
    expect(await decideStatement(db, 'payout:ae:r1:2026-Q1', { status: 'rejected', by: 'vp@acme.example', reason: 'late' })).toBe(false);
    expect(await getStatement(db, 'payout:ae:r1:2026-Q1')).toMatchObject({ status: 'approved', decidedBy: 'grace@acme.example', statement: { total: '15500.00' } });
    expect(await listStatements(db, { period: '2026-Q1' })).toHaveLength(1);
    await db.close();
  });
});
