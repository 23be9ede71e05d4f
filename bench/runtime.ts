// `npm run bench:runtime`: the client side of the runtime on a real Temporal dev server (file-backed,
// as `salesflow dev` runs it), `salesflow worker` started by the installed command (bin/salesflow,
// running the built dist/: `npm run build` first) and the real SMTP mail catcher.
//   1. events → first email throughput through routeEvent, against raw client.workflow.start of the
//      same workflow in the same run (goal: routed ≥ 80% of raw);
//   2. event → email latency at a steady 50 events/s (p50/p95/p99);
//   3. worker RSS with 10,000 sequences asleep (goal ≤ 300 MB).
// Sizes can be changed with BENCH_N (throughput batch), BENCH_SECONDS, BENCH_RATE, BENCH_ASLEEP;
// BENCH_MAX_CACHED=N starts the worker with SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS=N;
// BENCH_PERSIST=1 persists the dev server to a file as `salesflow dev` does (slower on busy disks).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { openDatabase } from '../src/data/db.js';
import { upsertLead } from '../src/data/leads.js';
import type { CrmEvent } from '../src/events/schema.js';
import type { LeadRecord } from '../src/plan/records.js';
import type { Plan, SequenceRule, Template } from '../src/plan/schema.js';
import { routeEvent } from '../src/runtime/events.js';
import { startMailCatcher } from '../src/runtime/mail-catcher.js';
import { spawnDevServer } from '../src/temporal/index.js';
import { type SequenceInput, workflowIds } from '../src/workflows/api.js';
import { loadConfig } from '../src/config.js';

const N = Number(process.env.BENCH_N ?? 250);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const ASLEEP = Number(process.env.BENCH_ASLEEP ?? 10_000);
const CONCURRENCY = 50;

const here = path.dirname(fileURLToPath(import.meta.url));
// Compiled to .cache/bench-build/bench/: the project's Temporal CLI cache is three levels up.
const cachedCli = path.resolve(here, '..', '..', '..', '.cache', 'temporal', 'bin', 'temporal');
if (!process.env.TEMPORAL_CLI_PATH && fs.existsSync(cachedCli)) process.env.TEMPORAL_CLI_PATH = cachedCli;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-bench-'));
const log = (line: string) => process.stdout.write(`${line}\n`);

// ---- rules: what the compiler emits for a two-step nurture and a sleeper ----------------------
const tpl = (name: string): Template => ({ name, subject: `Hello {{lead.name}}`, body: 'Hi {{lead.name}}.', placeholders: ['lead.name'] });
const source = { file: 'bench.rules', line: 1 };
function sequence(id: string, sourceValue: string, firstWaits: boolean): SequenceRule {
  const send = (n: number) => ({ kind: 'send' as const, send: { id: `send-${n}`, template: 'hello', to: [{ kind: 'entity' as const, entity: 'lead' as const }], source } });
  const wait = { kind: 'wait' as const, id: 'wait-1', duration: { amount: '2', unit: 'days' as const } };
  return {
    kind: 'sequence', name: id, id, version: `bench-${id}`, source, timezone: 'UTC', from: 'Bench <bench@acme.example>',
    templates: { hello: tpl('hello') }, metrics: {},
    trigger: {
      kind: 'event', event: 'lead.created',
      where: { kind: 'binary', type: 'bool', op: '=', left: { kind: 'field', type: 'string', entity: 'lead', field: 'source' }, right: { kind: 'literal', type: 'string', value: { type: 'string', value: sourceValue } } },
    },
    subject: 'lead', stopOn: ['lead.replied'], quietHours: null,
    steps: firstWaits ? [wait, send(1)] : [send(1), wait, send(2)],
  };
}
const nurture = sequence('bench-nurture', 'webinar', false);
const sleeper = sequence('bench-sleeper', 'sleep', true);
const plan: Plan = { formatVersion: 1, hash: 'bench', metrics: [], rules: [nurture, sleeper] };

const lead = (id: string, src = 'webinar'): LeadRecord => ({
  id, name: `Lead ${id}`, email: `${id}@bench.example`, company: 'Bench', source: src, stage: 'new', owner: null, timezone: 'UTC', score: '1',
});

