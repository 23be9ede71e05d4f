// POST /webhooks/salesforce over real HTTP: a documented outbound-message envelope is taken and
// answered with the SOAP Ack; the org is checked; repeats and out-of-order deliveries never
// overwrite newer data; malformed messages are SOAP faults with 4xx and store nothing; a record that
// cannot be mapped is recorded as rejected and the message acknowledged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal } from '../../src/data/deals.js';
import { listCrmRejections } from '../../src/data/crm-rejections.js';
import { countEvents, getEvent } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import { type Harness, startHarness } from './harness.js';

const envelope = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'crm-connectors', 'payloads', 'salesforce-outbound.xml'), 'utf8');
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { SALESFORCE_ORG_ID: '00D5g000004ABCD' } });
  await upsertRep(h.db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-ada', '0055g00000Usr01AAA');
});
afterAll(async () => { await h?.close(); });

function post(body: string) {
  return fetch(`${h.url}/webhooks/salesforce`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body });
}

/** One notification for Opportunity 0065g00000Opp03AAA, in the envelope's shape. */
function message(notificationId: string, stage: string, amount: string, modified: string, org = '00D5g000004ABCDEAA'): string {
  return envelope
    .replace('00D5g000004ABCDEAA', org)
    .replace(/<Notification>[\s\S]*<\/Notification>/, `<Notification><Id>${notificationId}</Id>
      <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
       <sf:Id>0065g00000Opp03AAA</sf:Id><sf:Amount>${amount}</sf:Amount><sf:Name>Umbrella expansion</sf:Name>
       <sf:LastModifiedDate>${modified}</sf:LastModifiedDate><sf:OwnerId>0055g00000Usr01AAA</sf:OwnerId>
       <sf:StageName>${stage}</sf:StageName></sObject></Notification>`);
}

