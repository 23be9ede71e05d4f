// The stop events taken for each sequence run id, whether or not that run exists yet. CRMs deliver
// out of order (a retried webhook, two queues): a lead's `lead.replied` can arrive before the
// `lead.created` that happened first. The stop then reaches no run, and the late trigger used to
// start the nurture for someone who had already replied. Routing records here, per run id and
// event type, the time of the newest stop it delivered; a trigger that happened before it starts
// nothing. Times are compared in whole seconds, and in the same second the trigger wins: most
// senders stamp events to the second (an update stamped 10:00:05 may come after a click salesflow
// stamped 10:00:05.300), events a person writes by hand often share one `occurred_at`, and a run
// that starts then still gets the stop if it comes later. Kept in crm_versions (newest time per
// key, one statement, so two processes at once keep the newer), under a source of its own.
import { claimRecordVersion } from './crm.js';
import type { Db } from './db.js';

const SOURCE = 'salesflow-stops';

const key = (workflowId: string, eventType: string) => `${workflowId}#${eventType}`;
const second = (ms: number) => Math.floor(ms / 1000) * 1000;

/** Records that a stop of `eventType` that happened at `at` (epoch ms) concerns the run `workflowId`. */
export async function recordStopSeen(db: Db, workflowId: string, eventType: string, at: number): Promise<void> {
  await claimRecordVersion(db, SOURCE, key(workflowId, eventType), second(at));
}

/** The newest stop among `eventTypes` taken for the run that happened in a second after `since`'s (epoch ms); null when none. */
export async function stopSeenAfter(
  db: Db, workflowId: string, eventTypes: readonly string[], since: number,
): Promise<{ eventType: string; at: number } | null> {
  if (eventTypes.length === 0) return null;
  // One indexed read per start (the primary key), however many stop events the rule names.
  const rows = await db.kysely.selectFrom('crm_versions').select(['record_key', 'version'])
    .where('source', '=', SOURCE).where('record_key', 'in', eventTypes.map((type) => key(workflowId, type))).execute();
  let newest: { eventType: string; at: number } | null = null;
  for (const row of rows) {
    // BIGINT comes back from PostgreSQL as text.
    const at = Number(row.version);
    if (at > second(since) && (!newest || at > newest.at)) newest = { eventType: row.record_key.slice(workflowId.length + 1), at };
  }
  return newest;
}
