// `salesflow dev`: everything on one machine (SPEC §8). The Temporal dev server persisted to
// var/temporal.db, the worker in this process, `apply` of the rules (the plan, CRM mappings included,
// recorded in the data source as the applied plan, and its schedules), a local SMTP mail
// catcher (unless SMTP_URL is set), demo data in an empty var/salesflow.db (in an empty DATABASE_URL
// only with --demo-data), and the HTTP server with
// the outbox page. Ctrl-C stops it all, in reverse order.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import type { Plan } from '../plan/schema.js';
import { type DevServer, startDevServer } from '../temporal/index.js';
import { loadDemoData } from './demo-data.js';
import { devInstructions } from './dev-instructions.js';
import { acquireDevLock } from './dev-lock.js';
import { startMailCatcher, type MailCatcher } from './mail-catcher.js';
import { ApplyLockTimeout, withApplyLock } from './apply-lock.js';
import { describeTemporal, recordApplyTarget } from './applied-temporal.js';
import { appliedTemporal } from '../data/applied-temporal.js';
import { type AppliedPlanInfo, AppliedPlanSource, describeApplied, describeCrmMappings, recordPlan } from './applied-plan.js';
import { countMatchingReps } from './goal-period-start.js';
import { renderChanges, renderPeriodStarts } from './schedule-diff.js';
import { applySchedules, planSchedules } from './schedules.js';
import { DEFAULT_RULE_PATHS, fail, loadConfigChecked, loadPlan, openData } from './session.js';
import type { SalesflowWorker } from './worker.js';
import { parseDataSource, redact } from '../data/source.js';
import { installRuntimeOnce } from './worker-log.js';

export interface DevOptions {
  paths: string[];
  /** Folder for the Temporal db, the data source (unless DATABASE_URL) and the dev secret. */
  varDir?: string;
  httpPort?: number;
  temporalPort?: number;
  uiPort?: number;
  env?: NodeJS.ProcessEnv;
  /** Resolves when dev should shut down; Ctrl-C / SIGTERM when omitted. */
  until?: Promise<void>;
  /** Called once everything is up (tests). */
  onReady?: (dev: RunningDev) => void;
  /**
   * `--demo-data`: load the demo into an empty data source that DATABASE_URL names. Without it only
   * the embedded default (var/salesflow.db) gets the demo: a developer's own database, new and
   * empty, is where their real reps and deals go, not demo ones.
   */
  demoData?: boolean;
}

export interface RunningDev {
  /** The plan dev recorded as applied on start (what `events send` from any folder runs). */
  applied: AppliedPlanInfo;
  httpUrl: string | null;
  temporalAddress: string;
  temporalUiUrl?: string;
  smtpUrl: string;
  secret: string;
  config: Config;
  db: Db;
}

type Closer = { name: string; close: () => Promise<void> | void };

export async function runDev(options: DevOptions): Promise<number> {
  const env = options.env ?? process.env;
  const varDir = path.resolve(options.varDir ?? 'var');
  const paths = options.paths.length > 0 ? options.paths : DEFAULT_RULE_PATHS;
  const ports = {
    http: options.httpPort ?? (env.PORT ? Number(env.PORT) : 3000),
    temporal: options.temporalPort ?? 7233,
    ui: options.uiPort ?? 8233,
  };
  if (!Number.isInteger(ports.http) || ports.http < 0 || ports.http > 65535) {
    return fail(`PORT=${env.PORT} is not a port number`);
  }
  // var/ first: a dev still running there, or the Temporal server a killed one left, is named
  // (it also holds the ports, which would otherwise be all the next check could say).
  fs.mkdirSync(varDir, { recursive: true });
  const lock = acquireDevLock(varDir, ports.http);
  if (!lock.ok) return fail(lock.message);
  try {
    return await runDevHolding(options, env, varDir, paths, ports);
  } finally {
    lock.release();
  }
}

