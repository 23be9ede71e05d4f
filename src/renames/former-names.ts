// The names a rule had before, read off the applied plans. An incentive renamed gets a new id, and
// its statements and ledger rows are kept per id, so `payouts run` of a period already run under
// the old name would compute every statement again, ask the approvers again and pay again. With
// the former ids, it finds those runs and leaves the rep alone. Renames are paired version by
// version as `history` pairs them (pairing.ts: same kind, same content apart from the name).
// A goal's daily pass uses them too: a rep whose run of the period under way began under the
// goal's old name gets no second run under the new one.
import type { Db } from '../data/db.js';
import { appliedPlanHead, appliedPlanHistoryReading } from '../data/plans.js';
import type { Plan } from '../plan/schema.js';
import { findRenames, type RuleSeen, rulesSeenIn } from './pairing.js';

export interface FormerName { id: string; name: string }

/** Versions read at most: far more than any installation applies. */
const VERSIONS_READ = 100_000;

/**
 * By rule id of `plan`: the ids and names the rule had in earlier applied versions, oldest first.
 * `plan` counts as the newest version (a trial of rule paths may rename a rule not yet applied).
 */
export async function formerNames(db: Db, plan: Plan): Promise<Map<string, FormerName[]>> {
  const oldestFirst = (await appliedPlanHistoryReading(db, VERSIONS_READ, (json) => rulesSeenIn(JSON.parse(json)))).reverse();
  const versions: RuleSeen[][] = oldestFirst.map((v) => v.read);
  if (oldestFirst.at(-1)?.hash !== plan.hash) versions.push(rulesSeenIn(plan));
  return formerNamesIn(versions, new Set(plan.rules.map((r) => r.id)));
}

/** Per data source, the former names as of its newest applied plan (`version:hash`). */
const appliedCache = new WeakMap<Db, { key: string; former: Map<string, FormerName[]> }>();

/**
 * The former ids of `ruleId` as the applied plans record them (the newest applied version is the
 * current one). Read once per applied plan a process sees: a goal's daily pass asks for every
 * page of reps. Used so that a goal renamed mid-period does not start a second run for a rep whose
 * run of the period under way began under its old name.
 */
export async function appliedFormerIds(db: Db, ruleId: string): Promise<string[]> {
  const head = await appliedPlanHead(db);
  if (!head) return [];
  const key = `${head.version}:${head.hash}`;
  let cached = appliedCache.get(db);
  if (cached?.key !== key) {
    const oldestFirst = (await appliedPlanHistoryReading(db, VERSIONS_READ, (json) => rulesSeenIn(JSON.parse(json)))).reverse();
    const versions = oldestFirst.map((v) => v.read);
    // Only the newest plan's answer is ever asked for again.
    cached = { key, former: formerNamesIn(versions, new Set((versions.at(-1) ?? []).map((r) => r.id))) };
    appliedCache.set(db, cached);
  }
  return (cached.former.get(ruleId) ?? []).map((n) => n.id);
}

function formerNamesIn(versions: RuleSeen[][], current: Set<string>): Map<string, FormerName[]> {
  const former = new Map<string, FormerName[]>();
  for (let i = 1; i < versions.length; i++) {
    const [before, after] = [versions[i - 1], versions[i]];
    const beforeIds = new Set(before.map((r) => r.id));
    const afterIds = new Set(after.map((r) => r.id));
    const renames = findRenames(before.filter((r) => !afterIds.has(r.id)), after.filter((r) => !beforeIds.has(r.id)));
    for (const { from, to } of renames) former.set(to.id, [...(former.get(from.id) ?? []), from]);
  }
  // A rule renamed back to a name it had: its own id is not a former one.
  return new Map([...former].filter(([id]) => current.has(id)).map(([id, names]) => [id, names.filter((n) => n.id !== id)]));
}
