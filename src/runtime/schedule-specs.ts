// The Temporal Schedules a plan implies (SPEC §8 plan/apply), computed purely from the plan:
//   sequence `every ...`      → salesflow:<rule>:sequence-tick        at the declared weekly times
//   goal `per <period>`       → salesflow:<rule>:goal-period-start    at 00:00 every day (a period's first
//                                                                     day starts it; the other days start
//                                                                     the runs of reps added since)
//   incentive `period <p>`    → salesflow:<rule>:incentive-period-end at 00:00 on the next period's first day
// incentives in the rule's time zone; sequence ticks and goal period starts when the declared time
// (or the period) first comes anywhere (EARLIEST_ZONE), each rep's run then waiting for that time
// (or its own local midnight) in the rep's own zone (SPEC §5).
// Each starts dispatchWorkflow with the rule object as it is now, so later edits never reach runs
// already started.
import { createHash } from 'node:crypto';
import type { CalendarSpec, DayOfWeek, Month, ScheduleOptions, ScheduleSpec } from '@temporalio/client';
import { parseDay, periodContaining, shiftPeriod, formatDay } from '../payouts/period.js';
import type { PeriodKind } from '../plan/catalog.js';
import type { Plan, Rule, WeeklySchedule } from '../plan/schema.js';
import type { DispatchInput } from '../workflows/api.js';
import { EARLIEST_ZONE } from '../workflows/calendar.js';

export const SCHEDULE_ID_PREFIX = 'salesflow:';
export const DISPATCH_WORKFLOW = 'dispatchWorkflow';

export type ScheduleKind = DispatchInput['action'];

export interface DeclaredSchedule {
  scheduleId: string;
  ruleId: string;
  ruleName: string;
  ruleVersion: string;
  kind: ScheduleKind;
  /** One line a person reads in `salesflow plan`. */
  description: string;
  /** Hash of everything the schedule does; stored in the action memo to compare on the next apply. */
  hash: string;
  /** `hash` leaving out where the rule's parts are written (`source`), as the rule's own version does. */
  contentHash: string;
  /**
   * Goal period starts: the period kind. Apply starts the period under way itself (with this rule)
   * when the goal is new or its period kind changed; the schedule covers the periods after it.
   */
  goalPeriod: PeriodKind | null;
  options: ScheduleOptions;
}

/** What apply stores in the schedule's action memo under this key. */
export interface ScheduleMemo {
  hash: string;
  /**
   * DeclaredSchedule.contentHash: a comment added above a rule moves its lines, not what the
   * schedule does, and apply leaves such a schedule alone. Absent in memos of earlier salesflow.
   */
  contentHash?: string;
  description: string;
  ruleName: string;
  ruleVersion: string;
}
export const MEMO_KEY = 'salesflow';

export function scheduleId(ruleId: string, kind: ScheduleKind): string {
  return `${SCHEDULE_ID_PREFIX}${ruleId}:${kind}`;
}

