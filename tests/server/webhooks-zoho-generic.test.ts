// POST /webhooks/zoho (a Zoho CRM workflow webhook: JSON or form parameters, shared secret in a
// header) and POST /webhooks/generic/NAME (Fxiaoke through rules/crm/fxiaoke.yaml: field paths
// and an HMAC header declared by the mapping), over real HTTP.
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal } from '../../src/data/deals.js';
import { listCrmRejections } from '../../src/data/crm-rejections.js';
import { countEvents, getEvent } from '../../src/data/events.js';
import { getLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import { type Harness, startHarness } from './harness.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const zohoDeal = readFileSync(join(fixtures, 'payloads', 'zoho-deal.json'), 'utf8');
const ZOHO_SECRET = 'zoho-shared-secret-0123456789';
const FXIAOKE_SECRET = 'fxiaoke-secret-abcdefghijklmnop';
let h: Harness;

beforeAll(async () => {
  // The Fxiaoke mapping with an event id that names the request only (its envelope's event_id).
  const envelopeRules = mkdtempSync(join(tmpdir(), 'salesflow-envelope-'));
  mkdirSync(join(envelopeRules, 'crm'));
  writeFileSync(join(envelopeRules, 'crm', 'envelope.yaml'), readFileSync(join(fixtures, 'rules', 'crm', 'fxiaoke.yaml'), 'utf8').replace('event_id: [event_id, _id]', 'event_id: event_id'));
  h = await startHarness({
    env: { ZOHO_WEBHOOK_SECRET: ZOHO_SECRET, SALESFLOW_WEBHOOK_SECRET_FXIAOKE: FXIAOKE_SECRET, SALESFLOW_WEBHOOK_SECRET_ENVELOPE: FXIAOKE_SECRET },
    mappings: [...loadMappings([join(fixtures, 'rules')], fixtures).mappings, ...loadMappings([envelopeRules], envelopeRules).mappings],
  });
  rmSync(envelopeRules, { recursive: true, force: true });
  await upsertRep(h.db, { id: 'r-wu', name: 'Wu Fang', email: 'wu@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-wu', '4150868000000225013');
  await upsertRep(h.db, { id: 'r-li', name: 'Li Na', email: 'li@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-li', 'FSUID_1001');
});
afterAll(async () => { await h?.close(); });

function zoho(body: string, contentType: string, token: string | null = ZOHO_SECRET) {
  return fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': contentType, ...(token ? { 'X-Salesflow-Token': token } : {}) }, body });
}

describe('POST /webhooks/zoho', () => {
  it('takes a JSON workflow webhook: a deal closed won becomes deal.won', async () => {
    const res = await zoho(zohoDeal, 'application/json');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: expect.stringMatching(/^zoho:4150868000001234001:2026\-02\-27T18:40:12\+05:30:[0-9a-f]{12}$/), type: 'deal.won', status: 'accepted' }] });
    expect(await getDeal(h.db, '4150868000001234001')).toMatchObject({ name: 'Stark Industries rollout', amount: '125000.5', currency: 'EUR', stage: 'won', rep: 'r-wu', closed_at: '2026-02-27', contact: 'pepper@stark.example' });
  });

  it('takes the same as form parameters; a repeat is a duplicate', async () => {
    const form = new URLSearchParams(Object.entries(JSON.parse(zohoDeal) as Record<string, string | number>).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const before = await countEvents(h.db);
    const res = await zoho(form, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ status: 'duplicate' }] });
    expect(await countEvents(h.db)).toBe(before);
  });

  it('takes form parameters sent as multipart/form-data (once refused as an unsupported Content-Type)', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries(JSON.parse(zohoDeal) as Record<string, string | number>)) form.append(k, String(v));
    form.set('id', '4150868000001234555');
    form.set('Deal_Name', 'Müller & Co');
    const res = await fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'X-Salesflow-Token': ZOHO_SECRET }, body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: expect.stringMatching(/^zoho:4150868000001234555:2026\-02\-27T18:40:12\+05:30:[0-9a-f]{12}$/), status: 'accepted' }] });
    expect(await getDeal(h.db, '4150868000001234555')).toMatchObject({ name: 'Müller & Co', amount: '125000.5', rep: 'r-wu' });
  });

  it('ignores a delivery older than the record salesflow holds', async () => {
    const older = zohoDeal.replace('Closed Won', 'Negotiation/Review').replace('2026-02-27T18:40:12+05:30', '2026-02-26T09:00:00+05:30');
    const res = await zoho(older, 'application/json');
    // Answered by its salesflow event id, as accepted and rejected changes are (was the bare Zoho id).
    expect(await res.json()).toMatchObject({ results: [{ event: expect.stringMatching(/^zoho:4150868000001234001:2026-02-26T09:00:00\+05:30:[0-9a-f]{12}$/), status: 'older' }] });
    expect((await getDeal(h.db, '4150868000001234001'))?.stage).toBe('won');
  });

  it('keeps the digits of 19-digit ids and long amounts sent as JSON numbers (JSON.parse would round them)', async () => {
    // Zoho's record and user ids are 19 digits; as a JSON number 4150868000001234777 reads back as
    // 4150868000001234700, another record, and the owner as no rep's crm_id.
    const raw = zohoDeal
      .replace('"4150868000001234001"', '4150868000001234777')
      .replace('"4150868000000225013"', '4150868000000225013')
      .replace('125000.5', '99999999999.999999')
      .replace('2026-02-27T18:40:12', '2026-02-27T18:41:00');
    const res = await zoho(raw, 'application/json');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: expect.stringMatching(/^zoho:4150868000001234777:2026\-02\-27T18:41:00\+05:30:[0-9a-f]{12}$/), status: 'accepted' }] });
    expect(await getDeal(h.db, '4150868000001234777')).toMatchObject({ amount: '99999999999.999999', rep: 'r-wu' });
  });

  it('401 for a missing or wrong secret, 400 for a malformed body, nothing stored', async () => {
    const changed = zohoDeal.replace('4150868000001234001', '4150868000009999001');
    const before = await countEvents(h.db);
    const missing = await zoho(changed, 'application/json', null);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toBe('missing X-Salesflow-Token header (add it to the Zoho webhook with the value of ZOHO_WEBHOOK_SECRET)');
    const wrong = await zoho(changed, 'application/json', 'zoho-shared-secret-0123456780');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe('X-Salesflow-Token does not match ZOHO_WEBHOOK_SECRET');
    const broken = await zoho('{"module": "Deals", ', 'application/json');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(/^body is not valid JSON/);
    const noId = await zoho(JSON.stringify({ module: 'Deals', Deal_Name: 'x' }), 'application/json');
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as { message: string }).message).toBe('record 1: no deal id at "id" (deal.fields.id in (built-in zoho preset))');
    expect(await countEvents(h.db)).toBe(before);
    expect(await getDeal(h.db, '4150868000009999001')).toBeNull();
  });

  it('400 for a body that is not UTF-8 (JSON or a form), naming that, instead of storing "Caf\uFFFD"; UTF-8 %-escapes are read', async () => {
    const before = await countEvents(h.db);
    const latin1Json = Buffer.from(zohoDeal.replace('4150868000001234001', '4150868000007777001').replace('Stark Industries rollout', 'Caf\u00e9 rollout'), 'latin1');
    const json = await fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Token': ZOHO_SECRET }, body: latin1Json });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'bad_request', message: 'body is not valid UTF-8: send it encoded as UTF-8' });
    const params = Object.entries(JSON.parse(zohoDeal) as Record<string, string | number>).map(([k, v]): [string, string] => [k, String(v)]);
    const form = new URLSearchParams(params);
    form.set('id', '4150868000007777002');
    const latin1Form = form.toString().replace('Deal_Name=Stark+Industries+rollout', 'Deal_Name=Caf%E9+rollout');
    const res = await zoho(latin1Form, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('a form parameter is not valid UTF-8 once %-decoded: send the form encoded as UTF-8');
    expect(await countEvents(h.db)).toBe(before);
    expect(await getDeal(h.db, '4150868000007777001')).toBeNull();
    expect(await getDeal(h.db, '4150868000007777002')).toBeNull();

    const utf8Form = latin1Form.replace('Caf%E9', 'Caf%C3%A9+100%+%3Cb%3E');
    expect((await zoho(utf8Form, 'application/x-www-form-urlencoded')).status).toBe(200);
    expect((await getDeal(h.db, '4150868000007777002'))?.name).toBe('Café 100% <b> rollout');
  });

  it('400 for an empty body says it is empty, and that URL parameters are not read (once "not valid JSON: Unexpected end of JSON input")', async () => {
    const before = await countEvents(h.db);
    const inUrl = await fetch(`${h.url}/webhooks/zoho?module=Deals&id=4150868000007777003&Stage=Qualification`, { method: 'POST', headers: { 'X-Salesflow-Token': ZOHO_SECRET } });
    expect(inUrl.status).toBe(400);
    expect(((await inUrl.json()) as { message: string }).message).toBe("body is empty: send the record as JSON or form parameters in the body (it came as URL parameters, which are not read: move them to the webhook's body, docs/crm.md)");
    const empty = await zoho('', 'application/json');
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toBe('body is empty: send the record as JSON or form parameters in the body');
    expect(await countEvents(h.db)).toBe(before);
  });

  it('takes Modified_Time as the Zoho user\'s locale writes it (once 400 "expected a time like ..."), ordered with the rest', async () => {
    const deal = (stage: string, modified: string) => JSON.stringify({ ...JSON.parse(zohoDeal), id: '4150868000001234888', Stage: stage, Modified_Time: modified });
    const won = await zoho(deal('Closed Won', 'Feb 28, 2026 06:45 PM'), 'application/json');
    expect(won.status).toBe(200);
    const taken = (await won.json()) as { results: { event: string }[] };
    expect(taken).toMatchObject({ results: [{ event: expect.stringMatching(/^zoho:4150868000001234888:Feb 28, 2026 06:45 PM:[0-9a-f]{12}$/), type: 'deal.won', status: 'accepted' }] });
    // The preset's zone is UTC: 18:45 there.
    expect((await getEvent(h.db, taken.results[0].event))?.occurred_at).toBe('2026-02-28T18:45:00.000Z');
    // Deluge's form, earlier that day: an older change, which must not undo the win.
    const older = await zoho(deal('Qualification', '28-Feb-2026 09:00:00'), 'application/json');
    expect(await older.json()).toMatchObject({ results: [{ status: 'older' }] });
    expect((await getDeal(h.db, '4150868000001234888'))?.stage).toBe('won');
    // 03/01/2026 is 1 March or 3 January: the mapping must say which.
    const before = await countEvents(h.db);
    const slashed = await zoho(deal('Closed Lost', '03/01/2026 09:00 AM'), 'application/json');
    expect(slashed.status).toBe(400);
    expect(((await slashed.json()) as { message: string }).message).toBe(
      'record 1: Modified_Time: "03/01/2026 09:00 AM" writes the day and month in an order the mapping does not declare: set date_format: MM/DD/YYYY or DD/MM/YYYY in rules/crm/zoho.yaml, with preset: zoho (webhook.version in (built-in zoho preset))');
    expect(await countEvents(h.db)).toBe(before);
    expect((await getDeal(h.db, '4150868000001234888'))?.stage).toBe('won');
  });

  it('two edits of a deal within the same minute are two changes, not a duplicate (Zoho writes Modified_Time to the minute)', async () => {
    const deal = (amount: string) => JSON.stringify({ ...JSON.parse(zohoDeal), id: '4150868000001234999', Amount: amount, Modified_Time: 'Mar 15, 2026 10:30 AM' });
    const won = await zoho(deal('1000.00'), 'application/json');
    expect(await won.json()).toMatchObject({ results: [{ type: 'deal.won', status: 'accepted' }] });
    // The rep corrects the amount 20 seconds later: once acknowledged as a duplicate, the deal kept 1000.00.
    const corrected = await zoho(deal('1200.00'), 'application/json');
    expect(await corrected.json()).toMatchObject({ results: [{ type: 'deal.updated', status: 'accepted' }] });
    expect((await getDeal(h.db, '4150868000001234999'))?.amount).toBe('1200.00');
    // Zoho sending that second change again, as form parameters this time: a duplicate.
    const before = await countEvents(h.db);
    const again = await zoho(new URLSearchParams(JSON.parse(deal('1200.00')) as Record<string, string>).toString(), 'application/x-www-form-urlencoded');
    expect(await again.json()).toMatchObject({ results: [{ status: 'duplicate' }] });
    expect(await countEvents(h.db)).toBe(before);
  });

  it('400 for a Modified_Time that is no time: taken unordered, an old retry could overwrite newer data', async () => {
    const before = await countEvents(h.db);
    const res = await zoho(zohoDeal.replace('Closed Won', 'Qualification').replace('2026-02-27T18:40:12+05:30', 'soon'), 'application/json');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'record 1: Modified_Time: expected a time like 2026-03-01T10:00:00Z, Mar 1, 2026 10:00 AM or epoch milliseconds, got "soon" (webhook.version in (built-in zoho preset))');
    expect(await countEvents(h.db)).toBe(before);
    expect((await getDeal(h.db, '4150868000001234001'))?.stage).toBe('won');
  });
});

