// `salesflow plan` / `apply` (SPEC §8): compare the schedules the rules declare with the ones in
// Temporal, like terraform. Each declared schedule is read by id (strongly consistent); the list
// (eventually consistent visibility) is only used to find `salesflow:` schedules no longer declared,
// and each of those is read again before it counts as present. Apply changes schedules, and starts
// the period under way of a goal that is new or changed its period kind (goal-period-start.ts):
// workflows already running keep the rule object they were started with.
import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { type PeriodKind, periodKinds } from '../plan/catalog.js';
import type { Plan } from '../plan/schema.js';
import { type GoalPeriodStart, startGoalPeriodUnderWay } from './goal-period-start.js';
import { findRenames, type RuleSeen, rulesSeenIn } from '../renames/pairing.js';
import {
  type DeclaredSchedule, declaredSchedules, MEMO_KEY, SCHEDULE_ID_PREFIX, type ScheduleMemo,
} from './schedule-specs.js';

export interface ExistingSchedule {
  scheduleId: string;
  /** What apply stored; null for a schedule salesflow did not make (or made before memos). */
  memo: ScheduleMemo | null;
  paused: boolean;
  /** The goal period its action dispatches now (read off the rule it carries); null: no goal's. */
  goalPeriod: PeriodKind | null;
  /** The rule its action carries, to tell a renamed rule (renames.ts); null: none readable. */
  rule: RuleSeen | null;
}

export interface ScheduleChanges {
  added: DeclaredSchedule[];
  changed: { declared: DeclaredSchedule; existing: ExistingSchedule }[];
  unchanged: DeclaredSchedule[];
  removed: ExistingSchedule[];
  /**
   * Added schedules whose rule is a removed schedule's rule renamed and otherwise the same (both
   * are also in `added` and `removed`: the ids differ, so one is created and the other deleted).
   */
  renamed: { declared: DeclaredSchedule; previous: ExistingSchedule }[];
}

export function hasChanges(changes: ScheduleChanges): boolean {
  return changes.added.length + changes.changed.length + changes.removed.length > 0;
}

export async function planSchedules(client: Client, plan: Plan, taskQueue: string): Promise<ScheduleChanges> {
  const changes: ScheduleChanges = { added: [], changed: [], unchanged: [], removed: [], renamed: [] };
  const declared = declaredSchedules(plan, taskQueue);
  for (const schedule of declared) {
    const existing = await describe(client, schedule.scheduleId);
    if (!existing) changes.added.push(schedule);
    else if (sameSchedule(existing.memo, schedule)) changes.unchanged.push(schedule);
    else changes.changed.push({ declared: schedule, existing });
  }
  const declaredIds = new Set(declared.map((s) => s.scheduleId));
  for (const id of await listSalesflowScheduleIds(client)) {
    if (declaredIds.has(id)) continue;
    const existing = await describe(client, id);
    if (existing) changes.removed.push(existing);
  }
  changes.removed.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  const addedRules = rulesSeenIn({ rules: plan.rules.filter((r) => changes.added.some((s) => s.ruleId === r.id)) });
  const removedRules = changes.removed.flatMap((s) => (s.rule ? [s.rule] : []));
  for (const rename of findRenames(removedRules, addedRules)) {
    const declaredSchedule = changes.added.find((s) => s.ruleId === rename.to.id);
    const previous = changes.removed.find((s) => s.rule?.id === rename.from.id);
    if (declaredSchedule && previous) changes.renamed.push({ declared: declaredSchedule, previous });
  }
  return changes;
}

/** The removed schedule whose rule `declared`'s rule renames, or null. */
export function renamedFrom(changes: ScheduleChanges, declared: DeclaredSchedule): ExistingSchedule | null {
  return changes.renamed.find((r) => r.declared.scheduleId === declared.scheduleId)?.previous ?? null;
}

/**
 * Whether apply starts the period under way for a goal: when it is new, or its schedule dispatched
 * another period kind (or no goal's: a schedule salesflow did not make). Not for a paused schedule,
 * nor for other edits (a changed check-in starts runs from the next period on; reps a changed
 * `for reps where` newly selects get theirs at the schedule's next daily pass).
 */
export function startsPeriodUnderWay(declared: DeclaredSchedule, existing: ExistingSchedule | null): boolean {
  if (declared.goalPeriod === null) return false;
  return existing === null || (!existing.paused && existing.goalPeriod !== declared.goalPeriod);
}

