// `salesflow worker`: runs the Temporal worker (workflows and activities) against the configured
// Temporal, data source and SMTP relay until SIGINT/SIGTERM; then it stops polling, lets running
// activities finish, and exits. Scale out by starting more of these against the same cluster.
// A worker holds no plan of its own: every run carries the rule it was started with (by a schedule
// or by routing, both from the applied plan), so a new `salesflow apply` needs no worker restart.
// Pointed at another Temporal than the one the plan was applied to, it refuses to start, unless
// runs started there before still need a worker to finish: then it polls them, and says so.
import { DataSourceError } from '../../data/db.js';
import { dataSourceName } from '../../runtime/applied-plan.js';
import { TemporalConfigError } from '../../runtime/client.js';
import { fail, loadConfigChecked } from '../../runtime/session.js';
import { createWorker, WorkerConfigError } from '../../runtime/worker.js';
import { installWorkerLogging } from '../../runtime/worker-log.js';

const USAGE =
  'usage: salesflow worker   (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TEMPORAL_API_KEY or\n' +
  '                           TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY, SMTP_URL, DATABASE_URL, PUBLIC_URL, SALESFLOW_SECRET\n' +
  '                           from the environment)\n';

/** How node was started for memory (bin/salesflow sets both for `worker` and `dev`), for the startup line. */
export function memoryTuning(execArgv = process.execArgv, env = process.env): string {
  const semi = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].find((a) => a.startsWith('--max-semi-space-size='));
  const parts = [semi ? `semi-space ${semi.split('=')[1]} MB` : 'default semi-space', env.MALLOC_ARENA_MAX ? `${env.MALLOC_ARENA_MAX} malloc arenas` : 'default malloc arenas'];
  return `memory: ${parts.join(', ')}`;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.length > 0) return fail(`salesflow worker takes no arguments (got ${args.join(' ')})\n${USAGE}`);
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);

  // Failed activity attempts as one line each, not the SDK's stack and task token per retry.
  installWorkerLogging();
  let worker;
  try {
    worker = await createWorker(config.value, {
      refuseOtherTemporal: (draining) => process.stderr.write(`salesflow ${draining}\n`),
    });
  } catch (err) {
    if (err instanceof WorkerConfigError || err instanceof TemporalConfigError || err instanceof DataSourceError) {
      return fail(err.message);
    }
    throw err;
  }
  const { temporal } = config.value;
  process.stdout.write(
    `salesflow worker: polling task queue "${worker.taskQueue}" on ${temporal.address}/${temporal.namespace}; ` +
      `data ${dataSourceName(config.value)}; ${memoryTuning()}\n` +
      'salesflow worker: runs each workflow with the rule it was started with; newly applied plans reach new runs without a restart\n',
  );
  const stop = (signal: string) => {
    process.stdout.write(`salesflow worker: ${signal}, finishing running tasks\n`);
    void worker.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await worker.run();
  process.stdout.write('salesflow worker: stopped\n');
  return 0;
}