async function runDevHolding(
  options: DevOptions, env: NodeJS.ProcessEnv, varDir: string, paths: string[], ports: { http: number; temporal: number; ui: number },
): Promise<number> {
  for (const [what, port, flag] of [['HTTP', ports.http, '--port'], ['Temporal', ports.temporal, '--temporal-port'], ['Temporal UI', ports.ui, '--ui-port']] as const) {
    if (port !== 0 && !(await isPortFree(port))) {
      return fail(`${what} port ${port} is already in use (another salesflow dev or Temporal?); stop it or pick another with ${flag} N`);
    }
  }

  // Listen from the start: a Ctrl-C while things start up still shuts down what did start.
  const stopRequested = options.until ?? interrupted();
  const secret = env.SALESFLOW_SECRET ?? devSecret(varDir);
  const loaded = loadConfigChecked({
    ...env,
    SALESFLOW_SECRET: secret,
    PORT: String(ports.http),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    DATABASE_URL: env.DATABASE_URL ?? path.join(varDir, 'salesflow.db'),
  });
  if (!loaded.ok) return fail(loaded.message);
  const plan = await loadPlan(paths);
  if (!plan.ok) return fail(plan.message);

  // The SDK logs every worker and server detail at INFO; dev shows only what needs attention.
  installRuntimeOnce({ logger: new DefaultLogger('WARN') });
  const closers: Closer[] = [];
  const shutdown = async () => {
    for (const closer of closers.reverse()) {
      try {
        await closer.close();
      } catch (err) {
        process.stderr.write(`salesflow dev: stopping the ${closer.name} failed: ${(err as Error).message}\n`);
      }
    }
  };
  try {
    const demoInto = options.demoData || isEmbeddedDataSource(env.DATABASE_URL, varDir);
    const ready = await startEverything(paths, plan.value, loaded.value, varDir, ports, closers, demoInto);
    if (!ready) return 1;
    process.stdout.write(devInstructions(ready, plan.value, varDir));
    options.onReady?.(ready);
    await stopRequested;
    process.stdout.write('\nsalesflow dev: shutting down…\n');
    return 0;
  } finally {
    await shutdown();
  }
}

