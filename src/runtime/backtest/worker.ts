// The backtest's Temporal worker: the SDK's worker without the per-call watchdog on workflow code.
//
// The SDK runs every slice of workflow code through `vm` with a timeout (isolateExecutionTimeout,
// 5 s), and node starts and joins a watchdog thread for each such call: about 160 µs where the call
// itself takes 2 µs, and on a loaded machine each join waits for the scheduler. A quarter for 200
// reps makes hundreds of thousands of those calls, all on the one workflow thread that every skip
// of time waits for (profiled: a quarter of that thread's time). The timeout only guards against
// workflow code that never yields; the backtest runs the project's own workflows, which never
// loop on their own, and a user can stop a replay with Ctrl-C. Production workers keep it.
import { Worker } from '@temporalio/worker';

type CreatorArgs = Parameters<(typeof Worker)['createWorkflowCreator']>;

export class BacktestWorker extends Worker {
  protected static override createWorkflowCreator(...[bundle, compiledOptions, logger]: CreatorArgs) {
    // `undefined` is node's "no timeout": the vm call runs without a watchdog thread.
    return super.createWorkflowCreator(bundle, { ...compiledOptions, isolateExecutionTimeoutMs: undefined as unknown as number }, logger);
  }
}
