// Two `serve` processes behind a load balancer on one data source (README: "More serve processes
// behind a load balancer are fine too"), over real HTTP with signed HubSpot requests. HubSpot sends
// batches in parallel, so two partial property changes of one deal can reach the two processes at
// the same instant; each merges its one property over the stored deal and writes the whole row.
// Every change must survive: the processes take a CRM's deliveries one at a time between them, and
// a request that waited too long for its turn is refused with 503 (the CRM retries), storing nothing.
// Runs the built package (`npm run build` first), on SQLite and, where installed, PostgreSQL.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { setRepCrmId } from '../../src/data/crm.js';
import { withCrmLock } from '../../src/data/crm-lock.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { getDeal, upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { forEachDialect } from '../support/dialects.js';
import { stopProcess } from '../support/processes.js';

const child = fileURLToPath(new URL('../support/webhook-server-child.mjs', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/crm-connectors', import.meta.url));
const APP_SECRET = 'several-serve-hubspot-secret';
// What HubSpot signs: the URL it was given, the load balancer's, the same for both processes.
const PUBLIC_URL = 'http://salesflow.example';
const DEALS = 40;

const children: ChildProcess[] = [];
const handles: Db[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => stopProcess(c)));
  for (const db of handles.splice(0)) await db.close();
});

/** One serve-like process on `databaseUrl`; its URL once it listens. */
async function startServe(databaseUrl: string): Promise<string> {
  const env = {
    ...process.env, SALESFLOW_SECRET: 'several-serve-secret-0123456789abcdef', DATABASE_URL: databaseUrl, PORT: '0',
    PUBLIC_URL, HUBSPOT_APP_SECRET: APP_SECRET,
  };
  const p = spawn(process.execPath, [child, fixtures], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]) as { url: string }).url);
    });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.once('exit', (code) => reject(new Error(`serve-like child exited ${code} before listening: ${err}`)));
  });
}

let nextEventId = 1000;
function propertyChange(dealId: number, propertyName: string, propertyValue: string) {
  return {
    eventId: nextEventId++, subscriptionId: 12345, portalId: 62515, appId: 54321, occurredAt: Date.now() - 60_000,
    subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId: dealId, propertyName, propertyValue, changeSource: 'CRM',
  };
}

/** POST one signed (v3) batch to one process, as HubSpot does through the load balancer. */
async function deliver(serverUrl: string, batch: object[]): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(batch);
  const timestamp = Date.now();
  const signature = createHmac('sha256', APP_SECRET).update(`POST${PUBLIC_URL}/webhooks/hubspot${body}${timestamp}`).digest('base64');
  const res = await fetch(`${serverUrl}/webhooks/hubspot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) },
    body,
  });
  return { status: res.status, body: await res.json() };
}

/** The data source with rep r-ada (HubSpot owner 501) and an open 1000.00 USD deal "Deal N" per id. */
async function seeded(url: string, dealIds: number[]): Promise<Db> {
  const db = await openDatabase(url);
  handles.push(db);
  await upsertRep(db, { id: 'r-ada', name: 'Ada', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: null, start_date: null });
  await setRepCrmId(db, 'r-ada', '501');
  for (const id of dealIds) {
    await upsertDeal(db, { id: String(id), rep: 'r-ada', name: `Deal ${id}`, amount: '1000.00', currency: 'USD', stage: 'open', product: null, type: 'new', source: null, closed_at: null, contact: null });
  }
  return db;
}

forEachDialect('two serve processes taking HubSpot webhooks', (target) => {
  it('keeps both of two property changes of one deal sent at once to different processes, every time', async () => {
    const url = await target.fresh();
    const db = await seeded(url, Array.from({ length: DEALS }, (_, i) => i + 1));
    const serves = await Promise.all([startServe(url), startServe(url)]);

    for (let i = 1; i <= DEALS; i++) {
      // Which process gets which property alternates, so neither is always first.
      const [amountTo, nameTo] = i % 2 ? serves : [serves[1], serves[0]];
      const answers = await Promise.all([
        deliver(amountTo, [propertyChange(i, 'amount', `${5000 + i}.25`)]),
        deliver(nameTo, [propertyChange(i, 'dealname', `Renamed ${i}`)]),
      ]);
      for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { results: [{ status: 'accepted' }] } });
    }

    const lost: string[] = [];
    for (let i = 1; i <= DEALS; i++) {
      const deal = await getDeal(db, String(i));
      if (deal?.amount !== `${5000 + i}.25`) lost.push(`deal ${i}: amount is ${deal?.amount}`);
      if (deal?.name !== `Renamed ${i}`) lost.push(`deal ${i}: name is ${deal?.name}`);
    }
    expect(lost).toEqual([]);
  });

  it("answers 503 when another process keeps the CRM's turn too long, stores nothing, and takes the CRM's retry", async () => {
    const url = await target.fresh();
    const db = await seeded(url, [77]);
    const serve = await startServe(url);
    const batch = [propertyChange(77, 'amount', '2500.00')];

    // This test process takes HubSpot's turn, as another serve stuck routing to Temporal would.
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let holding!: () => void;
    const held = new Promise<void>((resolve) => { holding = resolve; });
    const other = withCrmLock(db, 'hubspot', { waitMs: 1000, leaseMs: 60_000 }, async () => { holding(); await released; });
    await held;

    expect(await deliver(serve, batch)).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    expect((await getDeal(db, '77'))?.amount).toBe('1000.00');

    release();
    await other;
    expect(await deliver(serve, batch)).toMatchObject({ status: 200, body: { results: [{ status: 'accepted' }] } });
    expect((await getDeal(db, '77'))?.amount).toBe('2500.00');
  });
});
