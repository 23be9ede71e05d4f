// The names a rule had before, read off the applied plans. An incentive renamed gets a new id, and
// its statements and ledger rows are kept per id, so `payouts run` of a period already run under
// the old name would compute every statement again, ask the approvers again and pay again. With
// the former ids, it finds those runs and leaves the rep alone. Renames are paired version by
// version as `history` pairs them (renames.ts: same kind, same content apart from the name).
import type { Db } from '../data/db.js';
import { appliedPlanHistoryReading } from '../data/plans.js';
import type { Plan } from '../plan/schema.js';
import { findRenames, type RuleSeen, rulesSeenIn } from './renames.js';

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
  const former = new Map<string, FormerName[]>();
  for (let i = 1; i < versions.length; i++) {
    const [before, after] = [versions[i - 1], versions[i]];
    const beforeIds = new Set(before.map((r) => r.id));
    const afterIds = new Set(after.map((r) => r.id));
    const renames = findRenames(before.filter((r) => !afterIds.has(r.id)), after.filter((r) => !beforeIds.has(r.id)));
    for (const { from, to } of renames) former.set(to.id, [...(former.get(from.id) ?? []), from]);
  }
  const current = new Set(plan.rules.map((r) => r.id));
  // A rule renamed back to a name it had: its own id is not a former one.
  return new Map([...former].filter(([id]) => current.has(id)).map(([id, names]) => [id, names.filter((n) => n.id !== id)]));
}
