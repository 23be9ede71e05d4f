// POST /events over real HTTP: every status a CRM integration can see.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeal } from '../../src/data/deals.js';
import { countEvents } from '../../src/data/events.js';
import { getLead } from '../../src/data/leads.js';
import { signBody } from '../../src/server/signature.js';
import { type Harness, SECRET, startHarness } from './harness.js';

const LIMIT = 2048;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { EVENT_BODY_LIMIT: String(LIMIT) } });
});
afterAll(async () => {
  await h?.close();
});

function leadCreated(id: string, overrides: Record<string, unknown> = {}) {
  return JSON.stringify({
    id,
    type: 'lead.created',
    occurred_at: '2026-03-01T10:00:00Z',
    lead: { id: 'L-1', name: 'Ada Lovelace', email: 'ada@example.com', source: 'webinar', score: 60 },
    ...overrides,
  });
}

function post(body: string | Uint8Array, signature: string | null = signBody(body, SECRET), headers: Record<string, string> = {}) {
  return fetch(`${h.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'X-Salesflow-Signature': signature } : {}), ...headers },
    body,
  });
}

describe('POST /events', () => {
  it('accepts a signed valid event (202), records it and its lead', async () => {
    const res = await post(leadCreated('evt-1'));
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { status: string; id: string; routed: { started: string[] } };
    expect(body).toMatchObject({ status: 'accepted', id: 'evt-1' });
    expect(body.routed.started).toEqual([]);
    expect((await getLead(h.db, 'L-1'))?.email).toBe('ada@example.com');
  });

  it('acknowledges a repeated event id with 200 duplicate and changes nothing', async () => {
    const before = await countEvents(h.db);
    const res = await post(leadCreated('evt-1', { lead: { id: 'L-1', name: 'Changed', email: 'other@example.com' } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'duplicate', id: 'evt-1' });
    expect(await countEvents(h.db)).toBe(before);
    expect((await getLead(h.db, 'L-1'))?.email).toBe('ada@example.com');
  });

  it('rejects bad JSON with 400 and says so', async () => {
    const res = await post('{"id": "evt-2", ');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/not valid JSON/);
    const pretty = await post('{\n  "id": "evt-2",\n  "type": "lead.created"\n  "occurred_at": "2026-03-01T10:00:00Z"\n}');
    expect(await pretty.json()).toEqual({ error: 'bad_event', message: "body is not valid JSON: Expected ',' or '}' after property value (line 4, column 3)" });
  });

  it('rejects an empty body with 400 saying it is empty, not that JSON ended early', async () => {
    for (const body of ['', '  \n']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'bad_event', message: 'body is empty: expected one JSON event {"id", "type", "occurred_at", "lead" or "deal"}',
      });
    }
  });

  it('rejects an unknown event type with 400 naming the type field', async () => {
    const res = await post(leadCreated('evt-3', { type: 'lead.exploded' }));
    expect(res.status).toBe(400);
    const { message } = (await res.json()) as { message: string };
    expect(message).toMatch(/^type: unknown event type "lead\.exploded"; expected one of /);
    expect(message).toContain('lead.created');
    const noType = await post(leadCreated('evt-3b', { type: undefined }));
    expect(((await noType.json()) as { message: string }).message).toMatch(/^type: is required; expected one of /);
    const longId = await post(leadCreated('x'.repeat(201)));
    expect(longId.status).toBe(400);
    expect(((await longId.json()) as { message: string }).message).toBe('id: at most 200 characters');
  });

  it('rejects a schema failure with 400 naming the bad field', async () => {
    const res = await post(leadCreated('evt-4', { lead: { id: 'L-2', email: 'not-an-email' } }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/^lead\.email: /);
    const noTime = await post(leadCreated('evt-5', { occurred_at: 'yesterday' }));
    expect(noTime.status).toBe(400);
    expect(((await noTime.json()) as { message: string }).message).toMatch(/^occurred_at: /);
  });

  it('rejects a deal.won whose deal is not won (it started won sequences while the deal was stored open)', async () => {
    const res = await post(JSON.stringify({ id: 'evt-won-open', type: 'deal.won', occurred_at: '2026-03-01T10:00:00Z', deal: { id: 'D-won-open', rep: 'r-1', amount: '100', currency: 'USD', stage: 'open' } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad_event', message: 'deal.stage: a deal.won event carries the deal with stage "won", got "open"' });
    expect(await getDeal(h.db, 'D-won-open')).toBeNull();
  });

  it('rejects a missing signature with 401', async () => {
    const res = await post(leadCreated('evt-6'), null);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/missing X-Salesflow-Signature/);
    expect(await countEvents(h.db)).toBe(1);
  });

  it('rejects a wrong or malformed signature with 401 and records nothing', async () => {
    const body = leadCreated('evt-7');
    const wrongKey = await post(body, signBody(body, 'another-secret-0123456789'));
    expect(wrongKey.status).toBe(401);
    const otherBody = await post(body, signBody(leadCreated('evt-8'), SECRET));
    expect(otherBody.status).toBe(401);
    const malformed = await post(body, 'sha1=abc');
    expect(malformed.status).toBe(401);
    expect(((await malformed.json()) as { message: string }).message).toMatch(/malformed/);
    expect(await countEvents(h.db)).toBe(1);
  });

  it('checks the signature over the raw bytes, not re-serialised JSON', async () => {
    // Same JSON value, different bytes (spacing): its own signature is valid, the compact one is not.
    const spaced = leadCreated('evt-9').replace(/,/g, ',   ');
    expect((await post(spaced, signBody(leadCreated('evt-9'), SECRET))).status).toBe(401);
    expect((await post(spaced)).status).toBe(202);
  });

  it('rejects a body over EVENT_BODY_LIMIT with 413 (declared length)', async () => {
    const big = leadCreated('evt-10', { padding: 'x'.repeat(LIMIT) });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/larger than the limit of 2048 bytes/);
  });

  it('rejects a streamed body over the limit with 413 even without Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far more than the limit, with no Content-Length: only counting while reading can catch it.
        if (sent++ < 1000) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${h.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Salesflow-Signature': `sha256=${'0'.repeat(64)}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/larger than the limit/);
    expect(await countEvents(h.db)).toBe(2);
  });

  it('answers GET /events with 405 and the right headers', async () => {
    const res = await fetch(`${h.url}/events`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('POST /events: bytes as senders send them', () => {
  it('refuses an event with a key given twice (two "lead" objects, two emails) with 400 naming it, instead of taking the last', async () => {
    const before = await countEvents(h.db);
    const twoLeads = '{"id":"evt-twice","type":"lead.created","occurred_at":"2026-03-01T10:00:00Z",\n'
      + '"lead":{"id":"L-twice-a","email":"a@example.com"},\n"lead":{"id":"L-twice-b","email":"b@example.com","email":"c@example.com"}}';
    const res = await post(twoLeads);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'bad_event',
      message: '"lead" is given twice in one object (line 3, column 1); send each field once; "email" is given twice in one object (line 3, column 50); send each field once',
    });
    expect(await countEvents(h.db)).toBe(before);
    expect(await getLead(h.db, 'L-twice-b')).toBeNull();
  });

  it('refuses a gzip body with 415 saying to send it uncompressed, whichever bytes were signed, and records nothing', async () => {
    const before = await countEvents(h.db);
    const json = leadCreated('evt-gzip', { lead: { id: 'L-gzip', name: 'Gzip Sender', email: 'gzip@example.com' } });
    const gzipped = gzipSync(json);
    // Once "signature does not match the body" (signed JSON) or "not valid UTF-8" (signed gzip).
    for (const signature of [signBody(json, SECRET), signBody(gzipped, SECRET)]) {
      const res = await post(gzipped, signature, { 'content-encoding': 'gzip' });
      expect(res.status).toBe(415);
      expect(res.headers.get('accept-encoding')).toBe('identity');
      expect(((await res.json()) as { message: string }).message).toBe('Content-Encoding gzip is not accepted: send the body uncompressed (the signature is checked over the bytes sent)');
    }
    expect(await countEvents(h.db)).toBe(before);
    expect(await getLead(h.db, 'L-gzip')).toBeNull();
  });

  it('keeps every digit of an amount sent as a long JSON number (JSON.parse would round 99999999999.999999 to 100000000000)', async () => {
    const body = '{"id":"evt-exact","type":"deal.created","occurred_at":"2026-03-01T10:00:00Z",'
      + '"deal":{"id":"D-exact","rep":"r-1","amount":99999999999.999999,"currency":"USD","stage":"open"}}';
    const res = await post(body);
    expect(res.status).toBe(202);
    expect((await getDeal(h.db, 'D-exact'))?.amount).toBe('99999999999.999999');
    // Digits inside strings, after an escaped quote, are left as they are.
    const name = 'Order \\"12345678901234567890\\" -99999999999.999999';
    const text = `{"id":"evt-exact-name","type":"deal.created","occurred_at":"2026-03-01T10:00:00Z","deal":{"id":"D-exact-name","rep":"r-1","name":"${name}","amount":"1","currency":"USD","stage":"open"}}`;
    expect((await post(text)).status).toBe(202);
    expect((await getDeal(h.db, 'D-exact-name'))?.name).toBe('Order "12345678901234567890" -99999999999.999999');
  });

  it('accepts a body that starts with a UTF-8 byte-order mark', async () => {
    const res = await post(`\uFEFF${leadCreated('evt-bom', { lead: { id: 'L-bom', name: 'Zoë', email: 'zoe@example.com' } })}`);
    expect(res.status).toBe(202);
    expect((await getLead(h.db, 'L-bom'))?.name).toBe('Zoë');
  });

  it('refuses a body that is not UTF-8 with 400 instead of storing U+FFFD in the name', async () => {
    const latin1 = Buffer.from(leadCreated('evt-latin1', { lead: { id: 'L-latin1', name: 'Zo\u00eb', email: 'zoe1@example.com' } }), 'latin1');
    const res = await post(latin1);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad_event', message: 'body is not valid UTF-8: send the JSON encoded as UTF-8' });
    expect(await getLead(h.db, 'L-latin1')).toBeNull();
  });
});

// Last: it records an event, which the counts above do not expect.
describe('POST /events with a partial entity', () => {
  it('an event that leaves lead fields out keeps their stored values (a reply carrying only id and email)', async () => {
    const res = await post(JSON.stringify({ id: 'evt-partial', type: 'lead.replied', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L-1', email: 'ada@example.com' } }));
    expect(res.status).toBe(202);
    expect(await getLead(h.db, 'L-1')).toMatchObject({ name: 'Ada Lovelace', source: 'webinar', score: '60' });
  });
});

// Last too: it records events. Ids are read as a CSV import reads them (cells are trimmed).
describe('POST /events with ids padded with spaces', () => {
  it('refuses a blank or over-long lead or deal id with 400 naming the field, and records nothing', async () => {
    const before = await countEvents(h.db);
    const blankLead = await post(JSON.stringify({ id: 'evt-blank-lead', type: 'lead.created', occurred_at: '2026-03-02T10:00:00Z', lead: { id: '   ', email: 'blank@example.com' } }));
    expect(blankLead.status).toBe(400);
    expect(((await blankLead.json()) as { message: string }).message).toBe('lead.id: must not be blank');
    const blankRep = await post(JSON.stringify({
      id: 'evt-blank-rep', type: 'deal.created', occurred_at: '2026-03-02T10:00:00Z',
      deal: { id: 'D-blank', rep: ' ', amount: '10', currency: 'USD', stage: 'open' },
    }));
    expect(blankRep.status).toBe(400);
    expect(((await blankRep.json()) as { message: string }).message).toBe('deal.rep: must not be blank');
    // A lead id is part of its sequence runs' workflow ids: one Temporal cannot take is the sender's mistake.
    const long = 'L'.repeat(201);
    const longLead = await post(JSON.stringify({ id: 'evt-long-lead', type: 'lead.created', occurred_at: '2026-03-02T10:00:00Z', lead: { id: long, email: 'long@example.com' } }));
    expect(longLead.status).toBe(400);
    expect(((await longLead.json()) as { message: string }).message).toBe('lead.id: at most 200 characters');
    expect(await getLead(h.db, long)).toBeNull();
    expect(await countEvents(h.db)).toBe(before);
    expect(await getLead(h.db, '   ')).toBeNull();
    expect(await getDeal(h.db, 'D-blank')).toBeNull();
  });

  it('reads " L-1 " as the lead L-1, as an import of the same cell would, not as a second lead', async () => {
    const res = await post(JSON.stringify({ id: 'evt-padded', type: 'lead.updated', occurred_at: '2026-03-02T11:00:00Z', lead: { id: ' L-1 ', email: 'ada@example.com', source: ' partner ' } }));
    expect(res.status).toBe(202);
    expect(await getLead(h.db, ' L-1 ')).toBeNull();
    expect(await getLead(h.db, 'L-1')).toMatchObject({ name: 'Ada Lovelace', source: 'partner' });
    const deal = await post(JSON.stringify({
      id: 'evt-padded-deal', type: 'deal.created', occurred_at: '2026-03-02T11:00:00Z',
      deal: { id: ' D-pad ', rep: ' r-1 ', amount: '10', currency: 'USD', stage: 'open' },
    }));
    expect(deal.status).toBe(202);
    expect(await getDeal(h.db, 'D-pad')).toMatchObject({ id: 'D-pad', rep: 'r-1' });
  });
});
