// Event routing (SPEC §5, §9): one accepted CRM event is recorded once, its entity upserted, matching
// sequences started (one run per subject, ever) and stop events delivered to the runs they concern.
// Shared by `POST /events` and `salesflow events send`, so both behave the same.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Config } from '../config.js';
import { transaction, type Db } from '../data/db.js';
import { claimFieldVersions } from '../data/crm.js';
import { dealColumns, dealsByContact, getDeal, upsertDealAsStored } from '../data/deals.js';
import { getEvent, recordEventOnce } from '../data/events.js';
import { getLead, getLeadsByEmail, leadColumns, upsertLeadAsStored } from '../data/leads.js';
import { getRep } from '../data/reps.js';
import { recordStopSeen, stopSeenAfter } from '../data/stops-seen.js';
import { isSuppressed, suppress } from '../data/suppressions.js';
import type { CrmEvent } from '../events/schema.js';
import { holds } from '../plan/evaluate.js';
import type { EvalContext } from '../plan/evaluate.js';
import type { Plan, SequenceRule } from '../plan/schema.js';
import { type SequenceInput, type StopRequest, stopSignal, workflowIds } from '../workflows/api.js';
import { runStops, stopRulesFor } from './stop-rules.js';
import { type EventEntity, type StopTarget, stopTargets, type SubjectLookup } from './subjects.js';
import { emailKey } from '../data/email-key.js';

export interface RouteDeps {
  client: Client;
  db: Db;
  plan: Plan;
  config: Pick<Config, 'temporal'>;
}

export interface RouteResult {
  eventId: string;
  type: CrmEvent['type'];
  /** The id was seen before: acknowledged, nothing changed. */
  duplicate: boolean;
  /** Workflow ids of sequence runs this event started. */
  started: string[];
  /** Sequence runs the event matched that already exist for the subject (not started twice). */
  alreadyRunning: string[];
  /** Sequence runs a stop was delivered to. */
  stopped: string[];
  /**
   * Sequence runs this event matched but did not start: a stop event of the rule that happened
   * after this event (after its `occurred_at`) was already taken for the subject.
   */
  stoppedBefore: string[];
  /** Address suppressed by `lead.unsubscribed`. */
  suppressed: string | null;
  /**
   * The subject's own address (the lead's email, the deal's contact) when it is unsubscribed and
   * this event started runs for it: they run, but send that address nothing (SPEC §5).
   */
  startedUnsubscribed: string | null;
  /** Fields of the lead or deal a newer change already wrote: kept as stored, this older event's values not taken. */
  keptNewer: string[];
}

/** The key space of the per-field order of events senders post (RouteOptions.ordered). */
const EVENTS_SOURCE = 'salesflow-events';

/** How far ahead of this process's clock an event's `occurred_at` is still taken as written. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Temporal work happens before the event id is recorded: if Temporal is down, the caller gets an
 * error, the CRM retries, and the retry is not mistaken for a duplicate. Every step is idempotent
 * (deterministic workflow ids, REJECT_DUPLICATE), so a retry after a partial run does no harm.
 */
export interface RouteOptions {
  /**
   * The sender's own data, ordered by its `occurred_at` per field (POST /events, `events send`): a
   * field a later change already wrote keeps its stored value. CRM webhooks order their deliveries
   * by the CRM's own versions instead, and salesflow's own events (an unsubscribe click) carry the
   * stored record, so neither claims field versions.
   */
  ordered?: boolean;
}

