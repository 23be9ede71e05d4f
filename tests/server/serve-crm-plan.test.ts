// CRM mappings travel with the applied plan (issue #10 item 3, issue #13), driven through the built
// CLI (`npm run build` first) as a team runs it: `apply` in the rules checkout records the rules and
// rules/crm/*.yaml in the data source; `serve`, started in an empty folder (a container without the
// checkout), translates a signed webhook by the applied mapping; a mapping-only change shows in
// `status` as a difference, is a new version in `history` once applied, and is picked up by the
// running serve without a restart. On SQLite and, where installed, PostgreSQL.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { type DevServerProcess, freePort, spawnDevServer } from '../../src/temporal/index.js';
import { forEachDialect } from '../support/dialects.js';

const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));
const SECRET = 'serve-crm-secret-0123456789abcdef';
const ACME_SECRET = 'acme-webhook-secret-0123456789';

const rules = `sequence "Thanks after win" {
  on deal.won
  send "thanks" to deal.contact
}
`;
const thanks = '---\nsubject: Thank you\n---\nThanks for choosing us, {{deal.name}}.\n';
// Acme's in-house CRM, a generic JSON source: only this file makes /webhooks/generic/acme exist.
const acme = (stages: string) => `unknown_owner: keep
webhook:
  signature:
    header: X-Acme-Signature
    algorithm: sha256
    encoding: hex
  records: records
  object: deal
  event_id: [event_id]
deal:
  objects: [deal]
  fields:
    id: id
    name: title
    amount: value
    currency: currency
    stage: phase
    rep: owner
    contact: contact
  stages:
${stages}
  unknown_stage: error
  events:
    created: deal.created
    updated: deal.updated
    won: deal.won
    lost: deal.lost
`;

let temporal: DevServerProcess;
let connection: Connection;
const folders: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  temporal = await spawnDevServer({ dbFile: null });
  connection = await Connection.connect({ address: temporal.address });
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
afterAll(async () => {
  await connection?.close();
  await temporal?.stop();
});

function folder(name: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `salesflow-${name}-`));
  folders.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/**
 * The built CLI in `cwd`. Not spawnSync: a blocked event loop would miss the server closing an
 * idle keep-alive connection, and the next request would be sent down the closed socket.
 */
