// `salesflow dev` with DATABASE_URL naming a new, empty database of the developer's own. Was: dev
// loaded the demo reps, deals and leads into it, as into its own var/salesflow.db, so a user who
// pointed dev at their real (new) database found demo people among their reps. Now the demo goes
// into an empty DATABASE_URL only with --demo-data, and dev says so.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { appliedTemporal, recordAppliedTemporal } from '../../src/data/applied-temporal.js';
import { openDatabase, scalar, sql } from '../../src/data/db.js';
import { appliedPlanHead } from '../../src/data/plans.js';
import { isEmbeddedDataSource, runDev, type RunningDev } from '../../src/runtime/dev.js';
import { freePort } from '../../src/temporal/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-dev-own-data-'));
const varDir = path.join(dir, 'var');

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function devOn(databaseUrl: string, demoData: boolean): Promise<{ code: number; output: string; errors: string; reps: number }> {
  const ports = { httpPort: await freePort(), temporalPort: await freePort(), uiPort: await freePort() };
  let output = '';
  let reps = -1;
  let errors = '';
  const write = process.stdout.write.bind(process.stdout);
  const writeError = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    errors += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  try {
    const code = await runDev({
      paths: ['rules/'], varDir, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl }, ...ports, until, demoData,
      onReady: (dev: RunningDev) => {
        void (async () => {
          reps = Number(await scalar(dev.db, sql`SELECT count(*) FROM reps`));
        })().finally(release);
      },
    });
    return { code, output, errors, reps };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeError;
  }
}

test('an empty DATABASE_URL of the user\'s own gets no demo data, and dev says why and how to load it; --demo-data loads it', async () => {
  const own = path.join(dir, 'crm.db');
  const first = await devOn(own, false);
  expect(first.code).toBe(0);
  expect(first.reps).toBe(0);
  expect(first.output).toContain(`data source ${own} (empty, and named by DATABASE_URL: demo reps, deals and leads go only into the embedded var/salesflow.db unless asked for;`);
  expect(first.output).toContain('`salesflow dev --demo-data` the demo; no demo data loaded)');
  expect(first.output).not.toContain('loaded demo data');

  const db = await openDatabase(own);
  try {
    expect(Number(await scalar(db, sql`SELECT count(*) FROM deals`))).toBe(0);
  } finally {
    await db.close();
  }

  const asked = await devOn(own, true);
  expect(asked.code).toBe(0);
  expect(asked.reps).toBeGreaterThanOrEqual(8);
  expect(asked.output).toContain(`loaded demo data from `);
  expect(asked.output).toContain(` into ${own}: `);
}, 180_000);

test('dev\'s own var/salesflow.db, unset or spelt out in DATABASE_URL, is the embedded default that gets the demo', () => {
  expect(isEmbeddedDataSource(undefined, varDir)).toBe(true);
  expect(isEmbeddedDataSource(path.join(varDir, 'salesflow.db'), varDir)).toBe(true);
  expect(isEmbeddedDataSource(`sqlite:${path.join(varDir, 'salesflow.db')}`, varDir)).toBe(true);
  expect(isEmbeddedDataSource(path.join(dir, 'crm.db'), varDir)).toBe(false);
  expect(isEmbeddedDataSource('postgres://sales@db.example:5432/crm', varDir)).toBe(false);
});

// Was: dev on a data source whose plan runs in a shared Temporal applied its rules to its own
// embedded one and recorded that, so the serve processes there stopped taking events and the
// workers would not start again.
test('dev refuses a data source whose plan is applied to a Temporal elsewhere, changing nothing', async () => {
  const prod = path.join(dir, 'prod.db');
  const db = await openDatabase(prod);
  const elsewhere = { address: 'temporal.prod.example:7233', namespace: 'sales', namespaceId: 'id-prod', planVersion: 4, appliedAt: '2026-03-02T09:00:00.000Z' };
  await recordAppliedTemporal(db, elsewhere);
  await db.close();

  const run = await devOn(prod, false);
  expect(run.code).toBe(1);
  expect(run.errors).toContain(`the plan in ${prod} is applied to Temporal at temporal.prod.example:7233, namespace "sales" (salesflow apply, 2026-03-02T09:00:00.000Z), where its workers and serve run.`);
  expect(run.errors).toContain('Nothing was changed. Run dev on a data source of its own');
  const after = await openDatabase(prod);
  try {
    expect(await appliedTemporal(after)).toEqual(elsewhere);
    expect(await appliedPlanHead(after)).toBeNull();
  } finally {
    await after.close();
  }
}, 60_000);
