// `salesflow plan` / `apply` (SPEC §8): compare the schedules the rules declare with the ones in
// Temporal, like terraform. Each declared schedule is read by id (strongly consistent); the list
// (eventually consistent visibility) is only used to find `salesflow:` schedules no longer declared,
// and each of those is read again before it counts as present. Apply touches schedules only:
// workflows already running keep the rule object they were started with.
import { type Client, ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import type { Plan } from '../plan/schema.js';
import {
  type DeclaredSchedule, declaredSchedules, MEMO_KEY, SCHEDULE_ID_PREFIX, type ScheduleMemo,
} from './schedule-specs.js';

export interface ExistingSchedule {
  scheduleId: string;
  /** What apply stored; null for a schedule salesflow did not make (or made before memos). */
  memo: ScheduleMemo | null;
  paused: boolean;
}

export interface ScheduleChanges {
  added: DeclaredSchedule[];
  changed: { declared: DeclaredSchedule; existing: ExistingSchedule }[];
  unchanged: DeclaredSchedule[];
  removed: ExistingSchedule[];
}

export function hasChanges(changes: ScheduleChanges): boolean {
  return changes.added.length + changes.changed.length + changes.removed.length > 0;
}

export async function planSchedules(client: Client, plan: Plan, taskQueue: string): Promise<ScheduleChanges> {
  const changes: ScheduleChanges = { added: [], changed: [], unchanged: [], removed: [] };
  const declared = declaredSchedules(plan, taskQueue);
  for (const schedule of declared) {
    const existing = await describe(client, schedule.scheduleId);
    if (!existing) changes.added.push(schedule);
    else if (existing.memo?.hash === schedule.hash) changes.unchanged.push(schedule);
    else changes.changed.push({ declared: schedule, existing });
  }
  const declaredIds = new Set(declared.map((s) => s.scheduleId));
  for (const id of await listSalesflowScheduleIds(client)) {
    if (declaredIds.has(id)) continue;
    const existing = await describe(client, id);
    if (existing) changes.removed.push(existing);
  }
  changes.removed.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  return changes;
}

/** Makes exactly the planned changes. A paused schedule stays paused when it is updated. */
export async function applySchedules(client: Client, changes: ScheduleChanges): Promise<void> {
  for (const schedule of changes.added) {
    await client.schedule.create(schedule.options);
  }
  for (const { declared } of changes.changed) {
    const { scheduleId: _id, ...options } = declared.options;
    await client.schedule.getHandle(declared.scheduleId).update((previous) => ({
      ...options,
      state: { paused: previous.state.paused, note: previous.state.note },
    }));
  }
  for (const existing of changes.removed) {
    try {
      await client.schedule.getHandle(existing.scheduleId).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
}

async function describe(client: Client, scheduleId: string): Promise<ExistingSchedule | null> {
  let description: ScheduleDescription;
  try {
    description = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
  const memo = description.action.type === 'startWorkflow' ? description.action.memo?.[MEMO_KEY] : undefined;
  return { scheduleId, memo: isMemo(memo) ? memo : null, paused: description.state.paused };
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