function fxiaoke(body: string, signature?: string) {
  const sig = signature ?? `sha256=${createHmac('sha256', FXIAOKE_SECRET).update(body).digest('hex')}`;
  return fetch(`${h.url}/webhooks/generic/fxiaoke`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Fs-Signature': sig }, body });
}

const fxBatch = (eventId: string, stage: string) => JSON.stringify({
  event_id: eventId,
  data: [
    { object_api_name: 'NewOpportunityObj', _id: 'fx-opp-1', name: '华为云项目', amount: '880000.00', currency: 'CNY', sales_stage: stage, close_date: 1772380800000, owner: 'FSUID_1001', contact_email: 'zhang@customer.example', last_modified_time: 1772380800000 },
    { object_api_name: 'LeadsObj', _id: 'fx-lead-1', name: '张伟', email: 'zhang.wei@prospect.example', company_name: '示例公司', owner: 'FSUID_1001', last_modified_time: 1772380800000 },
  ],
});

describe('POST /webhooks/generic/fxiaoke', () => {
  it('reads records at the mapping\'s paths, checks its HMAC header, and routes deal.won and lead.created', async () => {
    const res = await fxiaoke(fxBatch('evt-fx-1', 'win'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: 'fxiaoke:evt-fx-1:fx-opp-1', type: 'deal.won' }, { event: 'fxiaoke:evt-fx-1:fx-lead-1', type: 'lead.created' }] });
    // 1772380800000 is 2026-03-01T16:00Z: already 2 March in Shanghai, the mapping's time zone.
    expect(await getDeal(h.db, 'fx-opp-1')).toMatchObject({ name: '华为云项目', amount: '880000.00', currency: 'CNY', stage: 'won', rep: 'r-li', closed_at: '2026-03-02' });
    expect(await getLead(h.db, 'fx-lead-1')).toMatchObject({ name: '张伟', company: '示例公司', owner: 'r-li' });
    expect((await getEvent(h.db, 'fxiaoke:evt-fx-1:fx-opp-1'))?.type).toBe('deal.won');
  });

  it('a last-modified time sent without an offset is the mapping\'s local time (Shanghai), not the server process\'s zone', async () => {
    const savedTz = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    try {
      const body = JSON.stringify({
        event_id: 'evt-fx-local',
        data: [{ object_api_name: 'LeadsObj', _id: 'fx-lead-2', name: '李雷', email: 'li.lei@prospect.example', company_name: '示例公司', owner: 'FSUID_1001', last_modified_time: '2026-03-02 09:30:00' }],
      });
      expect((await fxiaoke(body)).status).toBe(200);
      // 09:30 in Shanghai (UTC+8) is 01:30 UTC; read in Los Angeles it was 17:30 UTC.
      expect((await getEvent(h.db, 'fxiaoke:evt-fx-local:fx-lead-2'))?.occurred_at).toBe('2026-03-02T01:30:00.000Z');
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });

  it('401 for a bad or missing HMAC, nothing stored; an unmapped stage (unknown_stage: error) rejects that record alone', async () => {
    const before = await countEvents(h.db);
    const body = fxBatch('evt-fx-2', 'lose');
    const bad = await fxiaoke(body, `sha256=${'0'.repeat(64)}`);
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { message: string }).message).toBe('X-Fs-Signature does not match the body (HMAC-SHA256, hex)');
    const unprefixed = await fxiaoke(body, createHmac('sha256', FXIAOKE_SECRET).update(body).digest('hex'));
    expect(unprefixed.status).toBe(401);
    expect(await countEvents(h.db)).toBe(before);
    const unknown = await fxiaoke(fxBatch('evt-fx-3', 'stage-7'));
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toMatchObject({ status: 'partly_rejected', rejected: 1, results: [
      { event: 'fxiaoke:evt-fx-3:fx-opp-1', status: 'rejected', detail: expect.stringContaining('sales_stage: unknown stage "stage-7": map it under deal.stages in rules/crm/fxiaoke.yaml') },
      { event: 'fxiaoke:evt-fx-3:fx-lead-1' },
    ] });
    expect((await getDeal(h.db, 'fx-opp-1'))?.stage).toBe('won');
    expect(await listCrmRejections(h.db, { source: 'fxiaoke' })).toEqual([expect.objectContaining({ vendorEventId: 'evt-fx-3:fx-opp-1', recordId: 'fx-opp-1' })]);
  });

  it('a mapping whose event_id names the request, not the record: every record of a batch is taken (all but the first were duplicates)', async () => {
    const body = JSON.stringify({ event_id: 'evt-env-1', data: [
      { object_api_name: 'NewOpportunityObj', _id: 'env-opp-1', name: 'One', amount: '100.00', currency: 'CNY', sales_stage: '1', owner: 'FSUID_1001', last_modified_time: 1772380800000 },
      { object_api_name: 'NewOpportunityObj', _id: 'env-opp-2', name: 'Two', amount: '200.00', currency: 'CNY', sales_stage: 'win', owner: 'FSUID_1001', last_modified_time: 1772380800000 },
    ] });
    const post = () => fetch(`${h.url}/webhooks/generic/envelope`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Fs-Signature': `sha256=${createHmac('sha256', FXIAOKE_SECRET).update(body).digest('hex')}` }, body });
    expect(await (await post()).json()).toMatchObject({ results: [
      { event: 'envelope:evt-env-1:env-opp-1', type: 'deal.created', status: 'accepted' },
      { event: 'envelope:evt-env-1:env-opp-2', type: 'deal.won', status: 'accepted' },
    ] });
    expect(await getDeal(h.db, 'env-opp-2')).toMatchObject({ amount: '200.00', stage: 'won' });
    // The sender repeating the request: both are duplicates.
    expect(await (await post()).json()).toMatchObject({ results: [{ status: 'duplicate' }, { status: 'duplicate' }] });
  });

  it('404 for a source without a mapping file', async () => {
    const res = await fetch(`${h.url}/webhooks/generic/nosuchcrm`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toBe('no mapping for "nosuchcrm" in the plan this server runs: add rules/crm/nosuchcrm.yaml and apply it (docs/crm.md)');
  });

  it('404 for a source name in the wrong case names the address meant, not a file name check would refuse', async () => {
    const res = await fetch(`${h.url}/webhooks/generic/FXiaoke`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toBe('no mapping for "FXiaoke": source names are lower-case; the address is /webhooks/generic/fxiaoke (rules/crm/fxiaoke.yaml)');
  });
});
