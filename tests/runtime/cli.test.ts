// The built command line against a real Temporal dev server: plan / apply idempotence, removal of
// schedules whose rule is gone, events send validation and routing, payouts run refusals and reruns.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { getLead } from '../../src/data/leads.js';
import { periodContaining } from '../../src/payouts/period.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { eventually } from './support/eventually.js';

const root = path.join(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'salesflow.js');
let server: DevServerProcess;
let work: string;

function salesflow(args: string[], extraEnv: Record<string, string> = {}) {
  const env = {
    PATH: process.env.PATH,
    TEMPORAL_ADDRESS: server.address,
    DATABASE_URL: path.join(work, 'salesflow.db'),
    TEMPORAL_TASK_QUEUE: 'cli-test',
    ...extraEnv,
  };
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  // bin/salesflow.js runs dist/, built by `npm test`'s pretest; not rebuilt here: other test files
  // run the built CLI at the same time, and a rebuild rewrites the files they load.
  expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js')), 'run `npm run build` first').toBe(true);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-runtime-cli-'));
  fs.cpSync(path.join(root, 'rules'), path.join(work, 'rules'), { recursive: true });
  server = await spawnDevServer({ dbFile: null });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('plan shows the schedules, apply makes them, a second apply reports no changes, a removed rule is planned for removal', () => {
  const plan = salesflow(['plan']);
  expect(plan.stderr).toBe('');
  expect(plan.code).toBe(0);
  expect(plan.stdout).toContain('+ salesflow:ae-commission-fy26:incentive-period-end');
  expect(plan.stdout).toContain('+ salesflow:weekly-1-1-prep:sequence-tick');
  const added = Number(/Plan: (\d+) to add/.exec(plan.stdout)?.[1]);
  expect(added).toBeGreaterThan(3);

  // One rep, in the EMEA team and neither SDR nor AE: only "Q4 new business" has someone to run for.
  const reps = path.join(work, 'emea.csv');
  fs.writeFileSync(reps, 'id,name,email,team,role\nr-e,Eve Engineer,eve@acme.example,EMEA AEs,SE\n');
  expect(salesflow(['import', '--kind', 'reps', reps]).code).toBe(0);

  const apply = salesflow(['apply']);
  expect(apply.code).toBe(0);
  expect(apply.stdout).toContain(`Apply complete: ${added} added, 0 changed, 0 removed.`);
  // Each new goal's period under way starts at once (the schedules only fire when a period begins).
  expect(apply.stdout).toMatch(/Started goal "Q4 new business" for the quarter under way \(\d{4}-Q\d\), 1 matching rep\(s\): dispatch:q4-new-business:goal-period-start:\d{4}-Q\d/);
  // A goal no rep matches starts nothing, and apply says so instead of "Started".
  expect(apply.stdout).not.toContain('Started goal "SDR monthly wins"');
  expect(apply.stdout).toMatch(/Goal "SDR monthly wins": no rep in the data source matches its "for reps" and works in \d{4}-\d{2}, so no run started for the month under way/);

  const again = salesflow(['apply']);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/^No changes\./);

  fs.rmSync(path.join(work, 'rules', 'goals.rules'));
  const afterRemoval = salesflow(['plan']);
  expect(afterRemoval.stdout).toContain('- salesflow:q4-new-business:goal-period-start');
  expect(afterRemoval.stdout).toMatch(/0 to add, 0 to change, [1-9]\d* to remove/);
  expect(afterRemoval.stderr).toBe('');

  // A folder without rule files (a wrong path in CI) retires everything: planned, and said.
  fs.mkdirSync(path.join(work, 'empty'));
  const empty = salesflow(['plan', 'empty']);
  expect(empty.code).toBe(0);
  expect(empty.stdout).toMatch(/0 to add, 0 to change, [1-9]\d* to remove, 0 unchanged/);
  expect(empty.stderr).toBe('warning: empty declares no goal, incentive or sequence: this plan would remove every salesflow schedule, and later runs start no rule\n');
});

