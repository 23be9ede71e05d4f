// Choosing incentive rules by name or id on the command line, with "did you mean" on a typo.
import type { IncentiveRule, Plan } from '../plan/schema.js';

export type RuleSelection = { ok: true; rules: IncentiveRule[] } | { ok: false; message: string };

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = saved;
    }
  }
  return row[b.length];
}

/** The nearest candidate within a third of the name's length, if any. */
export function closestName(name: string, candidates: string[]): string | null {
  const lower = name.toLowerCase();
  let best: { name: string; d: number } | null = null;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (!best || d < best.d) best = { name: c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.name : null;
}

export function incentivesOf(plan: Plan): IncentiveRule[] {
  return plan.rules.filter((r): r is IncentiveRule => r.kind === 'incentive');
}

/** The rules named `name` (by name or id, case-insensitive). */
export function rulesNamed<R extends { name: string; id: string }>(rules: R[], name: string, trim = false): R[] {
  const wanted = (trim ? name.trim() : name).toLowerCase();
  return rules.filter((r) => r.name.toLowerCase() === wanted || r.id === wanted);
}

/** "no NOUN named ...; did you mean ...? (NOUNs: ...)" over the rules a name could have meant. */
export function noRuleNamed(name: string, noun: string, rules: { name: string; id: string }[]): string {
  const suggestion = closestName(name, rules.flatMap((r) => [r.name, r.id]));
  const known = rules.map((r) => `"${r.name}"`).join(', ');
  return `no ${noun} named "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''} (${noun}s: ${known})`;
}

/** All incentives, or the one named (by name or id, case-insensitive). */
export function selectIncentives(plan: Plan, name?: string): RuleSelection {
  const incentives = incentivesOf(plan);
  if (incentives.length === 0) return { ok: false, message: 'the rules define no incentive' };
  if (name === undefined) return { ok: true, rules: incentives };
  const found = rulesNamed(incentives, name);
  if (found.length) return { ok: true, rules: found };
  const [other] = rulesNamed(plan.rules, name);
  if (other) return { ok: false, message: `"${name}" is a ${other.kind}, not an incentive` };
  return { ok: false, message: noRuleNamed(name, 'incentive', incentives) };
}
