// Names that are also properties of every JavaScript object (`constructor`, `toString`,
// `__proto__`): a generic source called `constructor` and a CRM sending such a word as a stage or
// deal type are answered like any other name, over real HTTP (once a 500 with a TypeError).
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { getDeal } from '../../src/data/deals.js';
import { countEvents } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import { type Harness, startHarness } from './harness.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const SECRET = 'constructor-secret-0123456789';
let h: Harness;
let unset: Harness;

beforeAll(async () => {
  // Two generic sources named after Object.prototype properties, each a copy of the Fxiaoke mapping
  // (with a deal type field, so a type value is looked up too).
  const rules = mkdtempSync(join(tmpdir(), 'salesflow-proto-'));
  mkdirSync(join(rules, 'crm'));
  const fxiaoke = readFileSync(join(fixtures, 'rules', 'crm', 'fxiaoke.yaml'), 'utf8').replace('    contact: contact_email\n', '    contact: contact_email\n    type: deal_type\n');
  writeFileSync(join(rules, 'crm', 'constructor.yaml'), fxiaoke);
  writeFileSync(join(rules, 'crm', 'valueof.yaml'), fxiaoke);
  const loaded = loadMappings([rules], rules);
  rmSync(rules, { recursive: true, force: true });
  expect(loaded.diagnostics).toEqual([]);
  expect(loaded.mappings.map((m) => m.name).sort()).toEqual(['constructor', 'valueof']);
  h = await startHarness({ env: { SALESFLOW_WEBHOOK_SECRET_CONSTRUCTOR: SECRET }, mappings: loaded.mappings });
  unset = await startHarness({ mappings: loaded.mappings });
  for (const db of [h.db, unset.db]) {
    await upsertRep(db, { id: 'r-li', name: 'Li Na', email: 'li@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
    await setRepCrmId(db, 'r-li', 'FSUID_1001');
  }
});
afterAll(async () => { await h?.close(); await unset?.close(); });

function post(server: Harness, source: string, body: string) {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return fetch(`${server.url}/webhooks/generic/${source}`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Fs-Signature': signature }, body });
}

const deal = (eventId: string, id: string, stage: string, type = 'new') => JSON.stringify({
  event_id: eventId,
  data: [{ object_api_name: 'NewOpportunityObj', _id: id, name: 'Proto', amount: '100.00', currency: 'CNY', sales_stage: stage, deal_type: type, owner: 'FSUID_1001', last_modified_time: 1772380800000 }],
});

describe('generic sources named like Object.prototype properties', () => {
  it('a source named constructor with its secret set takes its records', async () => {
    const res = await post(h, 'constructor', deal('evt-1', 'proto-1', 'win'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [{ event: 'constructor:evt-1:proto-1', type: 'deal.won', status: 'accepted' }] });
    expect(await getDeal(h.db, 'proto-1')).toMatchObject({ stage: 'won', amount: '100.00', rep: 'r-li' });
  });

  it('a source named constructor or valueof without a secret is 404 naming the variable to set, nothing stored', async () => {
    for (const [server, name] of [[unset, 'constructor'], [h, 'valueof']] as const) {
      const before = await countEvents(server.db);
      const res = await post(server, name, deal('evt-2', 'proto-2', 'win'));
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not_configured', message: `the ${name} webhook is not configured: set SALESFLOW_WEBHOOK_SECRET_${name.toUpperCase()}` });
      expect(await countEvents(server.db)).toBe(before);
    }
  });
});

describe('CRM values that are Object.prototype property names', () => {
  it('a stage "constructor", "toString" or "__proto__" is an unknown stage, rejected with its name; the deal keeps its stage', async () => {
    for (const [i, stage] of ['constructor', 'toString', '__proto__', 'hasOwnProperty'].entries()) {
      const res = await post(h, 'constructor', deal(`evt-stage-${i}`, 'proto-1', stage));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'partly_rejected', rejected: 1, results: [
        { status: 'rejected', detail: expect.stringContaining(`sales_stage: unknown stage "${stage}": map it under deal.stages`) },
      ] });
    }
    expect((await getDeal(h.db, 'proto-1'))?.stage).toBe('won');
  });

  it('a deal type "constructor" is no type (as any unknown type), not a stored function', async () => {
    const res = await post(h, 'constructor', deal('evt-type', 'proto-3', 'win', 'constructor'));
    expect(await res.json()).toMatchObject({ results: [{ status: 'accepted' }] });
    expect(await getDeal(h.db, 'proto-3')).toMatchObject({ stage: 'won', type: null });
  });
});

describe('form parameters named like Object.prototype properties', () => {
  it('a multipart parameter named toString is read like any other (it was dropped as if already seen)', async () => {
    // The Fxiaoke copy reading the deal's name from a parameter called toString.
    const rules = mkdtempSync(join(tmpdir(), 'salesflow-proto-form-'));
    mkdirSync(join(rules, 'crm'));
    writeFileSync(join(rules, 'crm', 'formcrm.yaml'), readFileSync(join(fixtures, 'rules', 'crm', 'fxiaoke.yaml'), 'utf8')
      .replace('  records: data\n', '  records: ""\n').replace('    name: name\n', '    name: toString\n'));
    const loaded = loadMappings([rules], rules);
    rmSync(rules, { recursive: true, force: true });
    expect(loaded.diagnostics).toEqual([]);
    const server = await startHarness({ env: { SALESFLOW_WEBHOOK_SECRET_FORMCRM: SECRET }, mappings: loaded.mappings });
    try {
      await upsertRep(server.db, { id: 'r-li', name: 'Li Na', email: 'li@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
      await setRepCrmId(server.db, 'r-li', 'FSUID_1001');
      const form = new FormData();
      for (const [k, v] of Object.entries({ event_id: 'evt-form', object_api_name: 'NewOpportunityObj', _id: 'form-1', toString: 'Named by toString', amount: '5.00', currency: 'CNY', sales_stage: 'win', owner: 'FSUID_1001', last_modified_time: '1772380800000' })) form.append(k, v);
      const request = new Request('http://x/', { method: 'POST', body: form });
      const body = Buffer.from(await request.arrayBuffer());
      const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const res = await fetch(`${server.url}/webhooks/generic/formcrm`, { method: 'POST', headers: { 'content-type': request.headers.get('content-type')!, 'X-Fs-Signature': signature }, body });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ results: [{ event: 'formcrm:evt-form:form-1', status: 'accepted' }] });
      expect(await getDeal(server.db, 'form-1')).toMatchObject({ name: 'Named by toString', stage: 'won' });
    } finally {
      await server.close();
    }
  });
});
