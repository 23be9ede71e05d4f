// `salesflow crm retry` on SQLite and PostgreSQL with a real Temporal dev server: HubSpot changes
// rejected by a real webhook request (a stage the mapping did not know, an owner no rep carries,
// one superseded since by a newer change of its deal) are run again after the stage is added to
// the mapping and applied: the stage change is taken and routed (its sequence starts), the
// superseded one leaves the list without overwriting the newer stage, the owner change stays
// rejected with its problem; a second retry takes nothing twice. Salesforce and a generic JSON source
// (its event id in the envelope, not the record) are rebuilt from what was recorded and taken too.
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { recordCrmRejections } from '../../src/data/crm-rejections.js';
import { countEvents, getEvent } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';
import { type Harness, startHarness } from '../server/harness.js';
import { forEachDialect } from '../support/dialects.js';
import { postHubspot } from '../support/hubspot.js';

const APP_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const NOW = Date.parse('2026-03-02T12:00:00Z');
/** The server's clock: NOW, moved on by a test whose order depends on when changes arrive. */
let serverNow = NOW;
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const rules = 'sequence "Thanks after win" {\n  on deal.won\n  send "thanks" to deal.contact\n}\n';
const thanks = '---\nsubject: Thank you\n---\nThanks, {{deal.name}}.\n';
const FXIAOKE_SECRET = 'fxiaoke-secret-abcdefghijklmnop';
const fxiaokeMapping = readFileSync(join(fixtures, 'rules', 'crm', 'fxiaoke.yaml'), 'utf8');
// The Fxiaoke mapping as a source that sends no last-modified time (no webhook.version).
const timelessMapping = fxiaokeMapping.replace(/^ {2}version: .*\n/m, '');
const TIMELESS_SECRET = 'timeless-secret-abcdefghijklmnop';
const ZOHO_SECRET = 'zoho-shared-secret-0123456789';
const envelope = readFileSync(join(fixtures, 'payloads', 'salesforce-outbound.xml'), 'utf8');

