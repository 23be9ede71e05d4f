// Moving the time-skipping server's clock to explicit instants, and running a dispatch there as its
// schedule would, for tests whose runs are started by dispatchWorkflow (which abandons them).
import type { DispatchInput, DispatchResult } from '../../../src/workflows/api.js';
import { dispatchWorkflow } from '../../../src/workflows/dispatch.js';
import type { Harness } from './harness.js';

export async function until(done: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  for (const start = Date.now(); !(await done()); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
  }
}

/**
 * Moves the test server's clock to `ms`. The Java time-skipping server keeps a time-skipping lock
 * when a child finishes after its parent closed (the dispatch abandons its children), and then
 * stops skipping: a sleep that makes no progress for seconds of real time gets that lock back
 * with one unlock, as often as children finished on the way.
 */
export async function sleepTo(h: Harness, ms: number): Promise<void> {
  const now = await h.testEnv.currentTimeMs();
  if (ms <= now) return;
  const slept = h.testEnv.sleep(ms - now).then(() => true);
  for (let unlocks = 0; ; unlocks++) {
    const before = await h.testEnv.currentTimeMs();
    if (await Promise.race([slept, new Promise<false>((r) => setTimeout(() => r(false), 3000))])) return;
    // Locked, the server's clock still runs, at the speed of real time: only a leap is progress.
    if ((await h.testEnv.currentTimeMs()) - before > 60_000) continue;
    if (unlocks >= 20) throw new Error(`the test server's clock did not reach ${new Date(ms).toISOString()}`);
    await h.testEnv.connection.testService?.unlockTimeSkipping({});
  }
}

/** The result a completed workflow returned, read from its history (no time skipping meanwhile). */
export async function completedResult<T>(h: Harness, workflowId: string): Promise<T> {
  const history = await h.testEnv.client.workflow.getHandle(workflowId).fetchHistory();
  const data = history.events?.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data;
  if (!data) throw new Error(`${workflowId} has not completed`);
  return JSON.parse(Buffer.from(data).toString('utf8')) as T;
}

/**
 * Runs the dispatch at `fired` (the server's clock is moved there first), as a schedule firing
 * then would, and returns once every run it started is asleep on a timer or done. The clock
 * stands still meanwhile (it skips only while a test sleeps or awaits a result).
 */
export async function dispatchAt(h: Harness, input: DispatchInput, fired: number, workflowId: string): Promise<DispatchResult> {
  await sleepTo(h, fired);
  const handle = await h.testEnv.client.workflow.start(dispatchWorkflow, {
    taskQueue: h.taskQueue, workflowId, args: [{ ...input, firedAt: new Date(fired).toISOString() }],
  });
  await until(async () => (await handle.describe()).status.name === 'COMPLETED');
  const dispatched = await completedResult<DispatchResult>(h, workflowId);
  const settled = async (id: string) =>
    (await h.testEnv.client.workflow.getHandle(id).fetchHistory()).events?.some((e) => e.timerStartedEventAttributes || e.workflowExecutionCompletedEventAttributes) ?? false;
  await until(async () => (await Promise.all(dispatched.started.map(settled))).every(Boolean));
  await until(async () => h.worker.worker.getStatus().numInFlightWorkflowActivations === 0);
  return dispatched;
}

/** "Monday 2027-03-29 00:00" as a zone's clock shows an instant. */
export function wallClock(at: Date | number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
