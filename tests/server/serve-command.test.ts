// `salesflow serve` as a user runs it: configuration from the environment, rules from a folder or
// the applied plan in the data source, a real Temporal to connect to; it answers HTTP until SIGINT,
// then shuts down cleanly (exit 0). A new apply while it runs is routed by without a restart.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/serve.js';
import { recordAppliedTemporal } from '../../src/data/applied-temporal.js';
import { openDatabase } from '../../src/data/db.js';
import { getLead } from '../../src/data/leads.js';
import { loadRules } from '../../src/dsl/index.js';
import { recordPlan } from '../../src/runtime/applied-plan.js';
import { signBody } from '../../src/server/signature.js';
import { freePort, startTimeSkippingEnv } from '../../src/temporal/index.js';
import { SECRET } from './harness.js';

let testEnv: TestWorkflowEnvironment;
let dir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  testEnv = await startTimeSkippingEnv();
  dir = mkdtempSync(path.join(tmpdir(), 'salesflow-serve-'));
});
afterEach(() => {
  process.env = { ...savedEnv };
  vi.restoreAllMocks();
});
afterAll(async () => {
  await testEnv?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

function captureStderr(): () => string {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  return () => text;
}

it('serves the webhook with the repository rules and stops on SIGINT with exit 0', async () => {
  const port = await freePort();
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: testEnv.address,
    PORT: String(port),
    SALESFLOW_SECRET: SECRET,
    DATABASE_URL: path.join(dir, 'serve.db'),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const exit = run(['rules/']);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 200) throw new Error('salesflow serve did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
  // Wired to the process's own data source and Temporal connection: ready while both answer.
  const ready = await fetch(`${url}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { database: 'ok', temporal: 'ok' } }]);
  const body = JSON.stringify({
    id: 'evt-serve-1', type: 'deal.updated', occurred_at: '2026-03-01T10:00:00Z',
    deal: { id: 'D-1', rep: 'rep-1', amount: '1000', currency: 'USD', stage: 'open' },
  });
  const res = await fetch(`${url}/events`, { method: 'POST', headers: { 'X-Salesflow-Signature': signBody(body, SECRET) }, body });
  expect(res.status).toBe(202);
  process.emit('SIGINT');
  await expect(exit).resolves.toBe(0);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});

it('refuses to start without SALESFLOW_SECRET, saying why', async () => {
  delete process.env.SALESFLOW_SECRET;
  process.env.DATABASE_URL = path.join(dir, 'nosecret.db');
  const stderr = captureStderr();
  await expect(run(['rules/'])).resolves.toBe(1);
  expect(stderr()).toMatch(/SALESFLOW_SECRET is not set/);
});

it('refuses a bad PORT with a message naming the variable', async () => {
  Object.assign(process.env, { PORT: 'eighty', SALESFLOW_SECRET: SECRET });
  const stderr = captureStderr();
  await expect(run([])).resolves.toBe(1);
  expect(stderr()).toMatch(/PORT/);
});

/** A rules folder holding one sequence NAME on lead.created, compiled. */
async function sequencePlan(name: string) {
  const folder = path.join(dir, name.toLowerCase().replace(/\W+/g, '-'));
  mkdirSync(path.join(folder, 'templates'), { recursive: true });
  writeFileSync(path.join(folder, 'seq.rules'), `sequence "${name}" {\n  on lead.created\n  send "hello" to lead\n}\n`);
  writeFileSync(path.join(folder, 'templates', 'hello.md'), '---\nsubject: Hello\n---\nHello {{lead.name}}\n');
  const { plan, diagnostics } = await loadRules([folder]);
  if (!plan) throw new Error(JSON.stringify(diagnostics));
  return { plan, folder };
}

it('without rule paths: refuses to start before anything is applied, then routes by the applied plan and picks up a new apply without a restart', async () => {
  const port = await freePort();
  const database = path.join(dir, 'applied.db');
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: testEnv.address, PORT: String(port), SALESFLOW_SECRET: SECRET,
    DATABASE_URL: database, PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  const stderr = captureStderr();
  await expect(run([])).resolves.toBe(1);
  expect(stderr()).toMatch(/no plan has been applied to the data source .*applied\.db yet: run "salesflow apply/);

  const db = await openDatabase(database);
  const first = await sequencePlan('First welcome');
  await recordPlan(db, first.plan, [first.folder]);
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  const exit = run([]);
  const url = `http://127.0.0.1:${port}`;
  await untilListening(url);
  expect(stdout).toMatch(/routing by the applied plan \(version 1, plan [0-9a-f]{12}/);
  const post = async (eventId: string, leadId: string) => {
    const body = JSON.stringify({ id: eventId, type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: leadId, email: `${leadId}@lead.example` } });
    const res = await fetch(`${url}/events`, { method: 'POST', headers: { 'X-Salesflow-Signature': signBody(body, SECRET) }, body });
    return { status: res.status, text: await res.text() };
  };
  const before = await post('evt-a1', 'l-1');
  expect(before.status).toBe(202);
  expect(before.text).toContain('seq:first-welcome:lead:l-1');

  const second = await sequencePlan('Second welcome');
  await recordPlan(db, second.plan, [second.folder]);
  await db.close();
  const after = await post('evt-a2', 'l-2');
  expect(after.status).toBe(202);
  expect(after.text).toContain('seq:second-welcome:lead:l-2');
  expect(after.text).not.toContain('first-welcome');
  expect(stdout).toMatch(/now routing by the newly applied plan [0-9a-f]{12} \(was [0-9a-f]{12}\): version 2/);
  process.emit('SIGINT');
  await expect(exit).resolves.toBe(0);
});

// Was: serve compared its Temporal with the one the plan was applied to only at start; after an
// apply elsewhere (another cluster, another namespace) it kept routing events here, starting runs
// no worker polls and recording the events as seen, and /readyz said ready.
it('a running serve, after an apply to another Temporal, answers events 503 naming both and is not ready, until applied here again', async () => {
  const port = await freePort();
  const database = path.join(dir, 'moved.db');
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: testEnv.address, PORT: String(port), SALESFLOW_SECRET: SECRET,
    DATABASE_URL: database, PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  const db = await openDatabase(database);
  const { plan, folder } = await sequencePlan('Moved welcome');
  await recordPlan(db, plan, [folder]);
  const here = { address: testEnv.address, namespace: 'default', namespaceId: null, planVersion: 1, appliedAt: '2026-03-01T09:00:00.000Z' };
  await recordAppliedTemporal(db, here);
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  const exit = run([]);
  const url = `http://127.0.0.1:${port}`;
  await untilListening(url);
  const post = async (eventId: string, leadId: string) => {
    const body = JSON.stringify({ id: eventId, type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: leadId, email: `${leadId}@lead.example` } });
    const res = await fetch(`${url}/events`, { method: 'POST', headers: { 'X-Salesflow-Signature': signBody(body, SECRET) }, body });
    return { status: res.status, body: await res.json() as { error?: string; message?: string } };
  };
  try {
    expect((await post('evt-m1', 'l-m1')).status).toBe(202);

    await recordAppliedTemporal(db, { address: 'temporal.new-cluster.example:7233', namespace: 'sales', namespaceId: 'id-of-sales', planVersion: 1, appliedAt: '2026-03-02T09:00:00.000Z' });
    const refused = await post('evt-m2', 'l-m2');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('other_temporal');
    expect(refused.body.message).toContain(
      `this is Temporal at ${testEnv.address}, namespace "default" (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), but the plan was applied to ` +
        'Temporal at temporal.new-cluster.example:7233, namespace "sales" (salesflow apply, 2026-03-02T09:00:00.000Z)',
    );
    expect(await getLead(db, 'l-m2')).toBeNull();
    const ready = await fetch(`${url}/readyz`);
    const readyBody = await ready.json() as { status: string; checks: Record<string, string>; reasons: Record<string, string> };
    expect([ready.status, readyBody.status, readyBody.checks.temporal]).toEqual([503, 'not_ready', 'failed']);
    expect(readyBody.reasons.temporal).toContain('namespace "sales"');
    expect(stdout).toContain('salesflow serve: not taking events: this is Temporal at');

    // Applied here again: events are taken, the refused one too when the CRM sends it again.
    await recordAppliedTemporal(db, { ...here, appliedAt: '2026-03-03T09:00:00.000Z' });
    const again = await post('evt-m2', 'l-m2');
    expect(again.status).toBe(202);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(stdout).toContain('salesflow serve: taking events again');
  } finally {
    await db.close();
    process.emit('SIGINT');
    await expect(exit).resolves.toBe(0);
  }
});

it('with HUBSPOT_API_TOKEN set, warns at start when the HubSpot portal\'s time zone is not the one close dates are counted in', async () => {
  // HubSpot's account-info API, as a portal in New York answers it.
  const api = createServer((req, res) => {
    res.writeHead(req.url === '/account-info/v3/details' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/account-info/v3/details' ? JSON.stringify({ portalId: 62515, timeZone: 'US/Eastern', companyCurrency: 'USD' }) : '{}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  try {
    const port = await freePort();
    Object.assign(process.env, {
      TEMPORAL_ADDRESS: testEnv.address, PORT: String(port), SALESFLOW_SECRET: SECRET, DATABASE_URL: path.join(dir, 'hubspot-zone.db'),
      PUBLIC_URL: `http://127.0.0.1:${port}`, HUBSPOT_APP_SECRET: 'hubspot-app-secret-0123456789', HUBSPOT_API_TOKEN: 'pat-na1-test',
      HUBSPOT_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = captureStderr();
    const exit = run(['rules/']);
    for (let i = 0; !stderr().includes('warning:'); i++) {
      if (i > 200) throw new Error(`no warning from salesflow serve: ${stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stderr()).toContain(
      'salesflow serve: warning: the HubSpot portal\'s time zone is US/Eastern, but the hubspot mapping counts close dates on the day they fall on in UTC: ' +
      'a deal closed in the evening or early morning counts on another day than HubSpot shows (on a quarter\'s last day, in another quarter). ' +
      'Set timezone: US/Eastern in rules/crm/hubspot.yaml, with preset: hubspot, and apply it (docs/crm.md, HubSpot)\n');
    process.emit('SIGINT');
    await expect(exit).resolves.toBe(0);
  } finally {
    api.close();
  }
});

/** Waits until `salesflow serve` answers /healthz at `url`. */
async function untilListening(url: string): Promise<void> {
  for (let i = 0; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false)); i++) {
    if (i > 200) throw new Error('salesflow serve did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
}
