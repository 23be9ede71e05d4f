// `npm run chaos` in small (issue #10, item 5): three `salesflow worker` processes plus `serve`
// on one PostgreSQL (the shared SQLite file where none is installed); 30 sequences that wait a minute between two emails and 10 payouts approved
// through the emailed links, while a random worker is killed with SIGKILL (and restarted) every few
// seconds until the work is done, and the Temporal dev server is killed and restarted once on its
// file, and PostgreSQL is restarted once. Nothing may be lost and nothing sent or recorded twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { preferredDataSource, type DataSource } from '../../chaos/data-source.js';
import { chaosLine, run, type RunResult } from '../../chaos/run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let data: DataSource;
let result: RunResult;
const lines: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-chaos-small-'));
  data = await preferredDataSource(dir);
  result = await run({
    root, dir, data, workers: 3,
    size: { sequences: 30, payouts: 10, waitMinutes: 1 },
    chaos: { kills: 4, killEveryMs: 3000, restartTemporal: true, restartDatabase: true },
    timeoutMs: 150_000,
    log: (line) => lines.push(line),
  });
}, 175_000);
afterAll(async () => {
  await data?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('workers killed mid-run and a Temporal restart lose nothing and duplicate nothing', () => {
  const log = lines.join('\n');
  expect(result.kills, log).toBeGreaterThanOrEqual(4);
  expect(log).toMatch(/Temporal dev server killed and restarted/);
  expect(chaosLine(result.tally), log).toBe(
    'chaos: emails 80 expected, 80 sent, 0 lost, 0 duplicated; payouts 10 expected, 10 recorded, 0 lost, 0 duplicated',
  );
  expect(result.tally.outbox).toEqual({ keys: 80, sent: 80 });
});
