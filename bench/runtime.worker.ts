// The worker side of `npm run bench:runtime`, in its own process (as in production), so its RSS is
// the worker's alone. Talks to the bench over IPC: 'status' → memory and worker status.
// BENCH_MAX_CACHED=N builds the same worker with the sticky cache bounded to N workflows, to show
// what the cache costs; without it this is exactly what `salesflow worker` runs (createWorker).
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, createMailer } from '../src/activities/index.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/data/db.js';
import { temporalConnectionOptions } from '../src/runtime/client.js';
import { createWorker, prebuiltBundle, workflowBundle } from '../src/runtime/worker.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const config = loadConfig(process.env);
const maxCached = process.env.BENCH_MAX_CACHED ? Number(process.env.BENCH_MAX_CACHED) : undefined;

async function boundedWorker(max: number): Promise<{ worker: Worker; run(): Promise<void>; shutdown(): Promise<void> }> {
  const worker = await Worker.create({
    connection: await NativeConnection.connect(temporalConnectionOptions(config)),
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db: openDatabase(config.databasePath), mailer: createMailer(config.smtpUrl!), config }),
    maxCachedWorkflows: max,
  });
  let running: Promise<void> | undefined;
  return {
    worker,
    run: () => (running ??= worker.run()),
    async shutdown() {
      worker.shutdown();
      await running;
    },
  };
}

const worker = maxCached !== undefined ? await boundedWorker(maxCached) : await createWorker(config);
const running = worker.run();

process.on('message', async (message: string) => {
  if (message === 'status') {
    const status = worker.worker.getStatus();
    process.send?.({
      kind: 'status',
      rss: process.memoryUsage().rss,
      heapUsed: process.memoryUsage().heapUsed,
      cached: status.numCachedWorkflows,
      inFlightActivations: status.numInFlightWorkflowActivations,
      inFlightActivities: status.numInFlightActivities,
      maxCached: worker.worker.options.maxCachedWorkflows,
      bundle: prebuiltBundle() ? 'prebuilt' : 'bundled in process',
    });
  } else if (message === 'shutdown') {
    await worker.shutdown();
    await running;
    process.exit(0);
  }
});
// Never outlive the bench: an orphaned worker would poll a stopped server forever.
process.on('disconnect', () => process.exit(1));
process.send?.({ kind: 'ready' });
