// Which Temporal the plan runs in. `apply` (and `salesflow dev`) record the Temporal address and
// namespace they put the schedules in, with the namespace's id as Temporal reports it; `events
// send` and `serve` refuse another one. There, sequence runs would start with no worker polling
// them (no email ever goes) and the event be recorded as seen, so sending it again would do nothing;
// and `worker` and `payouts run` refuse it too, as it would poll a namespace where none of the plan's runs are. A
// running `serve` checks again per event (AppliedTemporalWatch), as an apply elsewhere moves the plan.
//
// The namespace's id decides when both sides have it: the same namespace reached by another
// address spelling (localhost or 127.0.0.1, a load balancer's name) is the same, while another
// cluster's "default", or a namespace recreated after its Temporal lost its data, is not. Without
// an id (a Temporal that would not describe its namespace) the namespace names are compared. A data
// source applied before this check holds no record and is not checked until its next apply.
import { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import { type AppliedTemporal, appliedTemporal, recordAppliedTemporal } from '../data/applied-temporal.js';

type Where = Pick<Config['temporal'], 'address' | 'namespace'>;

/** The namespace's id as Temporal describes it; null when it does not say (permissions, an error). */
export async function namespaceIdOf(client: NamespaceDescriber, namespace: string): Promise<string | null> {
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

/** Who refuses, and so what would go wrong in another Temporal and what was not done. */
export type Refusing = 'events send' | 'serve' | 'worker' | 'payouts run';

const UNPOLLED = 'Sequence runs started here would have no worker polling them: no email would go out, ' +
  'and the events would be recorded as seen, so sending them again would do nothing.';

const consequence: Record<Refusing, string> = {
  'events send': `${UNPOLLED} Nothing was sent or recorded.`,
  serve: `${UNPOLLED} Not started.`,
  'payouts run': 'Payout runs started here would have no worker polling them: no statement would be computed and no approver asked, ' +
    'and the period would count as run for those reps. Nothing was started.',
  worker: 'This worker would poll a namespace where none of the plan\'s schedules start runs and no event is routed, ' +
    'while the runs there (goal checks, sequences, payouts) waited for a worker. Not started.',
};

/**
 * Null when this process's Temporal is the one the plan was last applied to (or nothing is
 * recorded); else the refusal, for `command`, saying both and what to do.
 */
export async function otherTemporalMessage(
  db: Db, client: NamespaceDescriber, here: Where, command: Refusing,
): Promise<string | null> {
  return new AppliedTemporalWatch(db, client, here).otherMessage(command);
}

/** A client or a worker's connection: both describe namespaces. */
type NamespaceDescriber = { workflowService: Pick<Client['workflowService'], 'describeNamespace'> };

/**
 * For `salesflow worker` in another Temporal than the plan's: refused, unless runs started there
 * before the plan moved are still going on its task queue (a sequence waiting, a statement waiting
 * for approval). Those need a worker to finish, so it then polls, saying why (`draining`).
 */
export async function workerInOtherTemporal(
  db: Db, connection: { workflowService: Pick<Client['workflowService'], 'describeNamespace' | 'countWorkflowExecutions'> },
  here: Where, taskQueue: string,
): Promise<{ refuse: string } | { draining: string } | null> {
  const watch = new AppliedTemporalWatch(db, connection, here);
  const other = await watch.other();
  if (!other) return null;
  let running = 0;
  try {
    const counted = await connection.workflowService.countWorkflowExecutions({
      namespace: here.namespace, query: `TaskQueue = ${JSON.stringify(taskQueue)} AND ExecutionStatus = "Running"`,
    });
    running = Number(counted.count ?? 0);
  } catch {
    // A visibility store that cannot count: nothing known to drain, so refused as it would be.
  }
  if (running === 0) return { refuse: watch.refusal('worker', other) };
  const { applied } = other;
  return {
    draining: `worker: ${describeTemporal(here)} is not where the plan was applied (${describeTemporal(applied)}, salesflow apply, ${applied.appliedAt}), ` +
      `but ${running} run(s) started here before are still going on task queue "${taskQueue}": polling them so they can finish. ` +
      'New events and schedules go to the applied one; stop this worker once none is left running here.',
  };
}

/**
 * The check as a long-running process (`serve`) repeats it: the record is read each time (an apply
 * elsewhere moves it without a new plan version), this process's namespace id is asked once and
 * asked again only when it differs (a namespace recreated since, under the same name, is reached
 * by that name).
 */
/** The Temporal the plan was applied to, when it is not this process's; `sameNames`: same address and namespace, another namespace id. */
type Other = { applied: AppliedTemporal; sameNames: boolean };

export class AppliedTemporalWatch {
  private ownId: string | null | undefined;

  constructor(private readonly db: Db, private readonly client: NamespaceDescriber, private readonly here: Where) {}

  /** The record differs from this process's Temporal: what that is (both named), else null. */
  async other(): Promise<Other | null> {
    const applied = await appliedTemporal(this.db);
    if (!applied) return null;
    const matches = () => sameTemporal(applied, { namespace: this.here.namespace, namespaceId: this.ownId ?? null });
    // Asked once, and again only when it differs: a namespace recreated since under the same name.
    if (this.ownId === undefined || !matches()) this.ownId = await namespaceIdOf(this.client, this.here.namespace);
    if (matches()) return null;
    return { applied, sameNames: applied.address === this.here.address && applied.namespace === this.here.namespace };
  }

  async otherMessage(command: Refusing): Promise<string | null> {
    const other = await this.other();
    return other ? this.refusal(command, other) : null;
  }

  /** The refusal of `command` for a Temporal `other()` found to differ, saying both and what to do. */
  refusal(command: Refusing, other: Other): string {
    return `${command}: ${this.describe(other)}. ${consequence[command]} ` +
      (other.sameNames ? '' : `Use the workers' TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE; `) +
      `if the plan is to run in this Temporal from now on, run \`salesflow apply\` against it first (it makes the schedules here and records it), and point the workers at it.`;
  }

  /**
   * For a `serve` already running when an apply elsewhere moved the plan: why its event endpoints
   * answer 503 and /readyz is not ready, until the plan is applied here again or serve restarted.
   */
  async servingMessage(): Promise<string | null> {
    const other = await this.other();
    if (!other) return null;
    return `${this.describe(other)}. Events are not taken (503, the sender retries): sequence runs started here would have no worker polling them. ` +
      (other.sameNames ? '' : 'Restart serve with the workers\' TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, or ') +
      'run `salesflow apply` against this Temporal if the plan is to run here';
  }

  private describe({ applied, sameNames }: Other): string {
    return sameNames
      ? `${describeTemporal(this.here)} is not the namespace the plan was applied to (salesflow apply, ${applied.appliedAt}): ` +
        'it was recreated since (its Temporal lost its data?), and holds none of the schedules or runs'
      : `this is ${describeTemporal(this.here)} (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE), but the plan was applied to ` +
        `${describeTemporal(applied)} (salesflow apply, ${applied.appliedAt}), where its schedules and workers are`;
  }
}

/**
 * What apply says of the schedules a move left in the Temporal the plan was applied to before: they
 * still fire there, starting runs that only a worker there would run (twice over, beside the new
 * one's). Listed when that is another namespace of this same address (this connection reaches it);
 * for another cluster, said without the list. Empty when none is left.
 */
export async function schedulesLeftBehind(client: Pick<Client, 'connection'>, before: Where, here: Where): Promise<string> {
  const deleteHint = (ids: string[]) => `delete ${ids.length === 1 ? 'it' : 'them'} once the runs there are done ` +
    `(temporal schedule delete --address ${before.address} --namespace ${before.namespace} --schedule-id ${ids.length === 1 ? ids[0] : 'ID'})`;
  if (before.address !== here.address) {
    return `; its schedules there (salesflow:*) still fire and start runs there: ${deleteHint([])}`;
  }
  try {
    const old = new Client({ connection: client.connection, namespace: before.namespace });
    const ids: string[] = [];
    for await (const schedule of old.schedule.list()) if (schedule.scheduleId.startsWith('salesflow:')) ids.push(schedule.scheduleId);
    if (ids.length === 0) return '';
    ids.sort();
    const shown = ids.length > 3 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', ');
    return `; ${ids.length} schedule(s) of the plan are still in namespace "${before.namespace}" and fire there (${shown}): ${deleteHint(ids)}`;
  } catch {
    return `; its schedules there (salesflow:*) may still fire and start runs there: ${deleteHint([])}`;
  }
}
