// Which Temporal the plan runs in. `apply` (and `salesflow dev`) record the Temporal address and
// namespace they put the schedules in, with the namespace's id as Temporal reports it; `events
// send` and `serve` refuse another one. There, sequence runs would start with no worker polling
// them (no email ever goes) and the event be recorded as seen, so sending it again would do nothing.
//
// The namespace's id decides when both sides have it: the same namespace reached by another
// address spelling (localhost or 127.0.0.1, a load balancer's name) is the same, while another
// cluster's "default", or a namespace recreated after its Temporal lost its data, is not. Without
// an id (a Temporal that would not describe its namespace) the namespace names are compared. A data
// source applied before this check holds no record and is not checked until its next apply.
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import { type AppliedTemporal, appliedTemporal, recordAppliedTemporal } from '../data/applied-temporal.js';

type Where = Pick<Config['temporal'], 'address' | 'namespace'>;

/** The namespace's id as Temporal describes it; null when it does not say (permissions, an error). */
export async function namespaceIdOf(client: Pick<Client, 'workflowService'>, namespace: string): Promise<string | null> {
  try {
    const described = await client.workflowService.describeNamespace({ namespace });
    return described.namespaceInfo?.id || null;
  } catch {
    return null;
  }
}

/**
 * Records where apply left the plan (after its schedules are in place). Returns the Temporal it was
 * applied to before when that was another one, so apply can say the plan moved.
 */
export async function recordApplyTarget(
  db: Db, client: Pick<Client, 'workflowService'>, where: Where, planVersion: number, now = new Date(),
): Promise<AppliedTemporal | null> {
  const namespaceId = await namespaceIdOf(client, where.namespace);
  const before = await appliedTemporal(db);
  await recordAppliedTemporal(db, { address: where.address, namespace: where.namespace, namespaceId, planVersion, appliedAt: now.toISOString() });
  return before && !sameTemporal(before, { ...where, namespaceId }) ? before : null;
}

export function sameTemporal(applied: Pick<AppliedTemporal, 'namespace' | 'namespaceId'>, here: { namespace: string; namespaceId: string | null }): boolean {
  if (applied.namespaceId && here.namespaceId) return applied.namespaceId === here.namespaceId;
  return applied.namespace === here.namespace;
}

export function describeTemporal(where: Where): string {
  return `Temporal at ${where.address}, namespace "${where.namespace}"`;
}

/**
 * Null when this process's Temporal is the one the plan was last applied to (or nothing is
 * recorded); else the refusal, for `command` (`events send`, `serve`), saying both and what to do.
 */
export async function otherTemporalMessage(
  db: Db, client: Pick<Client, 'workflowService'>, here: Where, command: string,
): Promise<string | null> {
  const applied = await appliedTemporal(db);
  if (!applied) return null;
  const namespaceId = await namespaceIdOf(client, here.namespace);
  if (sameTemporal(applied, { namespace: here.namespace, namespaceId })) return null;
  const sameNames = applied.address === here.address && applied.namespace === here.namespace;
  const what = sameNames
    ? `${describeTemporal(here)} is not the namespace the plan was applied to (salesflow apply, ${applied.appliedAt}): ` +
      'it was recreated since (its Temporal lost its data?), and holds none of the schedules or runs'
    : `this is ${describeTemporal(here)} (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), but the plan was applied to ` +
      `${describeTemporal(applied)} (salesflow apply, ${applied.appliedAt}), where its schedules and workers are`;
  return `${command}: ${what}. Sequence runs started here would have no worker polling them: no email would go out, ` +
    `and the events would be recorded as seen, so sending them again would do nothing. ${command === 'serve' ? 'Not started' : 'Nothing was sent or recorded'}. ` +
    (sameNames ? '' : `Use the workers' TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE; `) +
    `if the plan is to run in this Temporal from now on, run \`salesflow apply\` against it first (it makes the schedules here and records it), and point the workers at it.`;
}
