// One `salesflow apply` at a time per data source. An apply reads the schedules, records its plan,
// then changes the schedules; two at once (two merges a minute apart, each with its CI pipeline)
// could interleave as: A records, B records, B updates the schedules, A updates them. The applied
// plan is then B's while the schedules run A's rules, and `status` says B runs. Holding this lock
// from reading the schedules to the last schedule change makes the plan recorded last the one the
// schedules carry. It is the lock CRM webhooks take (PostgreSQL advisory lock, SQLite lease row),
// under a name no CRM can have: CRM names are `[a-z0-9][a-z0-9_-]*`, never with a space.
import { CrmLockTimeout, withCrmLock } from '../data/crm-lock.js';
import type { Db } from '../data/db.js';

const APPLY_LOCK = 'salesflow apply';

/** How long an apply waits for another to finish: creating dozens of schedules takes a while. */
export const APPLY_WAIT_MS = 10 * 60_000;
/** SQLite: an apply killed while holding the lease holds up the next one for at most this long. */
const LEASE_MS = 30_000;

/** Another apply kept the data source longer than this one could wait: nothing was recorded or changed. */
export class ApplyLockTimeout extends Error {}

/**
 * Run `work` as the only apply on `db`. When another apply holds it, `onWait` is told once (the
 * command says it waits) and this one waits its turn, up to `waitMs`.
 */
export async function withApplyLock<T>(db: Db, work: () => Promise<T>, onWait: () => void, waitMs = APPLY_WAIT_MS): Promise<T> {
  let entered = false;
  const held = () => { entered = true; return work(); };
  try {
    return await withCrmLock(db, APPLY_LOCK, { waitMs: 0, leaseMs: LEASE_MS }, held);
  } catch (err) {
    if (!(err instanceof CrmLockTimeout) || entered) throw err;
  }
  onWait();
  try {
    return await withCrmLock(db, APPLY_LOCK, { waitMs, leaseMs: LEASE_MS }, held);
  } catch (err) {
    if (!(err instanceof CrmLockTimeout) || entered) throw err;
    throw new ApplyLockTimeout(
      `another salesflow apply on this data source did not finish within ${Math.round(waitMs / 1000)} s; nothing was recorded or changed, run apply again`,
    );
  }
}