// ---- servers ------------------------------------------------------------------------------------
log(`salesflow runtime bench (${os.cpus().length} cpu, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}); scratch ${dir}`);
const persist = process.env.BENCH_PERSIST === '1';
const server = await spawnDevServer({ dbFile: persist ? path.join(dir, 'temporal.db') : null });
log(`Temporal dev server ${server.address} (${persist ? 'persisted to a file' : 'in memory'})`);
// Ctrl-C: stop the server we started rather than leave it running.
process.once('SIGINT', () => {
  void server.kill().finally(() => process.exit(130));
});
const dbPath = path.join(dir, 'salesflow.db');
const db = await openDatabase(dbPath);
const caughtAt = new Map<string, number>();
const waiters = new Map<string, () => void>();
const catcher = await startMailCatcher(db, {
  onMail: (mail) => {
    for (const to of mail.rcpt_to.split(', ')) {
      if (!caughtAt.has(to)) caughtAt.set(to, performance.now());
      waiters.get(to)?.();
    }
  },
});
const env = {
  ...process.env,
  TEMPORAL_ADDRESS: server.address,
  DATABASE_URL: dbPath,
  SMTP_URL: catcher.smtpUrl,
  SALESFLOW_SECRET: 'bench-secret-0123456789abcdef',
  TEMPORAL_TASK_QUEUE: 'bench',
};
const config = loadConfig(env);
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });

// The worker exactly as users start it: `salesflow worker` through the installed command
// (bin/salesflow, which picks node's memory settings), running the built dist/. Its memory and CPU
// are read from /proc, so nothing in it is there only for the bench.
const bin = path.resolve(here, '..', '..', '..', 'bin', 'salesflow');
const maxCached = process.env.BENCH_MAX_CACHED;
const worker = spawn(bin, ['worker'], {
  env: { ...env, ...(maxCached ? { SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS: maxCached } : {}) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let workerOut = '';
worker.stdout.on('data', (d) => { workerOut += String(d); });
const exitedEarly = new Promise<never>((_, reject) => worker.once('exit', (code) => reject(new Error(`salesflow worker exited with ${code}:\n${workerOut}`))));
await Promise.race([exitedEarly, (async () => {
  while (!/polling task queue/.test(workerOut)) await new Promise((r) => setTimeout(r, 100));
})()]);
const workerLine = workerOut.split('\n').find((l) => l.includes('polling task queue')) ?? '';
const tuning = /memory: (.*)$/.exec(workerLine)?.[1] ?? 'unknown';
const procStatus = () => fs.readFileSync(`/proc/${worker.pid}/status`, 'utf8');
const rssOf = () => Number(/VmRSS:\s+(\d+) kB/.exec(procStatus())?.[1] ?? NaN) * 1024;
/** CPU time of the worker process (user + system), in clock ticks. */
const cpuTicks = () => {
  const fields = fs.readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

// ---- helpers ------------------------------------------------------------------------------------
let eventNo = 0;
const createdEvent = (l: LeadRecord): CrmEvent => ({ id: `evt-${++eventNo}`, type: 'lead.created', occurred_at: new Date().toISOString(), lead: l });
// As POST /events and `events send` route: the sender's fields ordered by occurred_at.
const route = (e: CrmEvent) => routeEvent({ client, db, plan, config }, e, [], { ordered: true });

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

function mailTo(email: string, timeoutMs = 300_000): Promise<number> {
  const seen = caughtAt.get(email);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no email to ${email} within ${timeoutMs} ms`)), timeoutMs);
    waiters.set(email, () => {
      clearTimeout(timer);
      waiters.delete(email);
      resolve(caughtAt.get(email)!);
    });
  });
}

const startRaw = (l: LeadRecord, rule: SequenceRule, prefix: string) => {
  const input: SequenceInput = { rule, subject: { kind: 'lead', lead: l } };
  return client.workflow.start('sequenceWorkflow', {
    workflowId: workflowIds.sequence(`${prefix}`, 'lead', l.id), taskQueue: config.temporal.taskQueue, args: [input],
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  });
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---- 1. throughput ------------------------------------------------------------------------------
async function explain(workflowId: string): Promise<string> {
  const d = await client.workflow.getHandle(workflowId).describe().catch((e: Error) => null);
  if (!d) return `${workflowId}: not found`;
  const pending = d.raw.pendingActivities?.map((a) => `${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message ?? ''}`) ?? [];
  return `${workflowId}: ${d.status.name}, history ${d.historyLength} events; pending ${pending.join('; ') || 'none'}`;
}

async function rawBatch(tag: string): Promise<number> {
  const leads = Array.from({ length: N }, (_, i) => lead(`${tag}-${i}`));
  for (const l of leads) await upsertLead(db, l); // routing does this itself; raw starts need the data there
  const t0 = performance.now();
  await pool(leads, CONCURRENCY, (l) => startRaw(l, nurture, `raw-${nurture.id}`));
  await Promise.all(leads.map((l) => mailTo(l.email).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await explain(workflowIds.sequence(`raw-${nurture.id}`, 'lead', l.id))}`);
  })));
  return N / ((performance.now() - t0) / 1000);
}

async function routedBatch(tag: string): Promise<number> {
  const leads = Array.from({ length: N }, (_, i) => lead(`${tag}-${i}`));
  const t0 = performance.now();
  await pool(leads, CONCURRENCY, (l) => route(createdEvent(l)));
  await Promise.all(leads.map((l) => mailTo(l.email)));
  return N / ((performance.now() - t0) / 1000);
}