export function declaredSchedules(plan: Plan, taskQueue: string): DeclaredSchedule[] {
  const declared: DeclaredSchedule[] = [];
  for (const rule of plan.rules) {
    const timing = ruleTiming(rule);
    if (timing) declared.push(build(rule, timing, taskQueue));
  }
  return declared.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

interface Timing {
  kind: ScheduleKind;
  spec: ScheduleSpec;
  description: string;
  /** Period starts and ends must not be lost to an outage; a missed weekly tick is just late. */
  catchupWindow: string;
  overlap: 'SKIP' | 'BUFFER_ALL';
  /** Sequence ticks and goal period starts: the dispatch times each rep's run in the rep's zone. */
  inRepZones?: true;
}

function ruleTiming(rule: Rule): Timing | null {
  const tz = rule.timezone;
  switch (rule.kind) {
    case 'sequence':
      if (rule.trigger.kind !== 'schedule') return null;
      return {
        kind: 'sequence-tick',
        spec: { calendars: [weekly(rule.trigger.schedule)], timezone: EARLIEST_ZONE },
        description: `every ${describeWeekly(rule.trigger.schedule)} in each rep's time zone (reps without one: ${tz}): sequence "${rule.name}" for each matching rep`,
        inRepZones: true,
        catchupWindow: '1 hour',
        overlap: 'SKIP',
      };
    case 'goal':
      return {
        kind: 'goal-period-start',
        // Daily, not only on a period's first day: a rep imported (or moved into the goal's team)
        // mid-period has no run until a dispatch comes, and a quarter's would come 13 weeks late.
        // Each day's dispatch is for the period under way and starts only the reps without a
        // recorded run (data/goal-runs.ts; the run ids per (goal, rep, period) are the backstop),
        // and a new run catches up (docs/language.md).
        spec: { calendars: [DAILY_MIDNIGHT], timezone: EARLIEST_ZONE },
        description: `at the start of every ${rule.period} in each rep's time zone (reps without one: ${tz}), from 00:00 ${EARLIEST_ZONE}, ` +
          `and every day at 00:00 ${EARLIEST_ZONE} for matching reps without a run yet: goal "${rule.name}" for each matching rep`,
        inRepZones: true,
        catchupWindow: '7 days',
        overlap: 'BUFFER_ALL',
      };
    case 'incentive': {
      const { from, to } = rule.effective;
      const spec: ScheduleSpec = { calendars: [periodStart(rule.period)], timezone: tz };
      // From the day after `effective from` (its own midnight would close the period before it),
      // to just past the start of the period after `effective to` (which closes the last one).
      if (from) spec.startAt = utcDate(parseDay(from)! + 1);
      if (to) spec.endAt = utcDate(parseDay(shiftPeriod(periodContaining(rule.period, to), 1).start)! + 1);
      const effective = from || to ? `; effective ${from ?? '…'} to ${to ?? '…'}` : '';
      return {
        kind: 'incentive-period-end',
        spec,
        description: `at the end of every ${rule.period} (00:00 ${tz} the next day): statements for incentive "${rule.name}"${effective}`,
        catchupWindow: '7 days',
        overlap: 'BUFFER_ALL',
      };
    }
  }
}

function build(rule: Rule, timing: Timing, taskQueue: string): DeclaredSchedule {
  const id = scheduleId(rule.id, timing.kind);
  const input: DispatchInput = { rule, action: timing.kind, ...(timing.inRepZones ? { inRepZones: true } : {}) };
  const declared = {
    spec: timing.spec, taskQueue, workflowType: DISPATCH_WORKFLOW, args: [input],
    catchupWindow: timing.catchupWindow, overlap: timing.overlap,
  };
  const hash = createHash('sha256').update(canonicalJson(declared)).digest('hex').slice(0, 16);
  const contentHash = createHash('sha256').update(canonicalJson(declared, { withoutSources: true })).digest('hex').slice(0, 16);
  const memo: ScheduleMemo = { hash, contentHash, description: timing.description, ruleName: rule.name, ruleVersion: rule.version };
  return {
    scheduleId: id,
    ruleId: rule.id,
    ruleName: rule.name,
    ruleVersion: rule.version,
    kind: timing.kind,
    description: timing.description,
    hash,
    contentHash,
    goalPeriod: rule.kind === 'goal' ? rule.period : null,
    options: {
      scheduleId: id,
      spec: timing.spec,
      action: {
        type: 'startWorkflow',
        workflowType: DISPATCH_WORKFLOW,
        // Temporal appends the scheduled time, so each action gets its own run id.
        workflowId: `dispatch:${rule.id}:${timing.kind}`,
        taskQueue,
        args: [input],
        memo: { [MEMO_KEY]: memo },
      },
      // No triggerImmediately for a new goal: apply starts the period under way itself
      // (goal-period-start.ts), with an id per goal and period, as it must for a changed one.
      policies: { catchupWindow: timing.catchupWindow, overlap: timing.overlap },
    },
  };
}

const DAY_NAMES: Record<string, DayOfWeek> = {
  monday: 'MONDAY', tuesday: 'TUESDAY', wednesday: 'WEDNESDAY', thursday: 'THURSDAY',
  friday: 'FRIDAY', saturday: 'SATURDAY', sunday: 'SUNDAY',
};

function weekly(schedule: WeeklySchedule): CalendarSpec {
  const [hour, minute] = schedule.at.split(':').map(Number);
  return { dayOfWeek: schedule.days.map((d) => DAY_NAMES[d]), hour, minute, second: 0 };
}

function describeWeekly(schedule: WeeklySchedule): string {
  const all = schedule.days.length === 7;
  const weekdaysOnly = schedule.days.length === 5 && !schedule.days.some((d) => d === 'saturday' || d === 'sunday');
  const days = all ? 'day' : weekdaysOnly ? 'weekday' : schedule.days.join(', ');
  return `${days} at ${schedule.at}`;
}

const DAILY_MIDNIGHT: CalendarSpec = { hour: 0, minute: 0, second: 0 };

const QUARTER_MONTHS: Month[] = ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'];

function periodStart(kind: PeriodKind): CalendarSpec {
  const midnight = { hour: 0, minute: 0, second: 0 };
  switch (kind) {
    case 'week': return { ...midnight, dayOfWeek: 'MONDAY' };
    case 'month': return { ...midnight, dayOfMonth: 1 };
    case 'quarter': return { ...midnight, dayOfMonth: 1, month: QUARTER_MONTHS };
    case 'year': return { ...midnight, dayOfMonth: 1, month: 'JANUARY' };
  }
}

function utcDate(day: number): Date {
  return new Date(`${formatDay(day)}T00:00:00Z`);
}

/** A plan's `source` ({file, line}): where a rule, send or metric is written, not what it does. */
function isSourceRef(key: string, value: unknown): boolean {
  return key === 'source' && typeof value === 'object' && value !== null && 'file' in value && 'line' in value;
}

/**
 * JSON with object keys sorted, so the same declaration always hashes the same; `withoutSources`
 * leaves out every `source` position.
 */
export function canonicalJson(value: unknown, options: { withoutSources?: boolean } = {}): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (options.withoutSources && isSourceRef(key, v)) return undefined;
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