function cli(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `salesflow serve` as a child process in `cwd`; resolves once /healthz answers. */
async function startServe(cwd: string, env: NodeJS.ProcessEnv, url: string) {
  const child = spawn(process.execPath, [bin, 'serve'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false)); i++) {
    if (child.exitCode !== null || i > 300) throw new Error(`salesflow serve did not start (exit ${child.exitCode}):\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { output: () => stdout, stop: async () => { child.kill('SIGINT'); return exited; } };
}

forEachDialect('serve routes CRM webhooks by the applied plan\'s mappings', (target) => {
  it('a serve in an empty folder translates by the applied mapping; a mapping-only change is a new applied version it picks up without a restart', async () => {
    const databaseUrl = await target.fresh();
    const checkout = folder('checkout', {
      'rules/won.rules': rules,
      'rules/templates/thanks.md': thanks,
      'rules/crm/acme.yaml': acme('    signed: won\n    talking: open'),
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const taskQueue = `serve-crm-${target.dialect}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue,
      SALESFLOW_SECRET: SECRET, PORT: String(port), PUBLIC_URL: url, SALESFLOW_WEBHOOK_SECRET_ACME: ACME_SECRET,
    };

    const first = await cli(checkout, env, ['apply', 'rules']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Applied plan recorded in .*: version 1, plan [0-9a-f]{12}, 1 rule\(s\)/);

    // Nothing beside it: no rules/, no crm/. Everything comes from DATABASE_URL.
    const serve = await startServe(folder('container'), env, url);
    expect(serve.output()).toMatch(/routing by the applied plan \(version 1,/);
    expect(serve.output()).toContain('CRM mappings: acme (rules/crm/acme.yaml); hubspot, salesforce, zoho use the built-in preset');

    const post = async (eventId: string, record: Record<string, string>) => {
      const body = JSON.stringify({ event_id: eventId, records: [record] });
      const signature = createHmac('sha256', ACME_SECRET).update(body).digest('hex');
      const res = await fetch(`${url}/webhooks/generic/acme`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'X-Acme-Signature': signature }, body,
      });
      return { status: res.status, body: (await res.json()) as { results?: { type?: string; status: string; detail?: string }[]; message?: string } };
    };
    // Deal ids per data source: both share one Temporal, where a run's id is its deal's.
    const d100 = `${target.dialect}-100`;
    const d101 = `${target.dialect}-101`;
    const deal = (id: string, phase: string) => ({ id, title: `Deal ${id}`, value: '5000', currency: 'USD', phase, owner: 'r-zed', contact: `buyer-${id}@customer.example` });

    // "signed" is Acme's own stage: the applied mapping makes it won, which starts the sequence.
    const won = await post('e-1', deal(d100, 'signed'));
    expect(won).toEqual({ status: 200, body: { status: 'accepted', results: [{ event: `acme:e-1:${d100}`, type: 'deal.won', status: 'accepted' }] } });
    const workflows = new Client({ connection });
    const run = await workflows.workflow.getHandle(`seq:thanks-after-win:deal:${d100}`).describe();
    expect(run.taskQueue).toBe(taskQueue);

    // A stage the applied mapping does not know is rejected: nothing of it is stored, and it is
    // recorded, so status shows it.
    const unknown = await post('e-2', deal(d101, 'countersigned'));
    expect(unknown.status).toBe(200);
    expect(unknown.body.results).toEqual([{ event: `acme:e-2:${d101}`, status: 'rejected', detail: expect.stringContaining('unknown stage "countersigned": map it under deal.stages in rules/crm/acme.yaml') }]);

    // The mapping changes in the checkout; the rules do not. Status shows it before it is applied.
    writeFileSync(join(checkout, 'rules/crm/acme.yaml'), acme('    signed: won\n    countersigned: won\n    talking: open'));
    const status = await cli(checkout, env, ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('  CRM mappings: acme');
    expect(status.stdout).toMatch(/Rejected CRM changes: 1 since the applied plan was applied, 1 in all .*\n {2}\S+ {2}acme change e-2:\S+ \(deal \S+-101\): \S+: unknown stage "countersigned"/);
    expect(status.stdout).toMatch(/Working copy \(rules\/\): plan [0-9a-f]{12}, differs from the applied plan:\n {2}~ CRM mapping "acme" {2}\(changed: applied [0-9a-f]{12}, working copy [0-9a-f]{12}\)\n {2}1 rule\(s\) unchanged\./);
    const json = JSON.parse((await cli(checkout, env, ['status', '--format', 'json'])).stdout) as {
      workingCopy: { sameAsApplied: boolean; difference: { changed: unknown[] }; crmDifference: { changed: { name: string }[] } };
    };
    expect(json.workingCopy).toMatchObject({ sameAsApplied: false, difference: { changed: [] }, crmDifference: { changed: [{ name: 'acme' }] } });

    const second = await cli(checkout, env, ['apply', 'rules']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Applied plan recorded in .*: version 2,/);
    const history = await cli(checkout, env, ['history']);
    expect(history.stdout.split('\n').slice(1, 5)).toEqual([
      expect.stringMatching(/^2 +\S+ +[0-9a-f]{12} +- +1 +\(applied\)$/),
      '         crm ~ acme',
      expect.stringMatching(/^1 +\S+ +[0-9a-f]{12} +- +1$/),
      '         + "Thanks after win"; crm + acme',
    ]);
    expect((await cli(checkout, env, ['status'])).stdout).toMatch(/Working copy \(rules\/\): plan [0-9a-f]{12}, the same as the applied plan\./);

    // The running serve (never restarted) now takes the stage, by version 2's mapping.
    const after = await post('e-3', deal(d101, 'countersigned'));
    expect(after).toEqual({ status: 200, body: { status: 'accepted', results: [{ event: `acme:e-3:${d101}`, type: 'deal.won', status: 'accepted' }] } });
    expect(serve.output()).toMatch(/now routing by the newly applied plan [0-9a-f]{12} \(was [0-9a-f]{12}\): version 2/);
    const db = await openDatabase(databaseUrl);
    expect(await getDeal(db, d101)).toMatchObject({ stage: 'won', amount: '5000', rep: 'r-zed' });
    await db.close();

    await expect(serve.stop()).resolves.toBe(0);
  });
});