describe('POST /webhooks/salesforce', () => {
  it('takes every notification of the envelope and answers the SOAP Ack true', async () => {
    const res = await post(envelope);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const text = await res.text();
    expect(text).toContain('<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>');
    expect(await getDeal(h.db, '0065g00000Opp01AAA')).toMatchObject({ name: 'Globex platform', amount: '48000.0', currency: 'USD', stage: 'won', rep: 'r-ada', closed_at: '2026-03-01' });
    expect(await getDeal(h.db, '0065g00000Opp02AAA')).toMatchObject({ amount: '12500.5', stage: 'open' });
    expect((await getEvent(h.db, 'salesforce:04l5g00000AbCdEAAV'))?.type).toBe('deal.won');
    expect((await getEvent(h.db, 'salesforce:04l5g00000AbCdFAAV'))?.type).toBe('deal.created');
  });

  it('acknowledges a repeated message and changes nothing', async () => {
    const before = await countEvents(h.db);
    const res = await post(envelope);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Ack>true</Ack>');
    expect(await countEvents(h.db)).toBe(before);
  });

  it('never lets an older message overwrite newer data, whatever order they arrive in', async () => {
    expect((await post(message('04l5g00000Ord02AAV', 'Closed Won', '9000', '2026-03-01T12:00:00.000Z'))).status).toBe(200);
    // Delivered late: the same opportunity as it was an hour earlier.
    const late = await post(message('04l5g00000Ord01AAV', 'Prospecting', '7000', '2026-03-01T11:00:00.000Z'));
    expect(late.status).toBe(200);
    expect(await late.text()).toContain('<Ack>true</Ack>');
    expect(await getDeal(h.db, '0065g00000Opp03AAA')).toMatchObject({ stage: 'won', amount: '9000' });
    expect(await getEvent(h.db, 'salesforce:04l5g00000Ord01AAV')).toBeNull();
  });

  it('takes an amount of ten million or more as Salesforce writes it (Java\'s 1.25E7), exactly; it was rejected as "expected an amount like 1500.50"', async () => {
    const res = await post(message('04l5g00000Big01AAV', 'Closed Won', '1.23456789012E7', '2026-03-03T10:00:00.000Z').replace('0065g00000Opp03AAA', '0065g00000Big01AAA'));
    expect(await res.text()).toContain('<Ack>true</Ack>');
    expect(await listCrmRejections(h.db, { source: 'salesforce' })).toEqual([]);
    expect(await getDeal(h.db, '0065g00000Big01AAA')).toMatchObject({ amount: '12345678.9012', stage: 'won' });
    expect((await getEvent(h.db, 'salesforce:04l5g00000Big01AAV'))?.type).toBe('deal.won');
  });

  it('reads character references as the characters they stand for (a deal named Soci&#233;t&#233; was stored as written)', async () => {
    const body = message('04l5g00000Ncr01AAV', 'Prospecting', '100', '2026-03-05T00:00:00.000Z')
      .replace(/0065g00000Opp03AAA/g, '0065g00000Ncr01AAA')
      .replace('<sf:Name>Umbrella expansion</sf:Name>', '<sf:Name>Soci&#233;t&#233; G&#xE9;n&#xE9;rale &amp; Fils &amp;#233;</sf:Name>');
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Ack>true</Ack>');
    // `&amp;#233;` is the text "&#233;", decoded once only.
    expect((await getDeal(h.db, '0065g00000Ncr01AAA'))?.name).toBe('Société Générale & Fils &#233;');
  });

  it('415 as a SOAP fault for a gzip body, saying to send it uncompressed; nothing stored', async () => {
    const before = await countEvents(h.db);
    const res = await fetch(`${h.url}/webhooks/salesforce`, {
      method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', 'content-encoding': 'gzip' }, body: gzipSync(envelope),
    });
    expect(res.status).toBe(415);
    expect(await res.text()).toContain('<faultcode>soapenv:Client</faultcode><faultstring>Content-Encoding gzip is not accepted: send the body uncompressed');
    expect(await countEvents(h.db)).toBe(before);
  });

  describe('rejections: SOAP faults with 4xx, nothing stored', () => {
    async function rejected(body: string, status: number, fault: string) {
      const before = await countEvents(h.db);
      const res = await post(body);
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(text).toContain('<soapenv:Fault><faultcode>soapenv:Client</faultcode>');
      expect(text).toContain(fault);
      expect(await countEvents(h.db)).toBe(before);
    }

    it('403 for another org', async () => {
      await rejected(message('04l5g00000Org01AAV', 'Closed Lost', '1', '2026-03-02T00:00:00.000Z', '00D5g000009ZZZZEAA'), 403,
        'OrganizationId 00D5g000009ZZZZEAA is not the configured org (SALESFORCE_ORG_ID)');
      expect((await getDeal(h.db, '0065g00000Opp03AAA'))?.stage).toBe('won');
    });

    it('400 for XML that is not well-formed, or not an outbound message', async () => {
      await rejected(envelope.slice(0, 400), 400, 'body is not well-formed XML');
      await rejected('<?xml version="1.0"?><hello/>', 400, 'not a Salesforce outbound message');
      await rejected(envelope.replace('<soapenv:Envelope', '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><soapenv:Envelope'), 400, 'a DOCTYPE is not allowed in an outbound message');
      await rejected(envelope.replace('04l5g00000AbCdEAAV', '04l5g\u000000AbCdEAAV'), 400, 'body is not well-formed XML: it holds a NUL character (U+0000)');
    });

    it('400 for an Opportunity sent without its Id, or with a LastModifiedDate that is no time (it was acknowledged and lost, or taken unordered)', async () => {
      const noId = message('04l5g00000NoId1AAV', 'Closed Lost', '1', '2026-03-03T00:00:00.000Z').replace('<sf:Id>0065g00000Opp03AAA</sf:Id>', '');
      await rejected(noId, 400, "Notification 1 (04l5g00000NoId1AAV): the Opportunity has no Id field: add it to the outbound message's fields to send");
      await rejected(message('04l5g00000Time1AAV', 'Closed Lost', '1', 'yesterday'), 400,
        'Notification 1 (04l5g00000Time1AAV): LastModifiedDate: expected a time like 2026-03-01T10:00:00.000Z, got "yesterday"');
      expect((await getDeal(h.db, '0065g00000Opp03AAA'))?.stage).toBe('won');
    });

    it('400 for more than 100 notifications', async () => {
      const one = /<Notification>[\s\S]*?<\/Notification>/.exec(envelope)![0];
      await rejected(envelope.replace(/<Notification>[\s\S]*<\/Notification>/, one.repeat(101)), 400, '101 notifications in one message; Salesforce sends at most 100');
    });

  });

  it('a notification of a record deleted before Salesforce sent it (it carries no data) is acknowledged as such; the rest of the message is taken', async () => {
    // Salesforce: "If the record is deleted before the notification is delivered, the notification
    // contains no data." It was a 400 "has no Id field": the whole message was refused, retried and
    // refused for a day, holding the messages behind it, and its other notification was lost.
    const deleted = envelope.replace(/AbCd([EF])AAV/g, 'Del$1AAAV').replace('0065g00000Opp01AAA', '0065g00000Del01AAA')
      .replace(/<sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">\s*<sf:Id>0065g00000Opp02AAA[\s\S]*?<\/sObject>/,
        '<sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"/>');
    expect(deleted).toContain('04l5g00000DelFAAAV');
    const before = await countEvents(h.db);
    const res = await post(deleted);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Ack>true</Ack>');
    expect(await getDeal(h.db, '0065g00000Del01AAA')).toMatchObject({ stage: 'won', amount: '48000.0' });
    expect(await countEvents(h.db)).toBe(before + 1);
    expect(await listCrmRejections(h.db, { source: 'salesforce' })).toEqual([]);
  });

  it('a notification that cannot be mapped is recorded as rejected and the message acknowledged (a fault would block the queue for a day); the others are taken', async () => {
    const bad = envelope.replace('<sf:Amount>12500.5</sf:Amount>', '<sf:Amount>lots</sf:Amount>')
      .replace(/AbCd([EF])AAV/g, 'Bad$1AAV').replace(/0065g00000Opp0([12])AAA/g, '0065g00000Bad0$1AAA');
    const before = await countEvents(h.db);
    const res = await post(bad);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Ack>true</Ack>');
    expect(await countEvents(h.db)).toBe(before + 1);
    expect(await getDeal(h.db, '0065g00000Bad01AAA')).toMatchObject({ stage: 'won', amount: '48000.0' });
    expect(await getDeal(h.db, '0065g00000Bad02AAA')).toBeNull();
    expect(await listCrmRejections(h.db, { source: 'salesforce' })).toEqual([expect.objectContaining({
      vendorEventId: '04l5g00000BadFAAV', entity: 'deal', recordId: '0065g00000Bad02AAA', message: 'Amount: expected an amount like 1500.50, got "lots"',
      raw: expect.objectContaining({ notification: '04l5g00000BadFAAV', object: 'Opportunity', fields: expect.objectContaining({ Amount: 'lots' }) }),
    })]);
    // Salesforce sends the message again (it did not see the Ack): nothing is recorded twice.
    expect((await post(bad)).status).toBe(200);
    expect(await listCrmRejections(h.db, { source: 'salesforce' })).toHaveLength(1);
  });
});

it('a failure inside salesflow is a SOAP Server fault (what Salesforce shows and retries), with no internals', async () => {
  const broken = await startHarness({ env: { SALESFORCE_ORG_ID: '00D5g000004ABCD' } });
  try {
    // The data source failing under the request: the deals table is gone.
    broken.db.sqlite!.exec('DROP TABLE deals');
    const res = await fetch(`${broken.url}/webhooks/salesforce`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body: envelope });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const text = await res.text();
    expect(text).toContain('<faultcode>soapenv:Server</faultcode><faultstring>internal error; nothing was stored</faultstring>');
    expect(text).not.toMatch(/deals|sqlite|at .*\.js/i);
  } finally {
    await broken.close();
  }
});
