// The salesflow worker: workflows prebuilt by `npm run build` or bundled once per process, activities built from the configured
// data source and SMTP relay, connected like the client (src/runtime/client.ts) so both always
// point at the same Temporal.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transporter } from 'nodemailer';
import {
  type ActivityInterceptorsFactory, bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions as TemporalWorkerOptions, type WorkflowBundleOption,
} from '@temporalio/worker';
import { DEFAULT_MAX_CACHED_WORKFLOWS, type Config } from '../config.js';
import { openDatabase, type Db } from '../data/db.js';
import { createActivities, createMailer, type Activities } from '../activities/index.js';
import { SendThread } from '../activities/send-thread.js';
import { ACTIVITY_HEARTBEAT } from '../workflows/api.js';
import { workerInOtherTemporal } from './applied-temporal.js';
import { requireNamespace, temporalConnectionOptions, unreachableMessage } from './client.js';

/** src/workflows/index.ts when running from source (tests, tsx), dist/workflows/index.js when built. */
export function workflowsPath(): string {
  for (const name of ['index.ts', 'index.js']) {
    const file = fileURLToPath(new URL(`../workflows/${name}`, import.meta.url));
    if (fs.existsSync(file)) return file;
  }
  throw new Error('salesflow workflows not found next to the runtime (is the package built?)');
}

let bundle: Promise<WorkflowBundleOption> | undefined;

/**
 * The prebuilt bundle when the package is built and it matches the compiled workflows; otherwise
 * (tests and tsx running from src/, or a stale bundle) the workflows bundled in this process,
 * which takes seconds: done once per process and shared by every worker it creates.
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  bundle ??= (async () => {
    const entry = workflowsPath();
    const prebuilt = prebuiltBundle(entry);
    if (prebuilt) return prebuilt;
    return bundleWorkflowCode({ workflowsPath: entry, logger: quietBundlerLogger });
  })();
  return bundle;
}

/**
 * dist/workflow-bundle.js, written by scripts/bundle-workflows.mjs in `npm run build`, if every
 * compiled file it was made from still has the hash its manifest recorded. Loading it keeps
 * webpack and swc from running in the worker, which would cost seconds and the RSS they leave.
 */
export function prebuiltBundle(entry = workflowsPath()): { codePath: string } | undefined {
  if (!entry.endsWith('.js')) return undefined; // running from source: nothing was built
  const root = path.resolve(path.dirname(entry), '..');
  const codePath = path.join(root, 'workflow-bundle.js');
  const manifestPath = path.join(root, 'workflow-bundle.json');
  if (!fs.existsSync(codePath) || !fs.existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { files: Record<string, string> };
  const changed = Object.entries(manifest.files).filter(([file, hash]) => {
    const compiled = path.join(root, file);
    return !fs.existsSync(compiled) || createHash('sha256').update(fs.readFileSync(compiled)).digest('hex') !== hash;
  });
  if (changed.length > 0) {
    console.warn(
      `salesflow: ${codePath} is older than the compiled workflows (${changed.map(([file]) => file).join(', ')}); ` +
        'bundling them in this process instead (run `npm run build` to refresh it)',
    );
    return undefined;
  }
  return { codePath };
}

const quietBundlerLogger = {
  trace: () => {}, debug: () => {}, info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: () => {},
};

/**
 * Every regular activity heartbeats while it runs, so the server learns within the workflows'
 * heartbeat timeout that a worker died (kill -9, OOM, lost host) and retries its activities on
 * another worker. Without it a send on a crashed worker waited out its start-to-close timeout.
 * Local activities run inside a workflow task, whose own timeout covers a crash.
 */
const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      if (ctx.info.isLocal) return next(input);
      ctx.heartbeat();
      const timer = setInterval(() => ctx.heartbeat(), ACTIVITY_HEARTBEAT.everyMs);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});

const DEFAULT_CONCURRENT_WORKFLOW_TASKS = 10;
const DEFAULT_CONCURRENT_ACTIVITIES = 20;

export interface WorkerOptions {
  /** An existing connection (tests: the test environment's); otherwise one from config. */
  connection?: NativeConnection;
  taskQueue?: string;
  db?: Db;
  mailer?: Transporter;
  /** Replace activities (tests inject faults around the real ones). */
  activities?: (real: Activities) => Activities;
  /** Capacity knobs passed to the Temporal worker as they are. */
  tuning?: Pick<TemporalWorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions'>;
  /**
   * Refuse (WorkerConfigError) a Temporal other than the one the plan was last applied to, unless
   * runs there still need a worker to finish (then told with that, as `draining`) (`salesflow
   * worker`; dev records its own first, tests bring their own).
   */
  refuseOtherTemporal?: (draining: string) => void;
}

