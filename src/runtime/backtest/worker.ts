// The backtest's Temporal worker: the SDK's worker, minus the watchdog on every call into
// workflow code.
//
// The SDK runs each slice of workflow code through node's `vm` with a timeout
// (isolateExecutionTimeout), and for every such call node starts and joins a watchdog thread:
// about 55 µs of wall time (22 µs of CPU) against 1 µs for the call itself, measured on this
// machine, and far more when the machine is loaded and the new thread waits for a CPU. A replay
// makes hundreds of thousands of those calls on the one workflow thread, which, once activities
// run as local activities (src/workflows/backtest-local-activities.ts), is the replay's critical
// path: profiled, 42 s of its 68 busy seconds were spent in `runInContext`.
//
// The timeout only guards against workflow code that never yields. The backtest runs the project's
// own workflows, none of which loops without awaiting, and a user stops a replay with Ctrl-C.
// Production workers (src/runtime/worker.ts) keep it.
import { Worker } from '@temporalio/worker';

type CreatorArgs = Parameters<(typeof Worker)['createWorkflowCreator']>;

export class BacktestWorker extends Worker {
  protected static override createWorkflowCreator(...[bundle, compiledOptions, logger]: CreatorArgs) {
    // `undefined` is node's "no timeout": the vm call then runs without a watchdog thread.
    return super.createWorkflowCreator(bundle, { ...compiledOptions, isolateExecutionTimeoutMs: undefined as unknown as number }, logger);
  }
}