export async function routeEvent(deps: RouteDeps, sent: CrmEvent, absent: readonly string[] = [], options: RouteOptions = {}): Promise<RouteResult> {
  const event = absent.length > 0 ? await completeFromStored(deps.db, sent, absent) : sent;
  const result: RouteResult = {
    eventId: event.id, type: event.type, duplicate: false, started: [], alreadyRunning: [], stopped: [], stoppedBefore: [], suppressed: null, startedUnsubscribed: null, keptNewer: [],
  };
  const { db } = deps;
  if (await getEvent(db, event.id)) return { ...result, duplicate: true };
  // A sender's clock running ahead must not lock a record against every later change: a time
  // past now counts as now.
  const happenedAt = Math.min(Date.parse(event.occurred_at), Date.now() + CLOCK_SKEW_MS);

  // The entity first: a sequence's first step reads the subject's current data. Routing then goes
  // by the entity as this write left it (the same statement returns it): where a newer change of a
  // field was already taken, conditions, stops and the run's input see the newer value the data
  // source holds, not this event's older one.
  const entity = await transaction(db, async (tx): Promise<EventEntity> => {
    // A field an event older than the newest change already taken of it carries (a sender's late
    // retry, deliveries out of order) must not put its older value back: it stays as stored, and
    // the event is still routed (a late reply still stops, a trigger still starts).
    const [record, fields] = 'lead' in event
      ? [`lead:${event.lead.id}`, leadColumns.filter((c) => c !== 'id' && !absent.includes(c))]
      : [`deal:${event.deal.id}`, dealColumns.filter((c) => c !== 'id' && !absent.includes(c))];
    if (options.ordered) result.keptNewer = await claimFieldVersions(tx, EVENTS_SOURCE, record, fields, happenedAt);
    // Fields the sender left out stay as stored: the database keeps them, so this write never puts
    // back a value read above that another process changed meanwhile.
    const keep = [...absent, ...result.keptNewer];
    // The address the event says unsubscribed is suppressed, also when a newer change of the lead
    // already gave it another one: that address asked for no more email.
    if (event.type === 'lead.unsubscribed') await suppress(tx, event.lead.email, `lead.unsubscribed (event ${event.id})`);
    return 'lead' in event
      ? { kind: 'lead', lead: await upsertLeadAsStored(tx, event.lead, keep) }
      : { kind: 'deal', deal: await upsertDealAsStored(tx, event.deal, keep) };
  });
  if (event.type === 'lead.unsubscribed') result.suppressed = emailKey(event.lead.email);

  const sequences = deps.plan.rules.filter((r): r is SequenceRule => r.kind === 'sequence');
  const stopRequest: StopRequest = { eventType: event.type, eventId: event.id };
  // Stops follow every applied version of the sequences, not only the plan run now: runs keep the
  // rule they started with, also after an apply removed it or changed its `stop on`.
  const stopRules = await stopRulesFor(db, deps.plan);
  for (const target of stopTargets(stopRules, event.type, entity, await subjectLookup(db, entity))) {
    // Recorded before the signal, also for a run that does not exist (yet): a trigger that happened
    // earlier but arrives later starts nothing (startUnlessStopped).
    await recordStopSeen(db, target.workflowId, event.type, happenedAt);
    if (target.byVersion && !(await startedStopping(deps.client, target, event.type))) continue;
    if (await deliverStop(deps.client, target.workflowId, stopRequest)) result.stopped.push(target.workflowId);
  }

  const context = await evalContext(entity, db);
  for (const rule of sequences) {
    if (rule.trigger.kind !== 'event' || rule.trigger.event !== event.type) continue;
    if (!holds(rule.trigger.where, context)) continue;
    const workflowId = sequenceWorkflowId(rule, entity);
    const outcome = await startUnlessStopped(deps, rule, entity, event.id, workflowId, happenedAt);
    (outcome === 'started' ? result.started : outcome === 'stopped-before' ? result.stoppedBefore : result.alreadyRunning).push(workflowId);
  }
  // A run for an unsubscribed address still starts (its emails to others, a `hot-lead` to the
  // owner, go out), but whoever fed the event must not read "started" as "the lead gets emails".
  const subjectAddress = entity.kind === 'lead' ? entity.lead.email : entity.deal.contact;
  if (result.started.length > 0 && subjectAddress && (await isSuppressed(db, subjectAddress))) {
    result.startedUnsubscribed = emailKey(subjectAddress);
  }

  // Two deliveries racing past the check above did the same idempotent work; only one records.
  // The entity was written above: writing it again would undo a newer event routed meanwhile.
  if ((await recordEventOnce(db, event, undefined, true)) === 'duplicate') return { ...result, duplicate: true };
  return result;
}

/**
 * The event with the fields its sender left out taken from the data source. A `lead.replied` that
 * carries only the lead's id and email must not erase the owner, time zone and score stored for
 * that lead (later steps read them); a field sent empty (null, "") still clears it. A lead or deal
 * not stored yet is taken as sent.
 */
export async function completeFromStored(db: Db, event: CrmEvent, absent: readonly string[]): Promise<CrmEvent> {
  const fill = <T extends object>(sent: T, stored: T | null): T => {
    if (!stored) return sent;
    const merged: Record<string, unknown> = { ...(sent as Record<string, unknown>) };
    for (const field of absent) if (field in stored) merged[field] = (stored as Record<string, unknown>)[field];
    return merged as T;
  };
  if ('lead' in event) return { ...event, lead: fill(event.lead, await getLead(db, event.lead.id)) };
  return { ...event, deal: fill(event.deal, await getDeal(db, event.deal.id)) };
}

/** The only lookups routing this event can make (a deal's contact's leads, a lead's deals), read up front. */
async function subjectLookup(db: Db, entity: EventEntity): Promise<SubjectLookup> {
  const contact = entity.kind === 'deal' ? entity.deal.contact : null;
  const leads = contact ? await getLeadsByEmail(db, contact) : [];
  const deals = entity.kind === 'lead' ? await dealsByContact(db, entity.lead.email) : [];
  return {
    leadsByEmail: (email) => (contact !== null && email === contact ? leads : []),
    dealsByContact: (email) => (entity.kind === 'lead' && email === entity.lead.email ? deals : []),
  };
}

