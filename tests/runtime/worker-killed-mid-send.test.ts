// A worker killed with SIGKILL in the middle of an SMTP transaction: the send is retried on the
// worker started in its place as soon as the missing heartbeats show the crash (seconds), not
// after the activity's minutes-long start-to-close timeout, and the email arrives exactly once.
// Real parts: the Temporal dev server, `salesflow worker` and `serve` processes, a real SMTP
// server that holds the first message unanswered, PostgreSQL (or the SQLite file where none is installed).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Cluster, sleep } from '../../chaos/cluster.js';
import { type DataSource, preferredDataSource } from '../../chaos/data-source.js';
import { closedQuarter, importData, sendEvents, writeFixtures } from '../../chaos/workload.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let cluster: Cluster;
let data: DataSource;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-killed-mid-send-'));
  writeFixtures(dir, { sequences: 1, payouts: 1, waitMinutes: 0 }, closedQuarter());
  data = await preferredDataSource(dir);
  cluster = new Cluster({ dir, root, data, workers: 1 });
  await cluster.start();
  await importData(cluster);
  await cluster.startProcesses();
});
afterAll(async () => {
  await cluster?.stop();
  await data?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${cluster.logTail()}`);
    await sleep(200);
  }
}

test('the email of a worker killed mid-send goes out once, from its replacement, within the heartbeat timeout', async () => {
  cluster.smtp.stallNext(1);
  await sendEvents(cluster, 1);
  await until('the first send to hang in SMTP', () => cluster.smtp.stalled === 1, 60_000);
  expect(cluster.smtp.received).toEqual([]);

  const killedAt = Date.now();
  await cluster.killWorker(0);
  const subjects = () => cluster.smtp.received.map((m) => m.subject);
  await until('the welcome email from the new worker', () => subjects().includes('chaos-welcome L-00001'), 110_000);
  // The activity's start-to-close is 2 minutes; its heartbeat timeout is 20 s and the dead
  // sender's outbox lease runs out 30 s after its last renewal.
  expect(Date.now() - killedAt).toBeLessThan(100_000);

  await until('the follow-up email', () => subjects().includes('chaos-follow-up L-00001'), 30_000);
  await sleep(1000);
  expect(subjects().sort()).toEqual(['chaos-follow-up L-00001', 'chaos-welcome L-00001']);
  const outbox = await cluster.options.data.query<{ status: string }>('SELECT status FROM outbox');
  expect(outbox.map((r) => r.status)).toEqual(['sent', 'sent']);
}, 180_000);
