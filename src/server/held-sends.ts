// Dev only: the emails running sequences are holding back (quiet hours, a wait, a scheduled start),
// for the outbox page. Lists running sequence runs through Temporal's visibility and asks each with
// the `heldSend` query. Bounded in count and time: the page must render fast whatever Temporal does.
import type { Client } from '@temporalio/client';
import { heldSendQuery, type HeldSend } from '../workflows/api.js';

export interface HeldEmail extends HeldSend {
  workflowId: string;
}

export interface HeldList {
  held: HeldEmail[];
  /** Runs listed that did not answer the query in time (worker down or busy). */
  unanswered: number;
  /** More running sequences exist than were asked. */
  truncated: boolean;
}

const RUNNING_SEQUENCES = 'ExecutionStatus = "Running" AND WorkflowType = "sequenceWorkflow"';

/** Null when Temporal did not list its workflows in time (down, or a server without visibility). */
export async function listHeldSends(client: Client, options: { limit?: number; timeoutMs?: number } = {}): Promise<HeldList | null> {
  const limit = options.limit ?? 50;
  const deadline = Date.now() + (options.timeoutMs ?? 2000);
  const ids = await withDeadline(deadline, async () => {
    const found: string[] = [];
    for await (const wf of client.workflow.list({ query: RUNNING_SEQUENCES, pageSize: limit + 1 })) {
      found.push(wf.workflowId);
      if (found.length > limit) break;
    }
    return found;
  });
  if (ids === null) return null;
  const asked = ids.slice(0, limit);
  const answers = await Promise.all(
    asked.map((workflowId) =>
      withDeadline(deadline, async () => {
        const held = await client.workflow.getHandle(workflowId).query(heldSendQuery);
        return { held: held ? { ...held, workflowId } : null };
      }),
    ),
  );
  const held = answers.flatMap((a) => (a?.held ? [a.held] : [])).sort((a, b) => a.at.localeCompare(b.at));
  return { held, unanswered: answers.filter((a) => a === null).length, truncated: ids.length > limit };
}

/** `work()`'s result, or null when it fails or `deadline` (epoch ms) passes first. */
async function withDeadline<T>(deadline: number, work: () => Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work().catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
