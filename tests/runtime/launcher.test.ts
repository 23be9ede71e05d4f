// The `salesflow` command as npm installs it (bin/salesflow): `worker` starts node with the memory
// settings, stays one process (signals reach node; the exit status is node's), and runs workflows;
// other commands run node as is.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { upsertLead } from '../../src/data/leads.js';
import { listCaughtMail, type MailCatcher, startMailCatcher } from '../../src/runtime/mail-catcher.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { workflowIds } from '../../src/workflows/api.js';
import { sequenceRule, step, template } from '../workflows/support/rules.js';

const bin = fileURLToPath(new URL('../../bin/salesflow', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-launcher-'));
const dbPath = path.join(dir, 'salesflow.db');
let server: DevServerProcess;
let mail: MailCatcher;
let connection: Connection;

beforeAll(async () => {
  const db = await openDatabase(dbPath);
  [server, mail] = await Promise.all([spawnDevServer({ dbFile: null }), startMailCatcher(db)]);
  connection = await Connection.connect({ address: server.address });
}, 60_000);
afterAll(async () => {
  await connection?.close();
  await mail?.close();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function startWorker(extraEnv: Record<string, string>) {
  const child = spawn(bin, ['worker'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: 'launcher',
      SMTP_URL: mail.smtpUrl,
      DATABASE_URL: dbPath,
      PUBLIC_URL: 'http://salesflow.test',
      SALESFLOW_SECRET: 'launcher-secret-0123456789abcdef',
      NODE_OPTIONS: '',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += String(d); });
  child.stderr.on('data', (d) => { out += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = async (pattern: RegExp, timeoutMs = 60_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out)) {
      if (Date.now() > deadline) throw new Error(`worker did not print ${pattern} within ${timeoutMs} ms; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return out;
  };
  return { child, exited, line };
}

test('`salesflow worker` runs with the memory settings, runs a sequence, and exits 0 on SIGTERM', async () => {
  const worker = startWorker({});
  const started = await worker.line(/polling task queue "launcher"/);
  expect(started).toContain('memory: semi-space 2 MB, 2 malloc arenas');

  const db = await openDatabase(dbPath);
  const lead = { id: 'l1', name: 'Lin', email: 'lin@prospect.example', company: null, source: 'webinar', stage: null, owner: null, timezone: null, score: null };
  await upsertLead(db, lead);
  await db.close();
  const client = new Client({ connection, namespace: server.namespace });
  const rule = sequenceRule({ id: 'launcher-seq', templates: [template('hello', 'Hello {{lead.name}}', 'Hi.')], steps: [step.send('hello')] });
  const result = await client.workflow.execute('sequenceWorkflow', {
    taskQueue: 'launcher', workflowId: workflowIds.sequence(rule.id, 'lead', lead.id), args: [{ rule, subject: { kind: 'lead', lead } }],
  });
  expect(result).toMatchObject({ outcome: 'completed' });
  const reader = await openDatabase(dbPath);
  expect((await listCaughtMail(reader, { to: lead.email })).map((m) => m.subject)).toEqual(['Hello Lin']);
  await reader.close();

  // The signal goes to the process spawned: node itself, not a shell waiting on it.
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  await worker.line(/salesflow worker: stopped/);
}, 120_000);

test('the settings can be turned off, and a semi-space size of your own is kept', async () => {
  const off = startWorker({ SALESFLOW_NODE_TUNING: 'off' });
  expect(await off.line(/polling task queue/)).toContain('memory: default semi-space, default malloc arenas');
  off.child.kill('SIGINT');
  expect(await off.exited).toBe(0);

  const own = startWorker({ NODE_OPTIONS: '--max-semi-space-size=8', MALLOC_ARENA_MAX: '4' });
  expect(await own.line(/polling task queue/)).toContain('memory: semi-space 8 MB, 4 malloc arenas');
  own.child.kill('SIGTERM');
  expect(await own.exited).toBe(0);
}, 120_000);

test('other commands run node as is and keep their exit status', async () => {
  const check = spawnSync(bin, ['check', fileURLToPath(new URL('../../rules', import.meta.url))], { encoding: 'utf8' });
  expect(check.status).toBe(0);
  expect(check.stderr).toMatch(/0 errors/);
  const bad = spawnSync(bin, ['no-such-command'], { encoding: 'utf8' });
  expect(bad.status).not.toBe(0);
});
