// Rules renamed between two plans, paired: a removed rule with the added rule of the same kind whose
// content is the same apart from its name (a rule's id is a slug of its name, and the id keys its
// schedules, runs, statements and ledger rows). Below both the runtime (status, plan/apply, payouts
// run: src/runtime/renames.ts says what a rename does) and the activities (a goal's daily pass),
// which both need the pairing; former-names.ts reads it off the applied plans.
import { ruleBodyHash } from '../dsl/index.js';

/** A rule as seen in one plan: enough to pair it with its rename. */
export interface RuleSeen {
  id: string;
  name: string;
  kind: string;
  /** ruleBodyHash of the rule; null when unknown (a plan of another format). */
  body: string | null;
}

export interface Rename {
  kind: string;
  from: { id: string; name: string };
  to: { id: string; name: string };
}

/** The rules of a plan's JSON as stored (`rules` of an applied plan), each with its body hash. */
export function rulesSeenIn(recordedPlan: unknown): RuleSeen[] {
  const rules = (recordedPlan as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule: unknown) => {
    const { id, name, kind } = (rule ?? {}) as { id?: unknown; name?: unknown; kind?: unknown };
    return typeof id === 'string' && typeof name === 'string' && typeof kind === 'string'
      ? [{ id, name, kind, body: ruleBodyHash(rule) }]
      : [];
  });
}

/**
 * Each removed rule paired with the added rule of the same kind and the same body, when exactly one
 * added rule matches (two identical new rules: which one is the rename is anyone's guess, so neither).
 */
export function findRenames(removed: RuleSeen[], added: RuleSeen[]): Rename[] {
  const renames: Rename[] = [];
  const taken = new Set<string>();
  for (const old of removed) {
    if (old.body === null) continue;
    const candidates = added.filter((r) => r.kind === old.kind && r.body === old.body && !taken.has(r.id));
    const sameBodyRemoved = removed.filter((r) => r.kind === old.kind && r.body === old.body).length;
    if (candidates.length !== 1 || sameBodyRemoved !== 1) continue;
    taken.add(candidates[0].id);
    renames.push({ kind: old.kind, from: { id: old.id, name: old.name }, to: { id: candidates[0].id, name: candidates[0].name } });
  }
  return renames.sort((a, b) => a.to.name.localeCompare(b.to.name));
}
