// `salesflow crm retry` on SQLite and PostgreSQL with a real Temporal dev server: HubSpot changes
// rejected by a real webhook request (a stage the mapping did not know, an owner no rep carries,
// one superseded since by a newer change of its deal) are run again after the stage is added to
// the mapping and applied: the stage change is taken and routed (its sequence starts), the
// superseded one leaves the list without overwriting the newer stage, the owner change stays
// rejected with its problem; a second retry takes nothing twice.
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { countEvents, getEvent } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';
import { type Harness, startHarness } from '../server/harness.js';
import { forEachDialect } from '../support/dialects.js';

const APP_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const NOW = Date.parse('2026-03-02T12:00:00Z');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const rules = 'sequence "Thanks after win" {\n  on deal.won\n  send "thanks" to deal.contact\n}\n';
const thanks = '---\nsubject: Thank you\n---\nThanks, {{deal.name}}.\n';

let temporal: DevServerProcess;
let connection: Connection;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  temporal = await spawnDevServer({ dbFile: null });
  connection = await Connection.connect({ address: temporal.address });
  for (const [name, value] of Object.entries({ TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: 'crm-retry' })) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await connection?.close();
  await temporal?.stop();
});

const change = (eventId: number, objectId: number, propertyName: string, propertyValue: string, occurredAt: number) => ({
  eventId, subscriptionId: 12345, portalId: 62515, appId: 54321, occurredAt, subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId, propertyName, propertyValue, changeSource: 'CRM',
});

forEachDialect('salesflow crm retry', (target) => {
  let h: Harness;
  let databaseUrl: string;
  // Deal ids per data source: both share one Temporal, where a run's id is its deal's.
  const base = target.dialect === 'sqlite' ? 7100 : 7200;
  beforeAll(async () => {
    databaseUrl = await target.fresh();
    h = await startHarness({
      env: { HUBSPOT_APP_SECRET: APP_SECRET, DATABASE_URL: databaseUrl },
      mappings: loadMappings([join(fixtures, 'rules')], fixtures).mappings,
      clock: () => NOW,
    });
    await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-ada', '501');
    for (const id of [base + 1, base + 2, base + 3]) {
      await upsertDeal(h.db, { id: String(id), rep: 'r-ada', name: `Deal ${id}`, amount: '24000.00', currency: 'USD', stage: 'open', product: null, type: 'new', source: null, closed_at: null, contact: `cio-${id}@globex.example` });
    }
  });
  afterAll(async () => { await h?.close(); });

  const send = async (batch: object[]) => {
    const body = JSON.stringify(batch);
    const signature = createHmac('sha256', APP_SECRET).update(`POST${h.config.publicUrl}/webhooks/hubspot${body}${NOW}`).digest('base64');
    const res = await fetch(`${h.url}/webhooks/hubspot`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(NOW) }, body,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { results: { status: string }[] };
  };

  it('takes the rejected changes the applied mapping now translates, leaves the superseded ones, keeps the rest', async () => {
    const rejected = await send([
      change(base * 10 + 1, base + 1, 'dealstage', '55555555', NOW - 50_000),
      change(base * 10 + 2, base + 2, 'hubspot_owner_id', '999', NOW - 50_000),
      change(base * 10 + 3, base + 3, 'dealstage', '55555555', NOW - 50_000),
    ]);
    expect(rejected.results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    // Deal 3 is lost in HubSpot since: the rejected stage change is superseded.
    expect((await send([change(base * 10 + 4, base + 3, 'dealstage', 'closedlost', NOW - 10_000)])).results.map((r) => r.status)).toEqual(['accepted']);

    // The stage is added to the mapping and applied.
    const checkout = tempDir();
    for (const [path, text] of Object.entries({ 'rules/won.rules': rules, 'rules/templates/thanks.md': thanks, 'rules/crm/hubspot.yaml': 'preset: hubspot\ndeal:\n  stages:\n    "55555555": won\n' })) {
      mkdirSync(dirname(join(checkout, path)), { recursive: true });
      writeFileSync(join(checkout, path), text);
    }
    const applied = await salesflow(['apply', 'rules'], databaseUrl, checkout);
    expect(applied.code, applied.stderr).toBe(0);

    const retried = await salesflow(['crm', 'retry'], databaseUrl, tempDir());
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.split('\n')).toEqual([
      'hubspot: 3 rejected change(s) tried: 2 taken or no longer needed, 1 still rejected',
      expect.stringMatching(new RegExp(`^ {2}hubspot:${base * 10 + 1} {2}accepted deal\\.won$`)),
      expect.stringMatching(new RegExp(`^ {2}hubspot:${base * 10 + 2} {2}rejected: hubspot_owner_id: owner "999" is no rep's crm_id, email or name`)),
      `  ${base * 10 + 3}  older: a newer change of this record was already taken; nothing changed`,
      '',
    ]);
    expect(await getDeal(h.db, String(base + 1))).toMatchObject({ stage: 'won' });
    expect((await getEvent(h.db, `hubspot:${base * 10 + 1}`))?.type).toBe('deal.won');
    expect(await getDeal(h.db, String(base + 3))).toMatchObject({ stage: 'lost' });
    // Routed as the webhook routes: the applied plan's sequence started for the won deal.
    const run = await new Client({ connection }).workflow.getHandle(`seq:thanks-after-win:deal:${base + 1}`).describe();
    expect(run.status.name).toBe('RUNNING');

    const left = JSON.parse((await salesflow(['crm', 'rejected', '--format', 'json'], databaseUrl)).stdout) as { vendorEventId: string; message: string }[];
    expect(left).toEqual([expect.objectContaining({ vendorEventId: String(base * 10 + 2), message: expect.stringContaining('owner "999"') })]);

    // Again: the one still rejected is tried again; nothing is taken twice.
    const events = await countEvents(h.db);
    const again = await salesflow(['crm', 'retry', '--source', 'hubspot'], databaseUrl, tempDir());
    expect(again.stdout).toContain('hubspot: 1 rejected change(s) tried: 0 taken or no longer needed, 1 still rejected');
    expect(await countEvents(h.db)).toBe(events);
  });
});
