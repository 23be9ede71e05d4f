// Workflow interceptors for `salesflow backtest` only (bundled into the backtest worker, never into
// the production bundle): they shift the workflow clock back to the past window being replayed.
//
// The time-skipping server starts at the real now and only moves forward, but a backtest of last
// quarter needs the production workflows to believe it is last quarter: `Date.now()` inside them
// must read the replayed time, so check-ins, quiet hours, waits and period boundaries fall where
// they fell. Timers are relative (sleep `at - Date.now()`), so a constant offset between server
// time and workflow time is all it takes, and the workflows themselves stay as they are.
//
// The offset travels in the run's memo (set by the backtest's client interceptor) and is copied to
// children and continue-as-new runs here, so a dispatch's goal or sequence runs share it. It is a
// constant of the run, so the shifted clock is as deterministic on replay as the original one.
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
// The activator holds the time of the current activation; there is no public way to shift it.
import { getActivator } from '@temporalio/workflow/lib/global-attributes.js';

/** Memo key holding workflow time minus server time, in ms (negative: the past). */
export const BACKTEST_CLOCK_MEMO = 'salesflowBacktestClockOffsetMs';

function offsetOfThisRun(): number {
  const value = workflowInfo().memo?.[BACKTEST_CLOCK_MEMO];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function withOffset<T extends { memo?: Record<string, unknown> }>(options: T): T {
  const offset = offsetOfThisRun();
  return offset === 0 ? options : { ...options, memo: { ...options.memo, [BACKTEST_CLOCK_MEMO]: offset } };
}

export const interceptors = (): WorkflowInterceptors => ({
  internals: [
    {
      activate(input, next) {
        // The worker sets `now` once per activation from the server's timestamp, then runs the
        // activation in batches: shift it once, before the first batch runs any workflow code.
        if (input.batchIndex === 0) getActivator().now += offsetOfThisRun();
        return next(input);
      },
    },
  ],
  outbound: [
    {
      startChildWorkflowExecution(input, next) {
        return next({ ...input, options: withOffset(input.options) });
      },
      continueAsNew(input, next) {
        return next({ ...input, options: withOffset(input.options) });
      },
    },
  ],
});