test('events send refuses an invalid file naming the file and field, and sends nothing', () => {
  const file = path.join(work, 'bad.json');
  fs.writeFileSync(file, JSON.stringify([
    { id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L1', email: 'a@b.example' } },
    { id: 'e2', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L2', email: 'not-an-email' } },
  ]));
  const r = salesflow(['events', 'send', 'bad.json']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('bad.json:1: event [1]: lead.email: expected an email address');
  expect(r.stderr).toContain('no event was sent');
});

// Was a NamespaceNotFoundError stack trace (exit 2) from apply and events send, whose event was
// then recorded but never routed (sent again: "seen before"); the worker hung printing "undefined".
test('a TEMPORAL_NAMESPACE the cluster does not have: apply, events send and worker exit 1 naming it, and nothing is recorded', () => {
  const wrong = { TEMPORAL_NAMESPACE: 'no-such-namespace', SALESFLOW_SECRET: 'cli-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1' };
  const lead = { id: 'L-ns', name: 'Ns Lead', email: 'ns@prospect.example', source: 'webinar', timezone: 'UTC', score: 10 };
  fs.writeFileSync(path.join(work, 'ns.json'), JSON.stringify({ id: 'ns-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead }));
  const message = `salesflow: Temporal at ${server.address} has no namespace "no-such-namespace" (TEMPORAL_NAMESPACE)`;
  for (const args of [['apply'], ['events', 'send', 'ns.json'], ['worker']]) {
    const r = salesflow(args, wrong);
    expect(r.code, args.join(' ')).toBe(1);
    expect(r.stderr, args.join(' ')).toContain(message);
    expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
  }
  const right = salesflow(['events', 'send', 'ns.json']);
  expect(right.stdout).toContain('ns-1 (lead.created): started seq:webinar-follow-up:lead:L-ns');
});

// Was: "Failed to connect before the deadline" with no hint that TLS was on, and the worker's
// message a dump of the native layer's error (tonic::transport::Error(Transport, ConnectError(...))).
test('a TLS setting left on against a server without TLS is named; a refused connection is said in words', () => {
  const tls = salesflow(['plan'], { TEMPORAL_API_KEY: 'a-cloud-key-left-over' });
  expect(tls.code).toBe(1);
  expect(tls.stderr).toContain(`cannot reach Temporal at ${server.address} (TEMPORAL_ADDRESS)`);
  expect(tls.stderr).toContain('TLS is on (TEMPORAL_API_KEY): a server without TLS, such as a local dev server, does not answer it.');
  const refused = salesflow(['worker'], { TEMPORAL_ADDRESS: '127.0.0.1:1', SALESFLOW_SECRET: 'cli-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1' });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('cannot reach Temporal at 127.0.0.1:1 (TEMPORAL_ADDRESS): Connection refused\n');
  expect(refused.stderr).not.toContain('tonic');
}, 60_000);

// Was: the worker printed "cannot use PostgreSQL data source …" and then hung, its Temporal
// connection keeping it alive (SIGTERM too was ignored), so a supervisor never restarted it.
test('a worker started while its PostgreSQL is down exits 1 saying so, rather than hanging', () => {
  const env = {
    PATH: process.env.PATH, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: 'cli-test',
    DATABASE_URL: 'postgres://sf@127.0.0.1:1/sales', SALESFLOW_SECRET: 'cli-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1',
  };
  const result = spawnSync(process.execPath, [bin, 'worker'], { cwd: work, encoding: 'utf8', env, timeout: 30_000, killSignal: 'SIGKILL' });
  expect(result.signal, 'still running after 30 s').toBeNull();
  expect(result.status).toBe(1);
  expect(result.stderr).toBe('salesflow: cannot use PostgreSQL data source postgres://sf@127.0.0.1:1/sales: nothing accepts connections at 127.0.0.1:1: is PostgreSQL running there, and on that port?\n');
}, 60_000);

test('events send routes each event and acknowledges a repeated id as a duplicate', () => {
  const lead = { id: 'L-cli', name: 'Cli Lead', email: 'cli@prospect.example', source: 'webinar', timezone: 'UTC', score: 10 };
  fs.writeFileSync(path.join(work, 'events.json'), JSON.stringify([
    { id: 'cli-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead },
    { id: 'cli-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead },
  ]));
  const r = salesflow(['events', 'send', 'events.json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('cli-1 (lead.created): started seq:webinar-follow-up:lead:L-cli');
  expect(r.stdout).toContain('cli-1 (lead.created): seen before, acknowledged; nothing changed');
  expect(r.stdout).toContain('1 event(s) routed, 1 duplicate(s)');
});

// Was: events send (and serve) with a TEMPORAL_NAMESPACE or TEMPORAL_ADDRESS other than the one the
// plan was applied to started the sequence runs there, where no worker polls them (no email ever
// went), and recorded the event as seen: sent again to the right one, it did nothing.
test('events send and serve pointed at another Temporal than the applied plan\'s refuse, naming both, and record nothing', async () => {
  // A namespace the cluster has, but not the one apply put the schedules in (the first test applied to "default").
  const { Connection } = await import('@temporalio/client');
  const { msToTs } = await import('@temporalio/common/lib/time.js');
  const connection = await Connection.connect({ address: server.address });
  try {
    await connection.workflowService.registerNamespace({ namespace: 'elsewhere', workflowExecutionRetentionPeriod: msToTs('1 day') });
    await eventually(() => connection.workflowService.describeNamespace({ namespace: 'elsewhere' }));
  } finally {
    await connection.close();
  }
  expect(salesflow(['apply']).code).toBe(0);
  const lead = { id: 'L-else', name: 'Else Lead', email: 'else@prospect.example', source: 'webinar', timezone: 'UTC', score: 10 };
  fs.writeFileSync(path.join(work, 'else.json'), JSON.stringify({ id: 'else-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead }));
  const wrong = { TEMPORAL_NAMESPACE: 'elsewhere', SALESFLOW_SECRET: 'cli-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1', PORT: '0' };
  const refused = salesflow(['events', 'send', 'else.json'], wrong);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    `salesflow: events send: this is Temporal at ${server.address}, namespace "elsewhere" (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), ` +
      `but the plan was applied to Temporal at ${server.address}, namespace "default" (salesflow apply, `,
  );
  expect(refused.stderr).toContain('Nothing was sent or recorded.');
  expect(refused.stderr).toContain('run `salesflow apply` against it first');
  expect(refused.stdout).toBe('');
  const db = await openDatabase(path.join(work, 'salesflow.db'));
  try {
    expect(await getLead(db, 'L-else')).toBeNull();
  } finally {
    await db.close();
  }
  const serve = spawnSync(process.execPath, [bin, 'serve'], {
    cwd: work, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL',
    env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: server.address, DATABASE_URL: path.join(work, 'salesflow.db'), TEMPORAL_TASK_QUEUE: 'cli-test', ...wrong },
  });
  expect(serve.signal, 'serve still running after 30 s').toBeNull();
  expect(serve.status).toBe(1);
  expect(serve.stderr).toContain(`salesflow: serve: this is Temporal at ${server.address}, namespace "elsewhere"`);
  expect(serve.stderr).toContain('Not started.');

  // The same event, sent to the plan's Temporal, is routed: the refusal did not record it as seen.
  const right = salesflow(['events', 'send', 'else.json']);
  expect(right.stderr).toBe('');
  expect(right.stdout).toContain('else-1 (lead.created): started seq:webinar-follow-up:lead:L-else');
}, 90_000);

// Another cluster's namespace of the same name (TEMPORAL_ADDRESS) has another id; re-applying the
// same plan there (nothing new to record) moves the record, and says so.
test('events send refuses the same namespace name on another cluster; apply there moves the plan and says so', async () => {
  const { recordAppliedTemporal } = await import('../../src/data/applied-temporal.js');
  const db = await openDatabase(path.join(work, 'salesflow.db'));
  try {
    await recordAppliedTemporal(db, { address: 'temporal.old-cluster.example:7233', namespace: 'default', namespaceId: 'id-of-the-old-clusters-default', planVersion: 1, appliedAt: '2026-01-01T00:00:00.000Z' });
  } finally {
    await db.close();
  }
  fs.writeFileSync(path.join(work, 'moved.json'), JSON.stringify({ id: 'moved-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L-moved', name: 'Moved Lead', email: 'moved@prospect.example', source: 'webinar', timezone: 'UTC', score: 10 } }));
  const refused = salesflow(['events', 'send', 'moved.json']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    `this is Temporal at ${server.address}, namespace "default" (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), but the plan was applied to ` +
      'Temporal at temporal.old-cluster.example:7233, namespace "default" (salesflow apply, 2026-01-01T00:00:00.000Z)',
  );
  const apply = salesflow(['apply']);
  expect(apply.code).toBe(0);
  expect(apply.stdout).toContain('is already the applied plan');
  expect(apply.stderr).toContain(`note: the plan was applied to Temporal at temporal.old-cluster.example:7233, namespace "default" before (2026-01-01T00:00:00.000Z); it is now recorded as applied to Temporal at ${server.address}, namespace "default"`);
  const sent = salesflow(['events', 'send', 'moved.json']);
  expect(sent.stderr).toBe('');
  expect(sent.stdout).toContain('moved-1 (lead.created): started seq:webinar-follow-up:lead:L-moved');
}, 60_000);

// Was: `salesflow worker` with another TEMPORAL_NAMESPACE than the one the plan was applied to
// started and polled there, where no schedule starts a run and no event is routed, while the
// plan's runs waited for a worker; it said nothing.
test('worker pointed at another Temporal than the applied plan\'s refuses to start, naming both', () => {
  const worker = spawnSync(process.execPath, [bin, 'worker'], {
    cwd: work, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL',
    env: {
      PATH: process.env.PATH, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'elsewhere', TEMPORAL_TASK_QUEUE: 'cli-test',
      DATABASE_URL: path.join(work, 'salesflow.db'), SALESFLOW_SECRET: 'cli-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1',
    },
  });
  expect(worker.signal, 'worker still running after 60 s: it started polling').toBeNull();
  expect(worker.status).toBe(1);
  expect(worker.stderr).toContain(
    `salesflow: worker: this is Temporal at ${server.address}, namespace "elsewhere" (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), ` +
      `but the plan was applied to Temporal at ${server.address}, namespace "default" (salesflow apply, `,
  );
  expect(worker.stderr).toContain('Not started.');
  expect(worker.stdout).not.toContain('polling task queue');
}, 90_000);

// Runs started in a namespace before the plan moved away (a sequence waiting, a statement waiting
// for approval) need a worker there to finish: the worker then starts, saying why.
test('worker in another Temporal than the applied plan\'s starts when runs there still need it, saying so', async () => {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'elsewhere' });
  const handle = await client.workflow.start('sequenceWorkflow', { taskQueue: 'cli-test', workflowId: 'left-behind', args: [] });
  const query = 'TaskQueue = "cli-test" AND ExecutionStatus = "Running"';
  await eventually(async () => expect(Number((await connection.workflowService.countWorkflowExecutions({ namespace: 'elsewhere', query })).count)).toBe(1));
  const worker = spawn(process.execPath, [bin, 'worker'], {
    cwd: work,
    env: {
      PATH: process.env.PATH, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'elsewhere', TEMPORAL_TASK_QUEUE: 'cli-test',
      DATABASE_URL: path.join(work, 'salesflow.db'), SALESFLOW_SECRET: 'cli-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1',
    },
  });
  let stdout = '';
  let stderr = '';
  worker.stdout.on('data', (chunk) => { stdout += String(chunk); });
  worker.stderr.on('data', (chunk) => { stderr += String(chunk); });
  const exited = new Promise<number | null>((resolve) => worker.on('exit', resolve));
  try {
    await eventually(async () => { if (!stdout.includes('polling task queue')) throw new Error(`not polling yet: ${stderr}`); }, 60_000);
    expect(stderr).toContain(
      `salesflow worker: Temporal at ${server.address}, namespace "elsewhere" is not where the plan was applied (Temporal at ${server.address}, namespace "default", `,
    );
    expect(stderr).toContain('but 1 run(s) started here before are still going on task queue "cli-test": polling them so they can finish.');
  } finally {
    worker.kill('SIGTERM');
    await exited;
    await handle.terminate('test over').catch(() => undefined);
    await connection.close();
  }
}, 90_000);

// Was: payouts run with another TEMPORAL_NAMESPACE than the plan's started the statements' runs
// there, where no worker polls them: no statement, no approval email, and the period taken as run.
test('payouts run pointed at another Temporal than the applied plan\'s refuses, naming both, and starts nothing', async () => {
  const refused = salesflow(['payouts', 'run', '--period', '2026-Q1'], { TEMPORAL_NAMESPACE: 'elsewhere' });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    `salesflow: payouts run: this is Temporal at ${server.address}, namespace "elsewhere" (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), ` +
      `but the plan was applied to Temporal at ${server.address}, namespace "default" (salesflow apply, `,
  );
  expect(refused.stderr).toContain('Nothing was started.');
  expect(refused.stdout).toBe('');
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: server.address });
  try {
    const payouts = await connection.workflowService.countWorkflowExecutions({ namespace: 'elsewhere', query: 'WorkflowType = "payoutWorkflow"' });
    expect(Number(payouts.count)).toBe(0);
  } finally {
    await connection.close();
  }
}, 60_000);

test('payouts run refuses a period that has not ended, and a closed one runs once per rep', () => {
  // The next quarter: it has not ended at any moment this test may run (the current one ends
  // within seconds of some runs, at a quarter's last midnight).
  const current = periodContaining('quarter', new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 10));
  fs.writeFileSync(path.join(work, 'rules', 'open-ended.rules'), [
    'incentive "Open ended" {', '  for reps where rep.role = "AE"', '  period quarter', '  measure revenue',
    '  target 100_000 USD', '  commission marginal {', '    above pay 10%', '  }', '}', '',
  ].join('\n'));
  // payouts run pays by the applied plan: the new rule counts once it is applied.
  expect(salesflow(['apply']).code).toBe(0);
  const open = salesflow(['payouts', 'run', '--period', current.label, '--rule', 'Open ended']);
  expect(open.code).toBe(1);
  expect(open.stderr).toContain(`${current.label} has not ended yet`);

  const reps = path.join(work, 'reps.csv');
  fs.writeFileSync(reps, 'id,name,email,role,manager,timezone\nr-x,Rex Seller,rex@acme.example,AE,,UTC\n');
  expect(salesflow(['import', '--kind', 'reps', reps]).code).toBe(0);
  const closed = '2026-Q1';
  const first = salesflow(['payouts', 'run', '--period', closed, '--rule', 'Open ended']);
  expect(first.stderr).toBe('');
  expect(first.stdout).toContain('started      Rex Seller (r-x)  payout:open-ended:r-x:2026-Q1');
  const second = salesflow(['payouts', 'run', '--period', closed, '--rule', 'Open ended']);
  expect(second.stdout).toContain('already run  Rex Seller (r-x)  payout:open-ended:r-x:2026-Q1');
});

test('events send while another process holds the SQLite write lock past the busy timeout: a message, not a stack trace', async () => {
  const db = path.join(work, 'salesflow.db');
  const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  // Another writer (a long import elsewhere) holds the lock for 15 s, past SQLite's 5 s even when
  // events send takes seconds to start and reach Temporal on a loaded machine.
  const holder = spawn(process.execPath, ['-e', `
    const db = new (require(${JSON.stringify(betterSqlite)}))(${JSON.stringify(db)});
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, 15000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  const lead = { id: 'L-locked', email: 'locked@prospect.example', source: 'webinar' };
  fs.writeFileSync(path.join(work, 'locked.json'), JSON.stringify({ id: 'locked-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead }));
  const r = salesflow(['events', 'send', 'locked.json']);
  await exited;
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('salesflow events: the data source is locked by another process writing it');
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  // Once the other writer is done, the same file goes through.
  const again = salesflow(['events', 'send', 'locked.json']);
  expect(again.stdout).toContain('locked-1 (lead.created): started seq:webinar-follow-up:lead:L-locked');
}, 60_000);

test('an event that leaves a lead field out keeps what is stored for it; a field sent empty clears it', async () => {
  const send = (name: string, event: object) => {
    fs.writeFileSync(path.join(work, name), JSON.stringify(event));
    const r = salesflow(['events', 'send', name]);
    expect(r.code, r.stderr).toBe(0);
  };
  const lead = { id: 'L-partial', name: 'Pat Partial', email: 'pat@prospect.example', company: 'Initech', source: 'ads', owner: 'r-x', timezone: 'Asia/Tokyo', score: 70 };
  send('full.json', { id: 'partial-1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead });
  // What an email tool sends on a reply: the id and the address, nothing else.
  send('reply.json', { id: 'partial-2', type: 'lead.replied', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L-partial', email: 'pat@prospect.example' } });
  const db = await openDatabase(path.join(work, 'salesflow.db'));
  try {
    expect(await getLead(db, 'L-partial')).toMatchObject({ name: 'Pat Partial', owner: 'r-x', timezone: 'Asia/Tokyo', score: '70', source: 'ads' });
    send('clear.json', { id: 'partial-3', type: 'lead.updated', occurred_at: '2026-03-03T10:00:00Z', lead: { id: 'L-partial', email: 'pat@prospect.example', timezone: null, company: '' } });
    expect(await getLead(db, 'L-partial')).toMatchObject({ name: 'Pat Partial', owner: 'r-x', timezone: null, company: null, score: '70' });
  } finally {
    await db.close();
  }
});

test('plan against a SQLite file that is not there says no plan is applied to it, and creates no empty database', () => {
  const elsewhere = path.join(work, 'elsewhere', 'var', 'salesflow.db');
  const plan = salesflow(['plan'], { DATABASE_URL: elsewhere });
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stdout).toMatch(new RegExp(`Plan [0-9a-f]{12}: no plan has been applied to the data source ${elsewhere.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} yet: run "salesflow apply`));
  expect(fs.existsSync(elsewhere)).toBe(false);
  expect(fs.existsSync(path.dirname(elsewhere))).toBe(false);
});

test('apply that Temporal refuses half way (a schedule over its payload limit): the plan recorded is said, with what to do, in words and exit 1', () => {
  // One goal whose schedule carries a 3 MB template: Temporal refuses the schedule (blob size), after apply recorded the plan.
  const big = path.join(work, 'big');
  fs.mkdirSync(path.join(big, 'rules', 'templates'), { recursive: true });
  fs.writeFileSync(path.join(big, 'rules', 'big.rules'),
    'goal "Big goal" {\n  for reps where rep.role = "AE"\n  measure revenue\n  target 1000 USD per month\n  at end of period {\n    send "big" to rep\n  }\n}\n');
  fs.writeFileSync(path.join(big, 'rules', 'templates', 'big.md'), `---\nsubject: Big\n---\n${'lorem ipsum dolor sit amet, consectetur\n'.repeat(80_000)}`);
  const env = { DATABASE_URL: path.join(big, 'salesflow.db') };
  const apply = salesflow(['apply', 'big/rules'], env);
  expect(apply.code, apply.stderr).toBe(1);
  expect(apply.stderr).not.toMatch(/^\s+at /m);
  expect(apply.stderr).toMatch(new RegExp(
    '^salesflow: apply: Temporal \\(.*\\) failed: 3 INVALID_ARGUMENT: .* while changing the schedules, after the plan was recorded \\(version 1, plan [0-9a-f]{12}, 1 rule\\(s\\).*\\): ' +
      'some schedules may still run the previous rules\\. Fix what Temporal refused and apply again',
  ));
  const history = JSON.parse(salesflow(['history', '--format', 'json'], env).stdout) as { version: number }[];
  expect(history.map((v) => v.version)).toEqual([1]);
});

// Was: apply to another namespace moved the plan's record and said so, but not that the schedules
// it had made in the namespace before still fire there, starting runs a worker there would run
// beside the new namespace's. Last in this file: the namespace "elsewhere" gets schedules and runs.
test('apply moving the plan to another namespace names the schedules left in the one before and how to delete them', () => {
  const env = { DATABASE_URL: path.join(work, 'moving.db') };
  expect(salesflow(['apply'], env).code).toBe(0);
  const moved = salesflow(['apply'], { ...env, TEMPORAL_NAMESPACE: 'elsewhere' });
  expect(moved.code).toBe(0);
  expect(moved.stderr).toMatch(new RegExp(
    'point the workers, serve and events send at this one; \\d+ schedule\\(s\\) of the plan are still in namespace "default" and fire there ' +
      '\\(salesflow:[^)]*\\): delete them once the runs there are done ' +
      `\\(temporal schedule delete --address ${server.address.replace(/\./g, '\\.')} --namespace default --schedule-id ID\\)`,
  ));
}, 60_000);
