// The Temporal the plan was last applied to (migration 14): address, namespace and the namespace's
// id, written by every successful apply. One row, replaced by each apply, so re-applying the same
// plan to another cluster or namespace (which records no new plan version) still moves it.
import type { Db } from './db.js';

export interface AppliedTemporal {
  address: string;
  namespace: string;
  /** The namespace's id as Temporal described it; null when it did not answer that. */
  namespaceId: string | null;
  /** The applied plan version that apply left in place there. */
  planVersion: number;
  appliedAt: string;
}

const SLOT = 'applied';

export async function appliedTemporal(db: Db): Promise<AppliedTemporal | null> {
  const row = await db.kysely.selectFrom('applied_temporal').selectAll().where('slot', '=', SLOT).executeTakeFirst();
  return row
    ? { address: row.address, namespace: row.namespace, namespaceId: row.namespace_id, planVersion: Number(row.plan_version), appliedAt: row.applied_at }
    : null;
}

export async function recordAppliedTemporal(db: Db, target: AppliedTemporal): Promise<void> {
  const values = {
    address: target.address, namespace: target.namespace, namespace_id: target.namespaceId,
    plan_version: target.planVersion, applied_at: target.appliedAt,
  };
  await db.kysely.insertInto('applied_temporal').values({ slot: SLOT, ...values })
    .onConflict((oc) => oc.column('slot').doUpdateSet(values)).execute();
}