export interface SalesflowWorker {
  worker: Worker;
  taskQueue: string;
  /** Runs until shutdown; resolves when the worker has drained and stopped. */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function createWorker(config: Config, options: WorkerOptions = {}): Promise<SalesflowWorker> {
  if (!config.secret) throw new WorkerConfigError('SALESFLOW_SECRET must be set: approval and unsubscribe links are signed with it');
  let mailer = options.mailer;
  if (!mailer) {
    if (!config.smtpUrl) throw new WorkerConfigError('SMTP_URL must be set (e.g. smtp://user:pass@mail.example.com:587)');
    mailer = createMailer(config.smtpUrl);
  }
  const ownsConnection = !options.connection;
  const connection = options.connection ?? (await connectNative(config));
  let db: Db;
  try {
    db = options.db ?? (await openDatabase(config.databasePath));
  } catch (err) {
    // The Temporal connection (and the SMTP pool) keep the process alive: a worker started while
    // the database is down printed why and then hung, never exiting for its supervisor to restart.
    if (!options.mailer) mailer.close();
    if (ownsConnection) await connection.close().catch(() => undefined);
    throw err;
  }
  if (options.refuseOtherTemporal) {
    const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
    const other = await workerInOtherTemporal(db, connection, config.temporal, taskQueue).catch((err: unknown) => err as Error);
    if (other && 'draining' in other) options.refuseOtherTemporal(other.draining);
    else if (other !== null) {
      if (!options.mailer) mailer.close();
      if (!options.db) await db.close();
      if (ownsConnection) await connection.close().catch(() => undefined);
      if (other instanceof Error) throw other;
      throw new WorkerConfigError(other.refuse);
    }
  }
  // On PostgreSQL (the production layout, where workers are killed and replaced) sends run on a
  // thread of their own, to record "sent" the moment the relay accepts (src/activities/send-thread.ts).
  const sendThread = !options.mailer && db.dialect === 'postgres' && SendThread.available()
    ? new SendThread(config.smtpUrl!, config.databasePath) : undefined;
  const real = createActivities({ db, mailer, config, transmit: sendThread?.transmit });
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: options.activities ? options.activities(real) : real,
      interceptors: { activity: [heartbeatWhileRunning] },
      // Peak memory follows how much is in flight at once: with the SDK's 40 workflow tasks and 100
      // activities, a burst left a worker at 298 MB with 10k sequences asleep; with 10 and 20,
      // 220 MB. Workflow tasks run on one thread anyway, and sends queue on the SMTP pool.
      maxConcurrentWorkflowTaskExecutions: DEFAULT_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: DEFAULT_CONCURRENT_ACTIVITIES,
      ...options.tuning,
      maxCachedWorkflows: options.tuning?.maxCachedWorkflows ?? config.worker?.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    });
  } catch (err) {
    await sendThread?.close();
    if (!options.db) await db.close();
    if (ownsConnection) await connection.close().catch(() => undefined);
    // Temporal gone between the connection and the worker's own namespace check (a restart, a
    // failover): the SDK's error, after ~20 s of retries, has no stack, and the command printed
    // "undefined". Said as any unreachable Temporal is, so a supervisor's restart log says why.
    if (/could not be described/.test((err as Error)?.message ?? '') && /Unavailable/.test((err as Error).message)) {
      throw new WorkerConfigError(unreachableMessage(temporalConnectionOptions(config), err));
    }
    throw err;
  }
  let running: Promise<void> | undefined;
  const cleanup = async () => {
    await sendThread?.close();
    if (!options.mailer) mailer!.close();
    if (!options.db) await db.close();
    if (ownsConnection) await connection.close();
  };
  return {
    worker,
    taskQueue,
    run() {
      running ??= worker.run().finally(cleanup);
      return running;
    },
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

export class WorkerConfigError extends Error {}

async function connectNative(config: Config): Promise<NativeConnection> {
  const options = temporalConnectionOptions(config);
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(options);
  } catch (err) {
    throw new WorkerConfigError(unreachableMessage(options, err));
  }
  try {
    await requireNamespace(connection.workflowService, options.address, config.temporal.namespace);
  } catch (err) {
    await connection.close();
    throw err;
  }
  return connection;
}