function sequenceWorkflowId(rule: SequenceRule, entity: EventEntity): string {
  const id = entity.kind === 'lead' ? entity.lead.id : entity.deal.id;
  return workflowIds.sequence(rule.id, entity.kind, id);
}

/** The event's entity plus the rep it belongs to, so `where` can read `rep.*` too. */
async function evalContext(entity: EventEntity, db: Db): Promise<EvalContext> {
  if (entity.kind === 'lead') {
    const rep = entity.lead.owner ? await getRep(db, entity.lead.owner) : null;
    return rep ? { lead: entity.lead, rep } : { lead: entity.lead };
  }
  const rep = await getRep(db, entity.deal.rep);
  return rep ? { deal: entity.deal, rep } : { deal: entity.deal };
}

/**
 * Starts the run unless a stop event of the rule that happened after the trigger was already
 * taken for the subject (see src/data/stops-seen.ts). The rule's own trigger event is not counted
 * as a stop (SF7006: stopping on it has no effect). Two processes at once: the stop's routing
 * records the stop, then signals; this one starts, then looks again, and signals the stop itself
 * when it finds one it missed, so the run ends whichever of the two came first.
 */
async function startUnlessStopped(
  deps: RouteDeps, rule: SequenceRule, entity: EventEntity, eventId: string, workflowId: string, triggeredAt: number,
): Promise<'started' | 'already' | 'stopped-before'> {
  const stopOn = rule.stopOn.filter((type) => rule.trigger.kind !== 'event' || type !== rule.trigger.event);
  if (await stopSeenAfter(deps.db, workflowId, stopOn, triggeredAt)) return 'stopped-before';
  const outcome = await startSequence(deps, rule, entity, eventId, workflowId);
  if (outcome !== 'started') return outcome;
  const missed = await stopSeenAfter(deps.db, workflowId, stopOn, triggeredAt);
  if (missed) await deliverStop(deps.client, workflowId, { eventType: missed.eventType, eventId: `(a ${missed.eventType} taken while this run started)` });
  return 'started';
}

async function startSequence(
  deps: RouteDeps, rule: SequenceRule, entity: EventEntity, eventId: string, workflowId: string,
): Promise<'started' | 'already'> {
  const subject: SequenceInput['subject'] = entity.kind === 'lead'
    ? { kind: 'lead', lead: entity.lead }
    : { kind: 'deal', deal: entity.deal };
  const input: SequenceInput = { rule, subject, triggerEventId: eventId, planHash: deps.plan.hash };
  try {
    await deps.client.workflow.start('sequenceWorkflow', {
      workflowId,
      taskQueue: deps.config.temporal.taskQueue,
      args: [input],
      // One run per (sequence, subject), ever: neither while it runs nor after it finished.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: { ruleVersion: rule.version, triggerEventId: eventId, planHash: deps.plan.hash },
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already';
    throw err;
  }
}

/**
 * Where the versions of a rule disagree on the event, the run's own version (in its memo) decides:
 * false for a run that does not exist or whose rule does not stop on the event.
 */
async function startedStopping(client: Client, target: StopTarget, eventType: string): Promise<boolean> {
  try {
    const { memo } = await client.workflow.getHandle(target.workflowId).describe();
    return runStops(target.rule, memo?.ruleVersion, eventType);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** True when a running sequence got the stop; a finished or never-started one is not an error. */
async function deliverStop(client: Client, workflowId: string, request: StopRequest): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(stopSignal, request);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** One line per event for the CLI and logs: what routing did, in words. */
export function describeRoute(result: RouteResult): string {
  const head = `${result.eventId} (${result.type})`;
  if (result.duplicate) return `${head}: seen before, acknowledged; nothing changed`;
  const parts: string[] = [];
  if (result.started.length) parts.push(`started ${result.started.join(', ')}`);
  if (result.startedUnsubscribed) {
    const [runs, own] = result.started.length > 1 ? ['these runs send', 'their'] : ['this run sends', 'its'];
    parts.push(`${result.startedUnsubscribed} is unsubscribed: ${runs} it nothing (recorded suppressed in the outbox); ${own} emails to others still go out`);
  }
  if (result.alreadyRunning.length) parts.push(`already in sequence ${result.alreadyRunning.join(', ')}`);
  if (result.stoppedBefore.length) parts.push(`not started ${result.stoppedBefore.join(', ')} (a stop event that happened after this one was already taken)`);
  if (result.stopped.length) parts.push(`stopped ${result.stopped.join(', ')}`);
  if (result.suppressed) parts.push(`suppressed ${result.suppressed}`);
  if (result.keptNewer.length) parts.push(`kept the stored ${result.keptNewer.join(', ')} (a later change of them was already taken)`);
  return `${head}: ${parts.length ? parts.join('; ') : 'recorded; no sequence matched'}`;
}
