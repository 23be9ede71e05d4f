// Two CI pipelines applying at once (two merges a minute apart), through the built CLI against a
// real Temporal dev server, on a SQLite file and on PostgreSQL: an apply that finds another one
// running says so and waits for it, and whatever the order, the plan recorded last is the one the
// Temporal schedules carry (before, an apply recording first could change the schedules last, so
// `status` named one plan while the period-end schedules paid by another's rules).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { appliedPlanHead, appliedPlanHistory } from '../../src/data/plans.js';
import { withApplyLock } from '../../src/runtime/apply-lock.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { forEachDialect } from '../support/dialects.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'salesflow.js');
let server: DevServerProcess;
let work: string;

interface Running { done: Promise<{ code: number | null; stdout: string; stderr: string }>; stderrSoFar: () => string }

function salesflow(folder: string, args: string[], databaseUrl: string): Running {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: join(work, folder),
    env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: server.address, DATABASE_URL: databaseUrl, TEMPORAL_TASK_QUEUE: 'apply-concurrent' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += String(c); });
  child.stderr.on('data', (c) => { stderr += String(c); });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { done, stderrSoFar: () => stderr };
}

/** Three copies of the demo rules, each paying another cap: three plans touching one schedule. */
const folders = { x: '30_000', y: '32_000', z: '33_000' } as const;
type Folder = keyof typeof folders;

beforeAll(async () => {
  expect(readFileSync(join(root, 'dist', 'cli', 'main.js')).length, 'run `npm run build` first').toBeGreaterThan(0);
  work = mkdtempSync(join(tmpdir(), 'salesflow-apply-concurrent-'));
  for (const [folder, cap] of Object.entries(folders)) {
    cpSync(join(root, 'rules'), join(work, folder, 'rules'), { recursive: true });
    const file = join(work, folder, 'rules', 'commission.rules');
    writeFileSync(file, readFileSync(file, 'utf8').replace('cap 30_000 USD', `cap ${cap} USD`));
  }
  server = await spawnDevServer({ dbFile: null });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

forEachDialect('applies at once', (target) => {
  it('an apply finding another running says so, records nothing meanwhile, and applies once that one is done', async () => {
    const url = await target.fresh();
    const db = await openDatabase(url);
    try {
      let waiting: Running | null = null;
      await withApplyLock(db, async () => {
        waiting = salesflow('x', ['apply', 'rules/'], url);
        await until('the apply to say it waits', () => waiting!.stderrSoFar().includes('another apply is running'));
        // A second of waiting: still nothing recorded while the other apply holds the data source.
        await new Promise((r) => setTimeout(r, 1000));
        expect(await appliedPlanHistory(db)).toEqual([]);
      }, () => { throw new Error('the test holds the lock first'); });
      const result = await waiting!.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('salesflow apply: another apply is running on this data source; waiting for it to finish\n');
      expect(result.stdout).toMatch(/Applied plan recorded in .*: version 1, plan [0-9a-f]{12}, 12 rule\(s\)/);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('three applies of three plans at once, twice: the plan recorded last is the one the schedules carry', async () => {
    const url = await target.fresh();
    for (let round = 1; round <= 2; round++) {
      const runs = await Promise.all((Object.keys(folders) as Folder[]).map((f) => salesflow(f, ['apply', 'rules/'], url).done));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const db = await openDatabase(url);
      const head = await appliedPlanHead(db);
      await db.close();
      // The folder whose plan was recorded last: its `plan` finds Temporal's schedules as it declares them.
      const plans = await Promise.all((Object.keys(folders) as Folder[]).map((f) => salesflow(f, ['plan', 'rules/'], url).done));
      const current = plans.filter((p) => p.stdout.includes(`is the applied plan (version ${head!.version})`));
      expect(current, plans.map((p) => p.stdout).join('\n---\n')).toHaveLength(1);
      expect(current[0].stdout.split('\n')[0]).toMatch(/^No changes\. Temporal .* has the 9 schedule\(s\) the rules declare\.$/);
    }
  }, 300_000);
});
