// Workflow interceptor for `salesflow backtest` only (bundled into the backtest worker, never into
// the production bundle): every activity the production workflows call runs as a local activity.
//
// Why: in a replay the worker, its activities and the server share one machine, and the server is
// the Java time-skipping server, which moves time on only once all that is due has run. A regular
// activity costs it a scheduled activity task, a poll, a completion and a second workflow task;
// a local activity runs inside the workflow task that asked for it and is recorded as a marker.
// Every check-in, review and sequence email of a quarter is one such activity, so this halves the
// round trips to the server per email, and the server's CPU with them.
//
// Production keeps regular activities (a crashed worker's sends must move to another worker, by
// heartbeat), and its histories are untouched: the backtest's histories live on its throwaway
// server and are only ever replayed by the backtest worker that wrote them, with this same bundle.
import { scheduleLocalActivity, type WorkflowInterceptors } from '@temporalio/workflow';

export const interceptors = (): WorkflowInterceptors => ({
  outbound: [
    {
      scheduleActivity(input) {
        // The same attempt timeout and retry policy; no heartbeat timeout, local activities have none.
        const { startToCloseTimeout, scheduleToCloseTimeout, retry } = input.options;
        return scheduleLocalActivity(input.activityType, input.args, { startToCloseTimeout, scheduleToCloseTimeout, retry }, input.typeInfo);
      },
    },
  ],
});