/** A checkout whose rules/ `salesflow apply` records: the won sequence and the given CRM mappings. */
function checkout(crm: Record<string, string>): string {
  const dir = tempDir();
  const files = { 'rules/won.rules': rules, 'rules/templates/thanks.md': thanks, ...Object.fromEntries(Object.entries(crm).map(([name, text]) => [`rules/crm/${name}.yaml`, text])) };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A rules folder with only the timeless source's mapping (stages as given), as the server runs it. */
function timelessRules(extraStages = ''): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'crm'), { recursive: true });
  writeFileSync(join(dir, 'crm', 'timeless.yaml'), timelessMapping.replace('    lose: lost\n', `    lose: lost\n${extraStages}`));
  return dir;
}

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
      env: {
        HUBSPOT_APP_SECRET: APP_SECRET, DATABASE_URL: databaseUrl, SALESFORCE_ORG_ID: '00D5g000004ABCD',
        SALESFLOW_WEBHOOK_SECRET_FXIAOKE: FXIAOKE_SECRET, SALESFLOW_WEBHOOK_SECRET_TIMELESS: TIMELESS_SECRET, ZOHO_WEBHOOK_SECRET: ZOHO_SECRET,
      },
      mappings: [...loadMappings([join(fixtures, 'rules')], fixtures).mappings, ...loadMappings([timelessRules()], tempDir()).mappings],
      clock: () => serverNow,
    });
    await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-ada', '501');
    for (const id of [base + 1, base + 2, base + 3]) {
      await upsertDeal(h.db, { id: String(id), rep: 'r-ada', name: `Deal ${id}`, amount: '24000.00', currency: 'USD', stage: 'open', product: null, type: 'new', source: null, closed_at: null, contact: `cio-${id}@globex.example` });
    }
  });
  afterAll(async () => { await h?.close(); });

  const send = async (batch: object[]) => {
    const res = await postHubspot({ url: h.url, publicUrl: h.config.publicUrl }, APP_SECRET, batch, NOW);
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
    const applied = await salesflow(['apply', 'rules'], databaseUrl, checkout({ hubspot: 'preset: hubspot\ndeal:\n  stages:\n    "55555555": won\n' }));
    expect(applied.code, applied.stderr).toBe(0);

    const retried = await salesflow(['crm', 'retry'], databaseUrl, tempDir());
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.split('\n')).toEqual([
      'hubspot: 3 rejected change(s) tried: 2 taken or no longer needed, 1 still rejected',
      expect.stringMatching(new RegExp(`^ {2}hubspot:${base * 10 + 1} {2}accepted deal\\.won$`)),
      expect.stringMatching(new RegExp(`^ {2}hubspot:${base * 10 + 2} {2}rejected: hubspot_owner_id: owner "999" is no rep's crm_id, email or name`)),
      `  hubspot:${base * 10 + 3}  older: a newer change of this record was already taken; nothing changed`,
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

  it('Salesforce (an owner imported since) and a JSON source (a stage added, its event id in the envelope) are taken from what was recorded', async () => {
    const opportunity = `${target.dialect}-0065g00000Rtry1AAA`;
    const notification = `04l5g00000Rtry1AAV${target.dialect}`;
    const sf = envelope.replace(/<Notification>[\s\S]*<\/Notification>/, `<Notification><Id>${notification}</Id>
      <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
       <sf:Id>${opportunity}</sf:Id><sf:Amount>9000</sf:Amount><sf:Name>Wayne Enterprises</sf:Name>
       <sf:LastModifiedDate>2026-03-01T10:00:00.000Z</sf:LastModifiedDate><sf:OwnerId>0055g00000Usr09AAA</sf:OwnerId>
       <sf:StageName>Closed Won</sf:StageName><sf:CloseDate>2026-03-01</sf:CloseDate></sObject></Notification>`);
    const acked = await fetch(`${h.url}/webhooks/salesforce`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body: sf });
    expect(await acked.text()).toContain('<Ack>true</Ack>');

    const fxDeal = `${target.dialect}-fx-opp-9`;
    const body = JSON.stringify({ event_id: 'evt-retry', data: [
      { object_api_name: 'NewOpportunityObj', _id: fxDeal, name: '华为云项目', amount: '880000.00', currency: 'CNY', sales_stage: 'stage-7', close_date: 1772380800000, owner: 'FSUID_1001', contact_email: 'zhang@customer.example', last_modified_time: 1772380800000 },
    ] });
    await upsertRep(h.db, { id: 'r-li', name: 'Li Na', email: 'li@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-li', 'FSUID_1001');
    const fx = await fetch(`${h.url}/webhooks/generic/fxiaoke`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Fs-Signature': `sha256=${createHmac('sha256', FXIAOKE_SECRET).update(body).digest('hex')}` }, body,
    });
    expect(await fx.json()).toMatchObject({ results: [{ event: `fxiaoke:evt-retry:${fxDeal}`, status: 'rejected' }] });

    // The Salesforce user is imported as a rep; the Fxiaoke stage is mapped and applied.
    await upsertRep(h.db, { id: 'r-sam', name: 'Sam', email: 'sam@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-sam', '0055g00000Usr09AAA');
    const applied = await salesflow(['apply', 'rules'], databaseUrl, checkout({
      hubspot: 'preset: hubspot\ndeal:\n  stages:\n    "55555555": won\n',
      fxiaoke: fxiaokeMapping.replace('    lose: lost\n', '    lose: lost\n    stage-7: won\n'),
    }));
    expect(applied.code, applied.stderr).toBe(0);

    const retried = await salesflow(['crm', 'retry'], databaseUrl, tempDir());
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`fxiaoke: 1 rejected change(s) tried: 1 taken or no longer needed, 0 still rejected\n  fxiaoke:evt-retry:${fxDeal}  accepted deal.won`);
    expect(retried.stdout).toContain(`salesforce: 1 rejected change(s) tried: 1 taken or no longer needed, 0 still rejected\n  salesforce:${notification}  accepted deal.won`);
    expect(await getDeal(h.db, opportunity)).toMatchObject({ stage: 'won', rep: 'r-sam', amount: '9000' });
    expect(await getDeal(h.db, fxDeal)).toMatchObject({ stage: 'won', rep: 'r-li', amount: '880000.00' });
    const left = JSON.parse((await salesflow(['crm', 'rejected', '--format', 'json'], databaseUrl)).stdout) as { source: string }[];
    expect(left.map((r) => r.source)).toEqual(['hubspot']);
  });

  it('a source that sends no change time: a rejected change retried after a newer one was taken leaves the list without undoing it', async () => {
    const deal = `${target.dialect}-timeless-1`;
    await upsertRep(h.db, { id: 'r-li', name: 'Li Na', email: 'li@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-li', 'FSUID_1001');
    const post = async (eventId: string, stage: string) => {
      const body = JSON.stringify({ event_id: eventId, data: [
        { object_api_name: 'NewOpportunityObj', _id: deal, name: 'Umbrella', amount: '5000.00', currency: 'CNY', sales_stage: stage, close_date: 1772380800000, owner: 'FSUID_1001', contact_email: 'buyer@umbrella.example' },
      ] });
      const res = await fetch(`${h.url}/webhooks/generic/timeless`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'X-Fs-Signature': `sha256=${createHmac('sha256', TIMELESS_SECRET).update(body).digest('hex')}` }, body,
      });
      return ((await res.json()) as { results: { status: string }[] }).results.map((r) => r.status);
    };
    try {
      // The deal is won in the CRM (a stage the mapping does not know yet: rejected), then lost.
      expect(await post('evt-won', 'stage-7')).toEqual(['rejected']);
      serverNow = NOW + 5_000;
      expect(await post('evt-lost', 'lose')).toEqual(['accepted']);
    } finally {
      serverNow = NOW;
    }
    expect(await getDeal(h.db, deal)).toMatchObject({ stage: 'lost' });

    // The stage is mapped and applied; the retried win is older than the loss taken since.
    const applied = await salesflow(['apply', 'rules'], databaseUrl, checkout({
      hubspot: 'preset: hubspot\ndeal:\n  stages:\n    "55555555": won\n',
      fxiaoke: fxiaokeMapping.replace('    lose: lost\n', '    lose: lost\n    stage-7: won\n'),
      timeless: readFileSync(join(timelessRules('    stage-7: won\n'), 'crm', 'timeless.yaml'), 'utf8'),
    }));
    expect(applied.code, applied.stderr).toBe(0);
    const retried = await salesflow(['crm', 'retry', '--source', 'timeless'], databaseUrl, tempDir());
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`timeless: 1 rejected change(s) tried: 1 taken or no longer needed, 0 still rejected\n  timeless:evt-won:${deal}  older: a newer change of this record was already taken; nothing changed`);
    expect(await getDeal(h.db, deal)).toMatchObject({ stage: 'lost' });
    expect(await getEvent(h.db, `timeless:evt-won:${deal}`)).toBeFalsy();
    const left = JSON.parse((await salesflow(['crm', 'rejected', '--format', 'json', '--source', 'timeless'], databaseUrl)).stdout) as unknown[];
    expect(left).toEqual([]);
  });
  it('Zoho: a change rejected for its owner is taken once the owner is imported, its event id (with the digest of its values) read again from what was recorded; one recorded under the older id form too', async () => {
    // 19-digit ids as JSON numbers, as Zoho's Raw body sends them.
    const dealId = target.dialect === 'sqlite' ? '4150868000007100001' : '4150868000007200001';
    const legacyId = target.dialect === 'sqlite' ? '4150868000007100002' : '4150868000007200002';
    const record = (id: string, minute: string) => ({ module: 'Deals', id, Deal_Name: 'Initech', Amount: '4200.00', Currency: 'USD', Stage: 'Closed Won', Closing_Date: 'Mar 1, 2026', Owner: '4150868000000777001', Contact_Email: 'bill@initech.example', Modified_Time: `Mar 1, 2026 10:${minute} AM` });
    const body = JSON.stringify(record(dealId, '30')).replace(`"${dealId}"`, dealId).replace('"4150868000000777001"', '4150868000000777001');
    const res = await fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Token': ZOHO_SECRET }, body });
    const answer = (await res.json()) as { results: { event: string; status: string }[] };
    expect(answer.results).toEqual([expect.objectContaining({ status: 'rejected', event: expect.stringMatching(new RegExp(`^zoho:${dealId}:Mar 1, 2026 10:30 AM:[0-9a-f]{12}$`)) })]);
    // A change recorded as rejected by an earlier version, whose event id was id:Modified_Time.
    await recordCrmRejections(h.db, [{ source: 'zoho', vendorEventId: `${legacyId}:Mar 1, 2026 10:31 AM`, entity: 'deal', recordId: legacyId, message: 'Owner: owner "4150868000000777001" is no rep\'s crm_id', raw: record(legacyId, '31'), rejectedAt: '2026-03-01T10:31:05.000Z' }]);

    await upsertRep(h.db, { id: 'r-bill', name: 'Bill', email: 'bill@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(h.db, 'r-bill', '4150868000000777001');
    const retried = await salesflow(['crm', 'retry', '--source', 'zoho'], databaseUrl, tempDir());
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('zoho: 2 rejected change(s) tried: 2 taken or no longer needed, 0 still rejected');
    expect(retried.stdout).toContain(`  ${answer.results[0].event}  accepted deal.won`);
    expect(retried.stdout).toContain(`  zoho:${legacyId}:Mar 1, 2026 10:31 AM  accepted deal.won`);
    expect(await getDeal(h.db, dealId)).toMatchObject({ stage: 'won', rep: 'r-bill', amount: '4200.00', closed_at: '2026-03-01' });
    expect(await getDeal(h.db, legacyId)).toMatchObject({ stage: 'won', rep: 'r-bill' });
    const left = JSON.parse((await salesflow(['crm', 'rejected', '--format', 'json', '--source', 'zoho'], databaseUrl)).stdout) as unknown[];
    expect(left).toEqual([]);
  });
});
