// Which sequence rules a stop event is routed by. A run keeps the rule version it started with
// (SPEC §10), so after an apply removed a sequence, renamed it or changed its `stop on`, the runs
// already going still follow their own rule and must still end on the events it stops on: a lead
// who replies must not get the rest of a nurture that was deleted from the rules last week. So
// stops are routed by the sequence rules of every applied plan (and the plan being run), each rule
// id with the `stop on` of each of its versions; where versions disagree, the run's own version
// (its memo) decides.
import type { Db } from '../data/db.js';
import { appliedPlanHead, appliedPlanHistoryReading } from '../data/plans.js';
import type { Plan } from '../plan/schema.js';

/** A sequence rule id about one kind of subject, with what each of its versions stops on. */
export interface StopRule {
  id: string;
  subject: string;
  /** Rule version → the event types that version stops on. */
  versions: Map<string, readonly string[]>;
}

interface SequenceStop {
  id: string;
  subject: string;
  version: string;
  stopOn: readonly string[];
}

/**
 * Whether a stop of `eventType` concerns the rule's runs: `all` when every version stops on it,
 * `none` when no version does, `some` when the run's own version decides (runStops).
 */
export function stopScope(rule: StopRule, eventType: string): 'all' | 'none' | 'some' {
  const stopping = [...rule.versions.values()].filter((stopOn) => stopOn.includes(eventType)).length;
  return stopping === 0 ? 'none' : stopping === rule.versions.size ? 'all' : 'some';
}

/**
 * Whether a run started with `version` stops on the event. A version no plan recorded (a run
 * started by a trial of rule paths, or one whose memo was lost) is stopped: a stop sends fewer
 * emails, never more.
 */
export function runStops(rule: StopRule, version: unknown, eventType: string): boolean {
  const stopOn = typeof version === 'string' ? rule.versions.get(version) : undefined;
  return stopOn ? stopOn.includes(eventType) : true;
}

/** The sequence rules of `plan` together with those of every applied plan, merged by id and subject. */
export async function stopRulesFor(db: Db, plan: Plan): Promise<StopRule[]> {
  const merged = new Map<string, StopRule>();
  const add = (stop: SequenceStop) => {
    const key = `${stop.id}\u0000${stop.subject}`;
    let rule = merged.get(key);
    if (!rule) merged.set(key, (rule = { id: stop.id, subject: stop.subject, versions: new Map() }));
    rule.versions.set(stop.version, stop.stopOn);
  };
  for (const stop of await appliedSequenceStops(db)) add(stop);
  for (const rule of plan.rules) {
    if (rule.kind === 'sequence') add({ id: rule.id, subject: rule.subject, version: rule.version, stopOn: rule.stopOn });
  }
  return [...merged.values()];
}

/**
 * The applied plans' sequence stops, read again only when another apply recorded a new version
 * (one indexed row per event otherwise, like serve's applied plan).
 */
const cache = new WeakMap<Db, { version: number; stops: Promise<SequenceStop[]> }>();

async function appliedSequenceStops(db: Db): Promise<SequenceStop[]> {
  const head = await appliedPlanHead(db);
  if (!head) return [];
  const held = cache.get(db);
  if (held && held.version === head.version) return held.stops;
  const stops = appliedPlanHistoryReading(db, Number.MAX_SAFE_INTEGER, sequenceStopsIn).then((versions) => versions.flatMap((v) => v.read));
  cache.set(db, { version: head.version, stops });
  stops.catch(() => {
    if (cache.get(db)?.stops === stops) cache.delete(db);
  });
  return stops;
}

/**
 * Read from the JSON as recorded, without the plan schema: an old plan (or one a newer salesflow
 * wrote) still names its sequences' ids, subjects, versions and stop events.
 */
function sequenceStopsIn(planJson: string): SequenceStop[] {
  const rules = (JSON.parse(planJson) as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((r: unknown) => {
    const rule = r as Record<string, unknown> | null;
    if (!rule || rule.kind !== 'sequence' || !Array.isArray(rule.stopOn)) return [];
    if (typeof rule.id !== 'string' || typeof rule.subject !== 'string' || typeof rule.version !== 'string') return [];
    return [{ id: rule.id, subject: rule.subject, version: rule.version, stopOn: rule.stopOn.filter((e): e is string => typeof e === 'string') }];
  });
}