/** localhost, 127.x.x.x or ::1: a Temporal on this machine (an earlier dev, whatever its port), never a shared cluster. */
function isLoopback(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

const OWN_DATA_SOURCE = 'empty, and named by DATABASE_URL: demo reps, deals and leads go only into the embedded var/salesflow.db ' +
  'unless asked for; `salesflow import` loads your own, `salesflow dev --demo-data` the demo';

/** Whether DATABASE_URL is unset or names dev's own var/salesflow.db (as the test harnesses spell it out). */
export function isEmbeddedDataSource(databaseUrl: string | undefined, varDir: string): boolean {
  if (databaseUrl === undefined) return true;
  const parsed = parseDataSource(databaseUrl);
  return parsed.ok && parsed.source.kind === 'sqlite' && path.resolve(parsed.source.path) === path.resolve(varDir, 'salesflow.db');
}

async function startEverything(
  paths: string[], plan: Plan, baseConfig: Config, varDir: string,
  ports: { http: number; temporal: number; ui: number }, closers: Closer[], demoInto: boolean,
): Promise<RunningDev | null> {
  const log = (line: string) => process.stdout.write(`salesflow dev: ${line}\n`);
  const opened = await openData(baseConfig);
  if (!opened.ok) {
    fail(opened.message);
    return null;
  }
  const db = opened.value;
  closers.push({ name: 'data source', close: () => db.close() });
  const elsewhere = await appliedTemporal(db);
  if (elsewhere && !isLoopback(elsewhere.address)) {
    fail(`the plan in ${redact(baseConfig.databasePath)} is applied to ${describeTemporal(elsewhere)} (salesflow apply, ${elsewhere.appliedAt}), ` +
      'where its workers and serve run. dev would apply its rules to its own embedded Temporal and record that, moving the plan away from them ' +
      '(serve there would stop taking events, and workers would not start). Nothing was changed. Run dev on a data source of its own: ' +
      'DATABASE_URL unset (var/salesflow.db), or a new database');
    return null;
  }
  const demo = await loadDemoData(db, paths, demoInto ? undefined : OWN_DATA_SOURCE);
  log(demo.loaded
    ? `loaded demo data from ${demo.folder} into ${redact(baseConfig.databasePath)}: ${demo.counts.reps} reps, ${demo.counts.deals} deals, ${demo.counts.leads} leads, ${demo.counts.credits} deal credits, ${demo.counts.rates} exchange rates`
    : `data source ${redact(baseConfig.databasePath)} (${demo.reason}; no demo data loaded)`);

  let smtpUrl = baseConfig.smtpUrl;
  let catcher: MailCatcher | null = null;
  if (!smtpUrl) {
    catcher = await startMailCatcher(db);
    closers.push({ name: 'mail catcher', close: () => catcher!.close() });
    smtpUrl = catcher.smtpUrl;
    log(`mail catcher listening on ${smtpUrl.replace(/\?.*$/, '')} (emails are kept, never delivered)`);
  } else {
    log(`sending real email through SMTP_URL (${new URL(smtpUrl).host})`);
  }
  const config: Config = { ...baseConfig, smtpUrl };

  log(`starting the Temporal dev server (persisted to ${path.join(varDir, 'temporal.db')})…`);
  let temporal: DevServer;
  try {
    temporal = await startDevServer({
      dbFile: path.join(varDir, 'temporal.db'),
      port: ports.temporal,
      uiPort: ports.ui,
      ui: true,
      namespace: config.temporal.namespace,
    });
  } catch (err) {
    fail(`the Temporal dev server did not start: ${(err as Error).message}`);
    return null;
  }
  closers.push({ name: 'Temporal dev server', close: () => temporal.stop() });
  const client = temporal.testEnv.client;

  const { createWorker } = await import('./worker.js');
  const worker: SalesflowWorker = await createWorker(config, { connection: temporal.testEnv.nativeConnection, db });
  const workerRun = worker.run().catch((err: Error) => {
    process.stderr.write(`salesflow dev: the worker stopped: ${err.message}\n`);
  });
  closers.push({ name: 'worker', close: async () => { await worker.shutdown(); await workerRun; } });
  log(`worker polling task queue "${worker.taskQueue}"`);

  // Like `salesflow apply`: the plan is recorded first, so `events send` and `payouts run` from any
  // folder run these rules, then the schedules follow; and, like it, in turn with an apply run
  // from another terminal on this data source, so the plan recorded last is the one the schedules carry.
  let changes: Awaited<ReturnType<typeof planSchedules>>;
  let started: Awaited<ReturnType<typeof countMatchingReps>>;
  let applied: Awaited<ReturnType<typeof recordPlan>>;
  try {
    ({ changes, applied, started } = await withApplyLock(db, async () => {
      const planned = await planSchedules(client, plan, config.temporal.taskQueue);
      const recorded = await recordPlan(db, plan, paths);
      log(`${recorded.recorded ? 'applied' : 'already applied'}: ${describeApplied(recorded.applied)}`);
      if (recorded.gitWarning && recorded.recorded) log(`warning: ${recorded.gitWarning}`);
      const periodStarts = await countMatchingReps(db, plan, await applySchedules(client, planned, { now: new Date() }));
      await recordApplyTarget(db, client, { address: temporal.address, namespace: temporal.namespace }, recorded.applied.version);
      return { changes: planned, applied: recorded, started: periodStarts };
    }, () => log('another salesflow apply is running on this data source; waiting for it to finish')));
  } catch (err) {
    if (!(err instanceof ApplyLockTimeout)) throw err;
    fail(err.message);
    return null;
  }
  process.stdout.write(renderChanges(changes, `dev server ${temporal.address}`).replace(/^/gm, '  ').trimEnd() + '\n');
  for (const line of renderPeriodStarts(started).split('\n').filter(Boolean)) log(line);

  log(describeCrmMappings(plan));
  const httpUrl = await startHttp(config, db, client, plan, temporal.uiUrl, closers, log);
  return {
    applied: applied.applied, httpUrl, temporalAddress: temporal.address, temporalUiUrl: temporal.uiUrl, smtpUrl,
    secret: config.secret!, config, db,
  };
}

/** The HTTP server is optional in dev: started when this build has one. */
async function startHttp(
  config: Config, db: Db, client: DevServer['testEnv']['client'], plan: Plan, temporalUiUrl: string | undefined,
  closers: Closer[], log: (line: string) => void,
): Promise<string | null> {
  let server: typeof import('../server/index.js');
  try {
    server = await import('../server/index.js');
  } catch (err) {
    log(`no HTTP server in this build (${(err as Error).message}); events can still be sent with "salesflow events send"`);
    return null;
  }
  if (typeof server.startServer !== 'function') {
    log('no HTTP server in this build; events can still be sent with "salesflow events send"');
    return null;
  }
  // Events are routed by the applied plan, so an `apply` of other rules against this data source
  // takes effect here without a restart, as it does in `serve`.
  const applied = new AppliedPlanSource(db, config, (info) => log(`now routing by the newly applied ${describeApplied(info)}`));
  const running = await server.startServer({
    config, db, temporalClient: client, plan, dev: { outbox: true, temporalUiUrl }, hostname: '127.0.0.1',
    // CRM webhooks are translated by the applied plan's mappings (rules/crm/*.yaml, applied above).
    currentPlan: async () => (await applied.current()).plan,
  });
  closers.push({ name: 'HTTP server', close: () => running.close() });
  return running.url;
}

/** A secret generated once per dev folder, so links in caught emails keep working across restarts. */
function devSecret(varDir: string): string {
  const file = path.join(varDir, 'dev-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(24).toString('hex');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      // A second Ctrl-C while shutting down ends at once.
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
