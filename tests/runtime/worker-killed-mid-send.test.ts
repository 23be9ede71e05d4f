// A worker killed with SIGKILL in the middle of an SMTP transaction: the send is retried on the
// worker started in its place as soon as the missing heartbeats show the crash (seconds), not
// after the activity's minutes-long start-to-close timeout, and the email arrives exactly once.
// Real parts: the Temporal dev server, `salesflow worker` and `serve` processes, a real SMTP
// server that holds the first message unanswered, a SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Cluster, sleep } from '../../chaos/cluster.js';
import { sqliteDataSource } from '../../chaos/data-source.js';
import { importData, sendEvents, writeFixtures } from '../../chaos/workload.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let cluster: Cluster;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-killed-mid-send-'));
  writeFixtures(dir, { sequences: 1, payouts: 1, waitMinutes: 0 });
  cluster = new Cluster({ dir, root, data: sqliteDataSource(path.join(dir, 'data')), workers: 1 });
  await cluster.start();
  await importData(cluster);
  await cluster.startProcesses();
});
afterAll(async () => {
  await cluster?.stop();
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
  await until('the welcome email from the new worker', () => subjects().includes('chaos-welcome L-00001'), 75_000);
  // The activity's start-to-close is 2 minutes; the heartbeat timeout is 20 s.
  expect(Date.now() - killedAt).toBeLessThan(60_000);

  await until('the follow-up email', () => subjects().includes('chaos-follow-up L-00001'), 30_000);
  await sleep(1000);
  expect(subjects().sort()).toEqual(['chaos-follow-up L-00001', 'chaos-welcome L-00001']);
  const outbox = await cluster.options.data.query<{ status: string }>('SELECT status FROM outbox');
  expect(outbox.map((r) => r.status)).toEqual(['sent', 'sent']);
}, 180_000);
