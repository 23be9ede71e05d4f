// `salesflow dev` records its rules as the applied plan and changes the schedules in turn with a
// `salesflow apply` run from another terminal on the same data source, as two applies do: while
// the apply holds the data source, dev says it waits and records nothing; then it goes on.
// Real processes' parts: the dev server, worker and HTTP of runDev, a real SQLite file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { appliedPlanHead } from '../../src/data/plans.js';
import { withApplyLock } from '../../src/runtime/apply-lock.js';
import { runDev } from '../../src/runtime/dev.js';
import { freePort } from '../../src/temporal/index.js';

const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-dev-turn-'));
afterAll(() => fs.rmSync(varDir, { recursive: true, force: true }));

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('dev waits for an apply holding the data source, then records its plan and applies its schedules', async () => {
  const ports = { httpPort: await freePort(), temporalPort: await freePort(), uiPort: await freePort() };
  let output = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  const other = await openDatabase(path.join(varDir, 'salesflow.db'));
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let ready = false;
  try {
    let dev!: Promise<number>;
    await withApplyLock(other, async () => {
      dev = runDev({
        paths: ['rules/'], varDir, env: { PATH: process.env.PATH, HOME: process.env.HOME }, ...ports, until: stopped,
        onReady: () => { ready = true; },
      });
      await until(() => output.includes('another salesflow apply is running on this data source; waiting for it to finish'));
      // Waiting: nothing recorded yet.
      expect(await appliedPlanHead(other)).toBeNull();
      expect(output).not.toMatch(/salesflow dev: (already )?applied:/);
    }, () => { throw new Error('the test holds the lock first'); });
    await until(() => ready);
    expect((await appliedPlanHead(other))?.version).toBe(1);
    expect(output).toMatch(/salesflow dev: applied: version 1, /);
    stop();
    expect(await dev).toBe(0);
  } finally {
    process.stdout.write = write;
    stop();
    await other.close();
  }
}, 180_000);
