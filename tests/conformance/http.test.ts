// SPEC §9 over real HTTP: `salesflow dev` (embedded Temporal dev server, worker, HTTP server)
// on free ports in a scratch folder, probed with fetch the way a CRM webhook or a mail client would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specGoal, specIncentive, specMetrics, specSequence, specTemplates } from './spec-examples.js';
import { templates, writeAt } from './cli.js';
import { freePort } from './dev-server.js';

const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));
const secret = 'conformance-http-secret-0123456789';

let dev: ChildProcess | undefined;
let base = '';
let output = '';
// Not workspace(): its per-test cleanup would delete the dev server's files under it.
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'salesflow-conformance-http-'));
  const files = {
    'rules/metrics.rules': specMetrics, 'rules/goal.rules': specGoal,
    'rules/incentive.rules': specIncentive, 'rules/sequence.rules': specSequence,
    ...templates(specTemplates),
  };
  for (const [path, text] of Object.entries(files)) writeAt(dir, path, text);
  const [http, temporal, ui] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${http}`;
  const env: NodeJS.ProcessEnv = { ...process.env, SALESFLOW_SECRET: secret, PUBLIC_URL: base, DATABASE_URL: join(dir, 'var', 'salesflow.db') };
  delete env.PORT;
  delete env.TEMPORAL_ADDRESS;
  delete env.SMTP_URL;
  dev = spawn(process.execPath, [bin, 'dev', '--port', String(http), '--temporal-port', String(temporal), '--ui-port', String(ui), 'rules'],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`salesflow dev did not start:\n${output}`)), 150_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('salesflow dev is running')) { clearTimeout(timer); resolve(); }
    };
    dev!.stdout!.on('data', onData);
    dev!.stderr!.on('data', onData);
    dev!.once('exit', (code) => { clearTimeout(timer); reject(new Error(`salesflow dev exited ${code}:\n${output}`)); });
  });
}, 180_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev!.once('exit', resolve));
    dev.kill('SIGINT');
    const timer = setTimeout(() => dev!.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

const sign = (body: string, key = secret): string => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

async function post(body: string, signature: string | null = sign(body)): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (signature !== null) headers['X-Salesflow-Signature'] = signature;
  const r = await fetch(`${base}/events`, { method: 'POST', headers, body });
  return { status: r.status, text: await r.text() };
}

const leadCreated = (id: string, leadId: string): string => JSON.stringify({
  id, type: 'lead.created', occurred_at: '2026-03-02T10:00:00Z',
  lead: { id: leadId, name: 'Ada', email: `${leadId.toLowerCase()}@conformance.example`, company: 'AE', source: 'webinar', stage: 'new', owner: 'r-jonas', timezone: 'America/New_York', score: 64 },
});

describe('POST /events (§9)', () => {
  it('missing, malformed or wrong signature → 401', async () => {
    const body = leadCreated('conf-sig-1', 'L-C1');
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, 'nonsense')).status).toBe(401);
    expect((await post(body, sign(body, 'another-secret-0123456789'))).status).toBe(401);
    expect((await post(body, sign(`${body} `))).status).toBe(401);
  });

  it('a valid event is accepted; the same id again is acknowledged and changes nothing', async () => {
    const body = leadCreated('conf-dup-1', 'L-C2');
    const first = await post(body);
    expect(first.status).toBeGreaterThanOrEqual(200);
    expect(first.status, `${first.text}\n${output.slice(-3000)}`).toBeLessThan(300);
    const again = await post(JSON.stringify({ ...JSON.parse(body) as object, type: 'lead.updated' }));
    expect(again.status).toBeGreaterThanOrEqual(200);
    expect(again.status).toBeLessThan(300);
    expect(again.text).toMatch(/duplicate|seen before/i);
  });

  it('bad JSON, unknown type, failing schema → 400 with a message', async () => {
    for (const body of [
      '{"id":"conf-bad-1","type":"lead.created",',
      JSON.stringify({ id: 'conf-bad-2', type: 'lead.exploded', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L-C3' } }),
      JSON.stringify({ id: 'conf-bad-3', type: 'lead.created', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L-C4', email: 'not-an-email' } }),
      JSON.stringify({ id: 'conf-bad-4', type: 'deal.won', occurred_at: 'yesterday', deal: { id: 'D-C1' } }),
      JSON.stringify({ id: 'conf-bad-5', type: 'deal.won', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L-C5' } }),
    ]) {
      const r = await post(body);
      expect(r.status, body).toBe(400);
      expect(r.text.length).toBeGreaterThan(10);
    }
  });

  it('an oversized body → 413', async () => {
    const body = JSON.stringify({ id: 'conf-big', type: 'lead.created', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L-C6', email: 'big@conformance.example', name: 'x'.repeat(5_000_000) } });
    // The server may answer before the upload ends and close the connection; a raw socket reads
    // the status line whenever it comes and ignores write errors after it.
    const status = await new Promise<number>((resolve, reject) => {
      const socket = connect(Number(new URL(base).port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(received);
        if (m) { resolve(Number(m[1])); socket.destroy(); }
      });
      socket.on('error', () => { /* EPIPE/ECONNRESET once the server has answered */ });
      socket.on('close', () => reject(new Error(`no status line; got ${JSON.stringify(received.slice(0, 200))}`)));
      socket.write(`POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Salesflow-Signature: ${sign(body)}\r\n\r\n`);
      // Give a server that judges by Content-Length the chance to answer before the upload, as
      // curl's `Expect: 100-continue` does; one that counts bytes gets the body after a pause.
      setTimeout(() => { if (!socket.destroyed) socket.write(body); }, 1500);
    });
    expect(status).toBe(413);
  });
});

describe('approval and unsubscribe links (§9)', () => {
  for (const path of ['/approvals/garbage', '/approvals/eyJ4IjoxfQ.c2lnbmF0dXJl', '/unsubscribe/garbage']) {
    it(`GET and POST ${path} → a clear page, not a success`, async () => {
      const get = await fetch(`${base}${path}`);
      expect(get.status).toBeGreaterThanOrEqual(400);
      expect(get.headers.get('content-type') ?? '').toMatch(/html/);
      expect(await get.text()).toMatch(/not valid|invalid|expired/i);
      const postR = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
      expect(postR.status).toBeGreaterThanOrEqual(400);
    });
  }
});
