// A Zoho CRM workflow webhook writes Modified Time in the sending user's zone without an offset;
// salesflow reads it in the mapping's `timezone` (UTC in the built-in preset). For a user east of
// UTC who never set it (India: 10:30 IST read as 10:30 UTC), every change looked hours newer than
// it was, and a deletion from Zoho's Notification API (a true instant) arriving within those hours
// was taken as older than the change and removed nothing: the deleted deal kept counting revenue.
// A local time later than salesflow received it is now refused, naming the setting.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal } from '../../src/data/deals.js';
import { countEvents } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import { type Harness, startHarness } from './harness.js';

const ZOHO_SECRET = 'zoho-zone-secret-0123456789';
// 10:35 in Kolkata (UTC+5:30): the rep saved the deal at 10:30 there, and Zoho called at once.
const NOW = Date.parse('2026-03-15T05:05:00Z');
const DEAL = '4150868000001230001';

const opened: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of opened.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function server(zoneYaml: string | null): Promise<Harness> {
  let mappings;
  if (zoneYaml !== null) {
    const dir = mkdtempSync(join(tmpdir(), 'salesflow-zoho-zone-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'crm'));
    writeFileSync(join(dir, 'crm', 'zoho.yaml'), zoneYaml);
    mappings = loadMappings([dir], dir).mappings;
  }
  const h = await startHarness({ env: { ZOHO_WEBHOOK_SECRET: ZOHO_SECRET }, clock: () => NOW, ...(mappings ? { mappings } : {}) });
  opened.push(h);
  await upsertRep(h.db, { id: 'r-ravi', name: 'Ravi Iyer', email: 'ravi@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: 'Asia/Kolkata', start_date: null });
  await setRepCrmId(h.db, 'r-ravi', '4150868000000225013');
  return h;
}

const change = (modified: string) => JSON.stringify({
  module: 'Deals', id: DEAL, Deal_Name: 'Tata rollout', Amount: '1,50,000.00', Currency: 'INR', Stage: 'Closed Won',
  Closing_Date: '2026-03-15', Owner: '4150868000000225013', Modified_Time: modified,
});

function zoho(h: Harness, body: string, token: string | null = ZOHO_SECRET) {
  return fetch(`${h.url}/webhooks/zoho`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { 'X-Salesflow-Token': token } : {}) }, body });
}

const deletion = (serverTime: number) => JSON.stringify({
  server_time: serverTime, query_params: {}, module: 'Deals', resource_uri: 'https://www.zohoapis.com/crm/v8/Deals', ids: [DEAL],
  affected_fields: [], operation: 'delete', channel_id: '1000000068001', token: ZOHO_SECRET,
});

it('400 for a Modified_Time hours after it was received, read in the mapping\'s zone: the zone is not the sender\'s; nothing stored', async () => {
  const h = await server(null);
  const res = await zoho(h, change('Mar 15, 2026 10:30 AM'));
  expect(res.status).toBe(400);
  expect(((await res.json()) as { message: string }).message).toBe(
    'record 1: Modified_Time: "Mar 15, 2026 10:30 AM" is 5 h 25 min after salesflow received the request (2026-03-15T05:05:00.000Z) when read as local time in UTC, the mapping\'s timezone: ' +
    'set timezone in rules/crm/zoho.yaml, with preset: zoho, to the zone the sender writes its times in (Zoho CRM: the user\'s zone, Setup → Personal Settings → Locale), ' +
    'or set this server\'s clock right (webhook.version in (built-in zoho preset))');
  expect(await getDeal(h.db, DEAL)).toBeNull();
  expect(await countEvents(h.db)).toBe(0);
});

it('with the mapping\'s timezone set to the user\'s, the same change is taken, and a deletion a minute later removes the deal', async () => {
  const h = await server('preset: zoho\ntimezone: Asia/Kolkata\n');
  const res = await zoho(h, change('Mar 15, 2026 10:30 AM'));
  expect(await res.json()).toMatchObject({ results: [{ type: 'deal.won', status: 'accepted' }] });
  expect(await getDeal(h.db, DEAL)).toMatchObject({ amount: '150000.00', currency: 'INR', stage: 'won' });
  const removed = await zoho(h, deletion(NOW + 60_000), null);
  expect(await removed.json()).toMatchObject({ results: [{ status: 'deleted' }] });
  expect(await getDeal(h.db, DEAL)).toBeNull();
});

it('a local time a few minutes ahead (clocks apart), a time with an offset, and an old retry are taken as before', async () => {
  const h = await server(null);
  // 05:08 UTC: three minutes ahead of this server's clock.
  expect(await (await zoho(h, change('Mar 15, 2026 05:08 AM'))).json()).toMatchObject({ results: [{ status: 'accepted' }] });
  // An offset says which instant it is: the zone setting plays no part.
  expect(await (await zoho(h, change('2026-03-15T10:40:00+05:30'))).json()).toMatchObject({ results: [{ status: 'accepted' }] });
  expect(await (await zoho(h, change('Mar 14, 2026 09:00 PM'))).json()).toMatchObject({ results: [{ status: 'older' }] });
});
