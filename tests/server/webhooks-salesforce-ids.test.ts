// Salesforce writes a record id in two forms: 15 characters in a report export (0065g00000Opp01,
// case-sensitive) and 18 in an outbound message (0065g00000Opp01AAB: the same id plus a checksum of
// its capitals). A team that imported its opportunities and users from reports, then turned on the
// outbound message, had every changed opportunity stored a second time under its 18-character id
// (its revenue counted twice), or refused because the OwnerId matched no rep's 15-character id.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setRepCrmId } from '../../src/data/crm.js';
import { listCrmRejections } from '../../src/data/crm-rejections.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { SALESFORCE_ORG_ID: '00D5g000004ABCD' } });
  // As `salesflow import --source salesforce` stores a users report and an opportunities report.
  await upsertRep(h.db, { id: 'r-ada', name: 'Ada Park', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-ada', '0055g00000AbCdE');
  await upsertDeal(h.db, { id: '006Dn00000Q7kXy', rep: 'r-ada', name: 'Initech renewal', amount: '100000.00', currency: 'USD', stage: 'won', product: null, type: null, source: null, closed_at: '2026-03-02', contact: null });
});
afterAll(async () => { await h?.close(); });

function message(notificationId: string, opportunityId: string, ownerId: string, amount: string, modified: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D5g000004ABCDEAA</OrganizationId>
   <ActionId>04k5g000000AbcdAAC</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/59.0/00D5g000004ABCD</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/59.0/00D5g000004ABCD</PartnerUrl>
   <Notification>
    <Id>${notificationId}</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>${opportunityId}</sf:Id>
     <sf:Amount>${amount}</sf:Amount>
     <sf:CloseDate>2026-03-02</sf:CloseDate>
     <sf:LastModifiedDate>${modified}</sf:LastModifiedDate>
     <sf:Name>Initech renewal</sf:Name>
     <sf:OwnerId>${ownerId}</sf:OwnerId>
     <sf:StageName>Closed Won</sf:StageName>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;
}

function post(body: string) {
  return fetch(`${h.url}/webhooks/salesforce`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""' }, body });
}

it('a change sent with the 18-character ids lands on the deal and the rep imported with the 15-character ones', async () => {
  const res = await post(message('04l5g00000Ntf01AAA', '006Dn00000Q7kXyIAJ', '0055g00000AbCdEAAV', '120000.00', '2026-03-05T09:00:00.000Z'));
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('<Ack>true</Ack>');
  expect(await listCrmRejections(h.db, {})).toEqual([]);
  expect(await getDeal(h.db, '006Dn00000Q7kXy')).toMatchObject({ amount: '120000.00', stage: 'won', rep: 'r-ada' });
  expect(await getDeal(h.db, '006Dn00000Q7kXyIAJ')).toBeNull();
});

it('with the users imported by their 18-character ids, the opportunity still counts once, not once per form of its id', async () => {
  await upsertRep(h.db, { id: 'r-bo', name: 'Bo Lind', email: 'bo@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(h.db, 'r-bo', '0055g00000BoLiNAAV');
  await upsertDeal(h.db, { id: '006Dn00000R2mQa', rep: 'r-bo', name: 'Hooli pilot', amount: '40000.00', currency: 'USD', stage: 'open', product: null, type: null, source: null, closed_at: '2026-03-20', contact: null });
  const res = await post(message('04l5g00000Ntf03AAA', '006Dn00000R2mQaIAJ', '0055g00000BoLiNAAV', '45000.00', '2026-03-05T11:00:00.000Z'));
  expect(res.status).toBe(200);
  expect(await getDeal(h.db, '006Dn00000R2mQa')).toMatchObject({ amount: '45000.00', stage: 'won', rep: 'r-bo' });
  expect(await getDeal(h.db, '006Dn00000R2mQaIAJ')).toBeNull();
});

it('an 18-character id whose checksum does not match its capitals is another record: taken under its own id', async () => {
  // 006Dn00000Q7kXY (capital Y) is another opportunity than 006Dn00000Q7kXy: its checksum is not IAJ.
  const res = await post(message('04l5g00000Ntf02AAA', '006Dn00000Q7kXYIAJ', '0055g00000AbCdEAAV', '5000.00', '2026-03-05T10:00:00.000Z'));
  expect(res.status).toBe(200);
  expect(await getDeal(h.db, '006Dn00000Q7kXYIAJ')).toMatchObject({ amount: '5000.00', rep: 'r-ada' });
  expect(await getDeal(h.db, '006Dn00000Q7kXy')).toMatchObject({ amount: '120000.00' });
});