log('warming up (50 routed events)…');
await pool(Array.from({ length: 50 }, (_, i) => lead(`warm-${i}`)), 10, async (l) => {
  await route(createdEvent(l));
  await mailTo(l.email);
});

const idleRss = rssOf();
log(`throughput: ${ROUNDS} rounds of ${N} raw starts and ${N} routed events → first email, ${CONCURRENCY} in flight, order alternating…`);
const rawRuns: number[] = [];
const routedRuns: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    rawRuns.push(await rawBatch(`raw${round}`));
    routedRuns.push(await routedBatch(`routed${round}`));
  } else {
    routedRuns.push(await routedBatch(`routed${round}`));
    rawRuns.push(await rawBatch(`raw${round}`));
  }
  log(`  round ${round + 1}: raw ${rawRuns[round].toFixed(1)}/s, routed ${routedRuns[round].toFixed(1)}/s`);
}
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
const rawRate = median(rawRuns);
const routedRate = median(routedRuns);

// ---- 2. latency at a steady rate ----------------------------------------------------------------
const total = RATE * SECONDS;
log(`latency: ${total} events at ${RATE}/s for ${SECONDS} s…`);
const latencies: number[] = [];
const t0 = performance.now();
const inFlight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = t0 + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const l = lead(`steady-${i}`);
  const sent = performance.now();
  inFlight.push(route(createdEvent(l)).then(() => mailTo(l.email)).then(
    (at) => { latencies.push(at - sent); },
    async (err: Error) => { throw new Error(`${err.message}\n${await explain(workflowIds.sequence(nurture.id, 'lead', l.id))}`); },
  ));
}
const achievedRate = total / ((performance.now() - t0) / 1000);
await Promise.all(inFlight);
latencies.sort((a, b) => a - b);

// ---- 3. worker memory with many sequences asleep ------------------------------------------------
const asleepSoFar = 50 + 2 * ROUNDS * N + total;
const more = Math.max(0, ASLEEP - asleepSoFar);
log(`memory: ${asleepSoFar} sequences already asleep; starting ${more} more that sleep first…`);
const sleepers = Array.from({ length: more }, (_, i) => lead(`sleep-${i}`, 'sleep'));
for (const l of sleepers) await upsertLead(db, l);
await pool(sleepers, 100, (l) => startRaw(l, sleeper, sleeper.id));
// Asleep: the worker has had nothing to do (under 3% of a core) for five seconds in a row.
let quiet = 0;
let ticks = cpuTicks();
while (quiet < 5) {
  await new Promise((r) => setTimeout(r, 1000));
  const now = cpuTicks();
  quiet = now - ticks < 3 ? quiet + 1 : 0;
  ticks = now;
}
const running = await client.workflow.count('WorkflowType = "sequenceWorkflow" AND ExecutionStatus = "Running"').catch(() => null);
const samples: number[] = [];
for (let i = 0; i < 5; i++) {
  samples.push(rssOf());
  await new Promise((r) => setTimeout(r, 1000));
}
const rssMb = Math.max(...samples) / 2 ** 20;

// ---- report ------------------------------------------------------------------------------------
const ratio = routedRate / rawRate;
const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
log('');
log(`salesflow runtime bench results (load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
const runs = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
if (ROUNDS > 0) {
  log(`  throughput raw client.workflow.start   median ${rawRate.toFixed(1)} sequences/s to first email (rounds: ${runs(rawRuns)})`);
  log(`  throughput routeEvent                  median ${routedRate.toFixed(1)} events/s to first email (rounds: ${runs(routedRuns)})`);
  log(`  routed / raw                           ${(ratio * 100).toFixed(0)}%   goal ≥ 80%   ${mark(ratio >= 0.8)}`);
}
if (latencies.length > 0) {
  log(`  steady ${RATE}/s for ${SECONDS} s (events sent at ${achievedRate.toFixed(1)}/s), event → email latency:`);
  log(`    p50 ${percentile(latencies, 50).toFixed(0)} ms   p95 ${percentile(latencies, 95).toFixed(0)} ms   p99 ${percentile(latencies, 99).toFixed(0)} ms   max ${latencies[latencies.length - 1].toFixed(0)} ms`);
}
const cacheShown = maxCached ?? process.env.SALESFLOW_WORKER_MAX_CACHED_WORKFLOWS ?? 'default';
log(`  \`salesflow worker\` (${tuning}; sticky cache ${cacheShown}) with ${running?.count ?? ASLEEP} sequences asleep: RSS ${rssMb.toFixed(0)} MB (after warm-up ${(idleRss / 2 ** 20).toFixed(0)} MB)   goal ≤ 300 MB   ${mark(rssMb <= 300)}`);

exitedEarly.catch(() => {});
worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));
await connection.close();
await catcher.close();
await server.stop();
await db.close();
fs.rmSync(dir, { recursive: true, force: true });
