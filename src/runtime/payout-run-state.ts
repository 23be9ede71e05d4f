// Whether a payout run whose statement still waits for a decision can still be decided: Temporal
// says if the run goes on or has closed (terminated, failed, timed out, cancelled) and when. A
// closed run answers queries with its last state, "awaiting approval", so the statement table
// alone told sales ops to chase an approver whose link could no longer decide anything.
// `payouts run` starts such runs again; `payouts export` and the dev overview show them as ended.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Config } from '../config.js';
import { connectTemporal, type TemporalClient } from './client.js';

export type PayoutRunState =
  | { kind: 'running' }
  /** Closed: `status` is Temporal's (TERMINATED, FAILED, ...); `closedAt` when it closed. */
  | { kind: 'ended'; status: string; closedAt: Date | null }
  /** Temporal no longer has the run (past its namespace's retention, or a dev server's data lost): it ended. */
  | { kind: 'gone' }
  /** Temporal did not answer: nothing is known. */
  | { kind: 'unknown'; problem: string };

/** The state of one run, by its workflow id (the newest run of that id). Temporal errors are thrown. */
export async function payoutRunState(client: Client, workflowId: string): Promise<Exclude<PayoutRunState, { kind: 'unknown' }>> {
  try {
    const described = await client.workflow.getHandle(workflowId).describe();
    if (described.status.name === 'RUNNING') return { kind: 'running' };
    return { kind: 'ended', status: described.status.name, closedAt: described.closeTime ?? null };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { kind: 'gone' };
    throw err;
  }
}

/**
 * The states of many runs, `concurrency` at a time, each call bounded by `timeoutMs`: a page or an
 * export must not hang on a Temporal that is down, and a period has thousands of statements.
 */
export async function payoutRunStates(
  client: Client, workflowIds: string[], options: { concurrency?: number; timeoutMs?: number } = {},
): Promise<Map<string, PayoutRunState>> {
  const states = new Map<string, PayoutRunState>();
  const timeoutMs = options.timeoutMs ?? 5000;
  let next = 0;
  let unreachable: string | null = null;
  const lane = async () => {
    while (next < workflowIds.length) {
      const workflowId = workflowIds[next++];
      // Once Temporal failed to answer, the rest are not asked: each would wait out its own timeout.
      if (unreachable !== null) { states.set(workflowId, { kind: 'unknown', problem: unreachable }); continue; }
      try {
        states.set(workflowId, await client.withDeadline(Date.now() + timeoutMs, () => payoutRunState(client, workflowId)));
      } catch (err) {
        unreachable = (err as Error).message;
        states.set(workflowId, { kind: 'unknown', problem: unreachable });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, workflowIds.length) }, lane));
  return states;
}

/** "terminated 2026-04-03 09:12 UTC", "no longer in Temporal": how a run ended, for people. */
export function endedWords(state: Extract<PayoutRunState, { kind: 'ended' | 'gone' }>): string {
  if (state.kind === 'gone') return 'Temporal no longer has the run: past its retention, or its data was lost';
  const how = state.status.toLowerCase().replace(/_/g, ' ');
  return state.closedAt ? `${how} ${state.closedAt.toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')}` : how;
}

/**
 * For a command that otherwise needs no Temporal (`payouts export`): connects, asks, closes. When
 * Temporal cannot be reached the answer says so, and the command goes on with what it has.
 */
export async function payoutRunStatesFromConfig(
  config: Pick<Config, 'temporal'>, workflowIds: string[],
): Promise<{ ok: true; states: Map<string, PayoutRunState> } | { ok: false; problem: string }> {
  let temporal: TemporalClient;
  try {
    temporal = await connectTemporal(config);
  } catch (err) {
    return { ok: false, problem: (err as Error).message.split('\n')[0] };
  }
  try {
    return { ok: true, states: await payoutRunStates(temporal.client, workflowIds) };
  } finally {
    await temporal.close();
  }
}
