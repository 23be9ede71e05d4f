// A worker whose sticky cache holds two workflows, six sequences asleep at once: at least four of
// them are evicted while they wait, so when their timers fire the worker rebuilds them by replaying
// their history. They must carry on exactly where they were: each lead gets both emails, once each
// (at a real SMTP server), and no workflow task fails on replay. On the real dev server, in real
// time (the Java time-skipping server stalls on evicted sticky workflows).
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { upsertLead } from '../../src/data/leads.js';
import { listOutbox } from '../../src/data/outbox.js';
import type { LeadRecord } from '../../src/plan/records.js';
import type { SequenceRule } from '../../src/plan/schema.js';
import { createWorker, type SalesflowWorker } from '../../src/runtime/worker.js';
import { workflowIds } from '../../src/workflows/api.js';
import { sequenceRule, step, template } from '../workflows/support/rules.js';
import { type Harness, SECRET, startHarness } from './support/harness.js';

// A real wait of 15 seconds (the plan's smallest unit is minutes; the amount is a decimal): long
// enough for all six first emails to go out before any run wakes, even on a loaded machine.
const waitMs = 15_000;
const rule: SequenceRule = sequenceRule({
  id: 'evicted-nurture',
  templates: [template('hello', 'Hello {{lead.name}}', 'Hi.'), template('again', 'Still there, {{lead.name}}?', 'Hi again.')],
  steps: [step.send('hello'), { kind: 'wait', id: 'wait-short', duration: { amount: String(waitMs / 60_000), unit: 'minutes' } }, step.send('again')],
});
const leads: LeadRecord[] = Array.from({ length: 6 }, (_, i) => ({
  id: `evicted-${i}`, name: `Lead ${i}`, email: `evicted-${i}@prospect.example`,
  company: null, source: 'webinar', stage: null, owner: null, timezone: null, score: null,
}));

let h: Harness;
let native: NativeConnection;
let small: SalesflowWorker;
let running: Promise<void>;
const taskQueue = 'runtime-sticky-two';

beforeAll(async () => {
  h = await startHarness('sticky-eviction');
  native = await NativeConnection.connect({ address: h.server.address });
  // Configured the way an operator would: through the environment the worker command reads.
  const config = loadConfig({
    SALESFLOW_SECRET: SECRET, PUBLIC_URL: h.config.publicUrl, SMTP_URL: h.mail.smtpUrl, DATABASE_URL: h.config.databasePath,
    TEMPORAL_ADDRESS: h.server.address, TEMPORAL_TASK_QUEUE: taskQueue, SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS: '2',
  });
  small = await createWorker(config, { connection: native, db: h.db });
  running = small.run();
}, 120_000);
afterAll(async () => {
  await small?.shutdown();
  await running?.catch(() => {});
  await native?.close();
  await h?.close();
});

async function until<T>(what: string, check: () => T | false | Promise<T | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('six sequences evicted from a two-workflow sticky cache while asleep wake up and send each email once', async () => {
  expect(small.worker.options.maxCachedWorkflows).toBe(2);
  for (const lead of leads) await upsertLead(h.db, lead);
  let mostCached = 0;
  const sampler = setInterval(() => { mostCached = Math.max(mostCached, small.worker.getStatus().numCachedWorkflows); }, 20);
  try {
    const runs = leads.map((l) => workflowIds.sequence(rule.id, 'lead', l.id));
    await Promise.all(leads.map((lead, i) => h.client.workflow.start('sequenceWorkflow', {
      taskQueue, workflowId: runs[i], args: [{ rule, subject: { kind: 'lead', lead }, triggerEventId: `evt-${lead.id}` }],
    })));

    // All six asleep at one moment (first email in, second not yet) with at most two cached: at
    // least four runs are held by nobody but their history.
    const subjects = async (l: LeadRecord) => (await h.caught(l.email)).map((m) => m.subject);
    const counts = async () => Promise.all(leads.map(async (l) => (await subjects(l)).length));
    await until('all six first emails', async () => (await counts()).every((n) => n === 1), waitMs * 2);
    expect((await counts()).every((n) => n === 1)).toBe(true);
    expect(small.worker.getStatus().numCachedWorkflows).toBeLessThanOrEqual(2);

    await until('all six second emails', async () => (await counts()).every((n) => n >= 2), 60_000);
    const statuses = await until('all six runs to close', async () => {
      const names = await Promise.all(runs.map(async (id) => (await h.client.workflow.getHandle(id).describe()).status.name));
      return names.every((n) => n !== 'RUNNING') && names;
    }, 30_000);
    expect(statuses).toEqual(runs.map(() => 'COMPLETED'));
    for (const id of runs) expect(((await h.client.workflow.getHandle(id).result()) as { outcome: string }).outcome).toBe('completed');

    // Exactly once each, at the SMTP server and in the outbox.
    expect(await Promise.all(leads.map(subjects))).toEqual(leads.map((l) => [`Hello ${l.name}`, `Still there, ${l.name}?`]));
    for (const lead of leads) {
      expect((await listOutbox(h.db, { to: lead.email })).map((r) => [r.template, r.status]).sort()).toEqual([['again', 'sent'], ['hello', 'sent']]);
    }
    // Replaying from history matched what the runs had done: no workflow task failed (nondeterminism).
    for (const id of runs) {
      const history = await h.client.workflow.getHandle(id).fetchHistory();
      expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).map((e) => e.workflowTaskFailedEventAttributes?.failure?.message)).toEqual([]);
    }
    expect(mostCached).toBeLessThanOrEqual(2);
  } finally {
    clearInterval(sampler);
  }
}, 120_000);
