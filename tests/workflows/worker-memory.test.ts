// What keeps the worker's memory bounded (bench:runtime, ≤ 300 MB with 10k sequences asleep) without
// changing what users get: the built package runs the workflow bundle made at build time, never a
// stale one; the sticky cache has a configurable bound, and sequences evicted from it while asleep
// wake up and carry on with exactly the emails they would have sent anyway.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ConfigError, loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/data/db.js';
import { upsertLead } from '../../src/data/leads.js';
import type { LeadRecord } from '../../src/plan/records.js';
import * as fromSource from '../../src/runtime/worker.js';
import { workflowIds } from '../../src/workflows/api.js';
import { startTimeSkippingEnv } from '../../src/temporal/index.js';
import { startMailCatcher, type MailCatcher } from './support/mail-catcher.js';
import { sequenceRule, step, template } from './support/rules.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Inside the checkout so the compiled code resolves the project's node_modules; private, because
// other tests rebuild dist/ while this one runs.
fs.mkdirSync(path.join(root, '.cache'), { recursive: true });
const built = fs.mkdtempSync(path.join(root, '.cache', 'worker-memory-'));
const dbPath = path.join(built, 'salesflow.db');
let testEnv: TestWorkflowEnvironment;
let mail: MailCatcher;
let compiled: typeof fromSource;

beforeAll(async () => {
  [testEnv, mail] = await Promise.all([startTimeSkippingEnv(), startMailCatcher()]);
  // What `npm run build` does, into the private folder (tsc emits despite other people's type errors).
  spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', built], { cwd: root });
  const bundled = spawnSync(process.execPath, [path.join(root, 'scripts', 'bundle-workflows.mjs'), built], { cwd: root, encoding: 'utf8' });
  expect(bundled.status, bundled.stderr).toBe(0);
  compiled = (await import(path.join(built, 'runtime', 'worker.js'))) as typeof fromSource;
});
afterAll(async () => {
  await Promise.all([testEnv?.teardown(), mail?.close()]);
  fs.rmSync(built, { recursive: true, force: true });
});

const rule = sequenceRule({
  id: 'memory-nurture',
  templates: [template('hello', 'Hello {{lead.name}}', 'Hi.'), template('again', 'Still there, {{lead.name}}?', 'Hi again.')],
  steps: [step.send('hello'), step.wait(2, 'days'), step.send('again')],
});
const lead = (id: string): LeadRecord => ({
  id, name: `Lead ${id}`, email: `${id}@prospect.example`, company: null, source: 'webinar', stage: null, owner: null, timezone: null, score: null,
});

function configFor(taskQueue: string, env: Record<string, string> = {}) {
  return loadConfig({
    SALESFLOW_SECRET: 'memory-secret-0123456789abcdef', PUBLIC_URL: 'http://salesflow.test', SMTP_URL: mail.url,
    DATABASE_URL: dbPath, TEMPORAL_TASK_QUEUE: taskQueue, ...env,
  });
}

/**
 * Runs the sequence for each lead to completion on a worker from `createWorker`. All of them are
 * asleep (first email sent) before any result is awaited: the test server skips time only then, and
 * skipping two days past another sequence's in-flight email would time that activity out.
 */
async function runSequences(createWorker: typeof fromSource.createWorker, taskQueue: string, leads: LeadRecord[], env?: Record<string, string>) {
  const db = await openDatabase(dbPath);
  for (const l of leads) await upsertLead(db, l);
  const worker = await createWorker(configFor(taskQueue, env), { connection: testEnv.nativeConnection, db });
  const running = worker.run();
  try {
    const handles = await Promise.all(leads.map((l) => testEnv.client.workflow.start('sequenceWorkflow', {
      taskQueue, workflowId: workflowIds.sequence(`${taskQueue}-${rule.id}`, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }],
    })));
    await mail.waitFor(() => leads.every((l) => mail.to(l.email).length === 1), 60_000);
    await waitUntil(() => worker.worker.getStatus().numInFlightWorkflowActivations === 0);
    const cachedWhileAsleep = worker.worker.getStatus().numCachedWorkflows;
    const results = (await Promise.all(handles.map((h) => h.result()))) as { outcome: string }[];
    return { worker, cachedWhileAsleep, outcomes: results.map((r) => r.outcome), subjects: leads.map((l) => mail.to(l.email).map((m) => m.subject)) };
  } finally {
    await worker.shutdown();
    await running;
    await db.close();
  }
}

async function waitUntil(done: () => boolean, timeoutMs = 30_000) {
  for (const start = Date.now(); !done(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
  }
}

test('the built worker runs sequences from the bundle made at build time', async () => {
  expect(compiled.prebuiltBundle()).toEqual({ codePath: path.join(built, 'workflow-bundle.js') });
  const { outcomes, subjects } = await runSequences(compiled.createWorker, 'memory-built', [lead('built-1')]);
  expect(outcomes).toEqual(['completed']);
  expect(subjects).toEqual([['Hello Lead built-1', 'Still there, Lead built-1?']]);
});

test('a compiled workflow file changed after bundling is never run from the stale bundle', async () => {
  const file = path.join(built, 'workflows', 'sequence.js');
  const original = fs.readFileSync(file, 'utf8');
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    fs.writeFileSync(file, `${original}\n// edited after the bundle was made\n`);
    expect(compiled.prebuiltBundle()).toBeUndefined();
    expect(warn.mock.calls.join('\n')).toMatch(/workflows\/sequence\.js.*npm run build/s);
  } finally {
    fs.writeFileSync(file, original);
    warn.mockRestore();
  }
  expect(compiled.prebuiltBundle()).toEqual({ codePath: path.join(built, 'workflow-bundle.js') });
  // Tests and tsx run from src/: nothing prebuilt there, the workflows are bundled in process.
  expect(fromSource.prebuiltBundle()).toBeUndefined();
});

test('the sticky cache bound defaults to 50 and SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS is validated', async () => {
  expect(loadConfig({}).worker).toEqual({ maxCachedWorkflows: 50 });
  expect(loadConfig({ SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS: '0' }).worker).toEqual({ maxCachedWorkflows: 0 });
  for (const bad of ['1', '-5', 'lots', '2.5']) {
    expect(() => loadConfig({ SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS: bad })).toThrow(/SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS/);
  }
});
