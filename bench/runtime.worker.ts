// The worker side of `npm run bench:runtime`, in its own process (as in production), so its RSS is
// the worker's alone. Talks to the bench over IPC: 'status' → memory and worker status.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config.js';
import { createWorker } from '../src/runtime/worker.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const config = loadConfig(process.env);
const worker = await createWorker(config);
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
