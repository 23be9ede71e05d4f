// A Temporal Schedule (dev server: the time-skipping server has none) starting dispatchWorkflow:
// the period comes from the schedule's nominal fire time, so a backfill or a late catch-up of the
// 1 April 00:00 (Berlin) tick still pays 2026-Q1, whatever the clock says now.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMailer } from '../../src/activities/mail.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { upsertDeal } from '../../src/data/deals.js';
import { exportLedger } from '../../src/data/ledger.js';
import { upsertRep } from '../../src/data/reps.js';
import { createWorker, type SalesflowWorker } from '../../src/runtime/worker.js';
import { spawnDevServer, type DevServerProcess } from '../../src/temporal/index.js';
import { workflowIds } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { startMailCatcher, type MailCatcher } from './support/mail-catcher.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const taskQueue = 'schedule-dispatch';
let server: DevServerProcess;
let mail: MailCatcher;
let db: Db;
let dir: string;
let connection: Connection;
let client: Client;
let native: NativeConnection;
let worker: SalesflowWorker;
let running: Promise<void>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-schedule-'));
  db = await openDatabase(path.join(dir, 'salesflow.db'));
  [server, mail] = await Promise.all([spawnDevServer({ dbFile: null }), startMailCatcher()]);
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
  native = await NativeConnection.connect({ address: server.address });
  const config = loadConfig({ SALESFLOW_SECRET: 'schedule-secret-0123456789', PUBLIC_URL: 'http://salesflow.test', TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: taskQueue });
  worker = await createWorker(config, { connection: native, db, mailer: createMailer(mail.url) });
  running = worker.run();
  for (const id of ['s-ae-1', 's-ae-2']) {
    await upsertRep(db, { id, name: id, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: null, timezone: 'Europe/Berlin', start_date: null });
    await upsertDeal(db, { id: `${id}-d`, rep: id, name: 'd', amount: '100000', currency: 'USD', stage: 'won', product: 'Core', type: 'new', source: null, closed_at: '2026-03-30', contact: null });
  }
});
afterAll(async () => {
  await worker?.shutdown();
  await running?.catch(() => {});
  await native?.close();
  await connection?.close();
  await Promise.all([mail?.close(), server?.stop()]);
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a backfilled period-end tick pays the quarter that ended at that tick', async () => {
  const rule = specRule({ id: 'scheduled-commission', cap: null, timezone: 'Europe/Berlin' });
  const handle = await client.schedule.create({
    scheduleId: 'salesflow:scheduled-commission:incentive-period-end',
    spec: { calendars: [{ month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'], dayOfMonth: 1, hour: 0, minute: 0 }], timezone: 'Europe/Berlin' },
    action: { type: 'startWorkflow', workflowType: 'dispatchWorkflow', taskQueue, args: [{ rule, action: 'incentive-period-end' }] },
    state: { paused: true },
  });
  try {
    // 1 April 2026 00:00 in Berlin is 31 March 22:00 UTC.
    await handle.backfill([{ start: new Date('2026-03-31T21:59:00Z'), end: new Date('2026-03-31T22:01:00Z'), overlap: 'ALLOW_ALL' }]);
    const ids = ['s-ae-1', 's-ae-2'].map((rep) => workflowIds.payout(rule.id, rep, '2026-Q1'));
    const deadline = Date.now() + 60_000;
    while ((await exportLedger(db, '2026-Q1')).filter((e) => e.ruleId === rule.id).length < 2) {
      if (Date.now() > deadline) throw new Error('the scheduled dispatch never paid 2026-Q1');
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const id of ids) expect((await client.workflow.getHandle(id).result()).phase).toBe('approved');
    expect((await exportLedger(db, '2026-Q1')).filter((e) => e.ruleId === rule.id).map((e) => [e.rep, e.amount])).toEqual([['s-ae-1', '8000.00'], ['s-ae-2', '8000.00']]);
  } finally {
    await handle.delete();
  }
});