/**
 * Makes exactly the planned changes. A paused schedule stays paused when it is updated. `now` is
 * the clock that decides which period is under way for the goals it starts (see above).
 *
 * The period under way is started before its schedule is created or updated: an apply cut short
 * between the two sees the schedule still to change when run again, and starts it again (the
 * same id, so nothing twice); the other order would leave the month without runs for good.
 */
export async function applySchedules(client: Client, changes: ScheduleChanges, clock: { now: Date }): Promise<GoalPeriodStart[]> {
  const started: GoalPeriodStart[] = [];
  for (const schedule of changes.added) {
    // A renamed goal's period under way has its runs, under the old name: a second set would mail twice.
    if (startsPeriodUnderWay(schedule, null) && !renamedFrom(changes, schedule)) started.push(...await startGoalPeriodUnderWay(client, schedule, clock.now));
    try {
      await client.schedule.create(schedule.options);
    } catch (err) {
      // Another apply created it since this one planned: make it this declaration, as for a change.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await update(client, schedule);
    }
  }
  for (const { declared, existing } of changes.changed) {
    if (startsPeriodUnderWay(declared, existing)) started.push(...await startGoalPeriodUnderWay(client, declared, clock.now));
    await update(client, declared);
  }
  for (const existing of changes.removed) {
    try {
      await client.schedule.getHandle(existing.scheduleId).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return started;
}

async function update(client: Client, declared: DeclaredSchedule): Promise<void> {
  const { scheduleId: _id, ...options } = declared.options;
  await client.schedule.getHandle(declared.scheduleId).update((previous) => ({
    ...options,
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
}

/** gRPC DEADLINE_EXCEEDED and UNAVAILABLE: a Temporal server that is busy or still starting. */
const TRANSIENT_CODES = new Set([4, 14]);
const DESCRIBE_ATTEMPTS = 4;

async function describe(client: Client, scheduleId: string): Promise<ExistingSchedule | null> {
  let description: ScheduleDescription;
  for (let attempt = 1; ; attempt++) {
    try {
      description = await client.schedule.getHandle(scheduleId).describe();
      break;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return null;
      // A read changes nothing, so a server that answered "context deadline exceeded" (seen from
      // a dev server just started on a busy machine) is asked again before `apply` or `dev` fails.
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      if (attempt >= DESCRIBE_ATTEMPTS || typeof code !== 'number' || !TRANSIENT_CODES.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
  const { action } = description;
  const memo = action.type === 'startWorkflow' ? action.memo?.[MEMO_KEY] : undefined;
  const goalPeriod = action.type === 'startWorkflow' ? dispatchedGoalPeriod(action.args?.[0]) : null;
  const carried = action.type === 'startWorkflow' ? (action.args?.[0] as { rule?: unknown } | undefined)?.rule : undefined;
  const rule = rulesSeenIn({ rules: [carried] })[0] ?? null;
  return { scheduleId, memo: isMemo(memo) ? memo : null, paused: description.state.paused, goalPeriod, rule };
}

/** The period kind of the goal rule a schedule's dispatch input carries (schedules of any salesflow). */
function dispatchedGoalPeriod(input: unknown): PeriodKind | null {
  const rule = typeof input === 'object' && input !== null ? (input as { rule?: unknown }).rule : null;
  if (typeof rule !== 'object' || rule === null) return null;
  const { kind, period } = rule as { kind?: unknown; period?: unknown };
  return kind === 'goal' && (periodKinds as readonly unknown[]).includes(period) ? (period as PeriodKind) : null;
}

/**
 * Whether the schedule already does what is declared. Where the rule's parts are written is left
 * out (a comment added above a rule is not a change, as it is not for the plan's hash); a memo
 * from before contentHash is compared by its full hash.
 */
function sameSchedule(memo: ScheduleMemo | null, declared: DeclaredSchedule): boolean {
  if (!memo) return false;
  return memo.hash === declared.hash || (memo.contentHash !== undefined && memo.contentHash === declared.contentHash);
}

function isMemo(value: unknown): value is ScheduleMemo {
  return typeof value === 'object' && value !== null && typeof (value as ScheduleMemo).hash === 'string';
}

async function listSalesflowScheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const summary of client.schedule.list()) {
    if (summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) ids.push(summary.scheduleId);
  }
  return ids;
}
