// CRM changes a webhook cannot translate, over real HTTP on SQLite and PostgreSQL: a HubSpot batch
// with one bad change has its good changes stored (an older change of the same property after the
// bad one included) and the bad one recorded with its problem and the change as sent; the batch sent
// again records nothing twice; a rejected change taken later leaves the list; `salesflow status`
// and `salesflow crm rejected` show what was rejected, since the last apply and ever.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { countEvents, getEvent } from '../../src/data/events.js';
import { recordAppliedPlan } from '../../src/data/plans.js';
import { upsertRep } from '../../src/data/reps.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';
import { forEachDialect } from '../support/dialects.js';
import { type Harness, startHarness } from './harness.js';
import { postHubspot } from '../support/hubspot.js';

const APP_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const NOW = Date.parse('2026-03-02T12:00:00Z');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');

const change = (eventId: number, objectId: number, propertyName: string, propertyValue: string, occurredAt: number) => ({
  eventId, subscriptionId: 12345, portalId: 62515, appId: 54321, occurredAt, subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId, propertyName, propertyValue, changeSource: 'CRM',
});

interface Answer { status: string; rejected: number; results: { event: string; status: string; type?: string; detail?: string }[] }

forEachDialect('CRM changes a webhook cannot translate', (target) => {
  let h: Harness;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await target.fresh();
    h = await startHarness({
      env: { HUBSPOT_APP_SECRET: APP_SECRET, DATABASE_URL: databaseUrl },
      mappings: loadMappings([join(fixtures, 'rules')], fixtures).mappings,
      clock: () => NOW,
    });
    await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-ada', '501');
    for (const id of ['7001', '7002']) {
      await upsertDeal(h.db, { id, rep: 'r-ada', name: `Deal ${id}`, amount: '24000.00', currency: 'USD', stage: 'open', product: null, type: 'new', source: null, closed_at: null, contact: 'cio@globex.example' });
    }
  });
  afterAll(async () => { await h?.close(); });

  const send = async (batch: object[]) => {
    const res = await postHubspot({ url: h.url, publicUrl: h.config.publicUrl }, APP_SECRET, batch, NOW);
    return { status: res.status, body: (await res.json()) as Answer };
  };

  const batch = [
    change(701, 7001, 'amount', '31000.50', NOW - 40_000),
    // A stage this portal's mapping does not know, then (sent later, changed earlier) a known one.
    change(702, 7001, 'dealstage', '55555555', NOW - 20_000),
    change(703, 7001, 'dealstage', 'closedwon', NOW - 30_000),
    // An owner no rep carries.
    change(704, 7002, 'hubspot_owner_id', '999', NOW - 40_000),
  ];

  it('stores the good changes of a batch, records the bad ones with their problem and the change as sent, and answers 200', async () => {
    const before = await countEvents(h.db);
    const res = await send(batch);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'partly_rejected', rejected: 2 });
    expect(res.body.results).toEqual([
      { event: 'hubspot:701', type: 'deal.updated', status: 'accepted' },
      { event: 'hubspot:702', status: 'rejected', detail: expect.stringContaining('dealstage: unknown stage "55555555": map it under deal.stages in rules/crm/hubspot.yaml') },
      // The rejected change of the stage claims nothing: the older one after it is taken.
      { event: 'hubspot:703', type: 'deal.won', status: 'accepted' },
      { event: 'hubspot:704', status: 'rejected', detail: expect.stringContaining('owner "999" is no rep\'s crm_id, email or name') },
    ]);
    expect(await countEvents(h.db)).toBe(before + 2);
    expect(await getDeal(h.db, '7001')).toMatchObject({ amount: '31000.50', stage: 'won' });
    expect(await getDeal(h.db, '7002')).toMatchObject({ rep: 'r-ada', amount: '24000.00' });
    expect(await getEvent(h.db, 'hubspot:702')).toBeNull();

    const listed = await salesflow(['crm', 'rejected', '--format', 'json'], databaseUrl);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      { source: 'hubspot', vendorEventId: '704', entity: 'deal', recordId: '7002', message: expect.stringContaining('hubspot_owner_id: owner "999"'), raw: batch[3], rejectedAt: '2026-03-02T12:00:00.000Z' },
      { source: 'hubspot', vendorEventId: '702', entity: 'deal', recordId: '7001', message: expect.stringMatching(/^dealstage: unknown stage "55555555"/), raw: batch[1], rejectedAt: '2026-03-02T12:00:00.000Z' },
    ]);
  });

  it('the same batch sent again records nothing twice and stores nothing twice', async () => {
    const before = await countEvents(h.db);
    const res = await send(batch);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => r.status)).toEqual(['duplicate', 'rejected', 'duplicate', 'rejected']);
    expect(await countEvents(h.db)).toBe(before);
    const listed = await salesflow(['crm', 'rejected', '--format', 'json'], databaseUrl);
    expect((JSON.parse(listed.stdout) as { vendorEventId: string }[]).map((r) => r.vendorEventId)).toEqual(['704', '702']);
  });

  it('status and crm rejected show them; a rejected change taken when sent again (its owner imported meanwhile) leaves the list', async () => {
    const cwd = tempDir();
    const status = await salesflow(['status'], databaseUrl, cwd);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Rejected CRM changes: 2 in all (left out of their webhook requests, whose other changes were taken). Newest:\n' +
      '  2026-03-02T12:00:00.000Z  hubspot change 704 (deal 7002): hubspot_owner_id: owner "999"');
    expect(status.stdout).toContain('  2026-03-02T12:00:00.000Z  hubspot change 702 (deal 7001): dealstage: unknown stage "55555555"');
    expect(status.stdout).toContain('"salesflow crm rejected" lists them all (--source NAME for one CRM); once the cause is fixed, "salesflow crm retry" takes them.');

    const table = await salesflow(['crm', 'rejected'], databaseUrl);
    expect(table.stdout.split('\n').slice(0, 4)).toEqual([
      '2 rejected CRM change(s), newest first:',
      expect.stringMatching(/^REJECTED AT {15}SOURCE {3}CHANGE {2}RECORD {5}PROBLEM$/),
      expect.stringMatching(/^2026-03-02T12:00:00\.000Z {2}hubspot {2}704 {5}deal 7002 {2}hubspot_owner_id: owner "999"/),
      expect.stringMatching(/^2026-03-02T12:00:00\.000Z {2}hubspot {2}702 {5}deal 7001 {2}dealstage: unknown stage "55555555"/),
    ]);
    expect((await salesflow(['crm', 'rejected', '--source', 'zoho'], databaseUrl)).stdout).toMatch(/^No rejected CRM changes from zoho in /);

    // The owner is imported; HubSpot sends the change again: it is taken and no longer listed.
    await upsertRep(h.db, { id: 'r-new', name: 'Noor', email: 'noor@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-new', '999');
    const again = await send([batch[3]]);
    expect(again.body.results).toEqual([{ event: 'hubspot:704', type: 'deal.updated', status: 'accepted' }]);
    expect(await getDeal(h.db, '7002')).toMatchObject({ rep: 'r-new' });
    const left = JSON.parse((await salesflow(['crm', 'rejected', '--format', 'json', '--source', 'hubspot'], databaseUrl)).stdout) as { vendorEventId: string }[];
    expect(left.map((r) => r.vendorEventId)).toEqual(['702']);

    // After an apply (a mapping fixed, say), status tells the rejections since apart from the older ones.
    await recordAppliedPlan(h.db, {
      hash: 'a'.repeat(64), planJson: JSON.stringify({ formatVersion: 1, hash: 'a'.repeat(64), metrics: [], rules: [] }), ruleHashes: {}, ruleCount: 0,
      appliedAt: '2026-03-02T12:30:00.000Z', gitCommit: null, gitDirty: null, rulePaths: ['rules/'],
    });
    const afterApply = await salesflow(['status', '--format', 'json'], databaseUrl, cwd);
    expect(JSON.parse(afterApply.stdout)).toMatchObject({ crmRejected: { total: 1, sinceApply: 0, newest: [{ vendorEventId: '702' }] } });
    expect((await salesflow(['status'], databaseUrl, cwd)).stdout).toContain('Rejected CRM changes: 0 since the applied plan was applied, 1 in all');
  });
});
