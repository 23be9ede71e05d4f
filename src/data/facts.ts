// Gathers what the statement function needs for an incentive rule, for many reps at once, from
// one grouped scan of the period's deals (metrics, spiff matches and left-out deals together).
import { metricsUsed } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';
import { statementWindow, type DateWindow, type StatementFacts } from '../payouts/facts.js';
import type { Db } from './db.js';
import { computeMetrics, type MetricQuery } from './metrics.js';
import { gatherCreditedFacts } from './credited.js';
import { ownDealsOutsideEmployment, withOwnOutside } from './employment.js';

export type GatheredFacts =
  | { ok: true; window: DateWindow; facts: Map<string, StatementFacts> }
  | { ok: false; message: string };

/** Metric names an incentive reads: its measure and every metric in its conditions. */
export function metricsOfRule(rule: IncentiveRule): string[] {
  const names = new Set<string>([rule.measure.metric]);
  for (const b of rule.bonuses) metricsUsed(b.when, names);
  for (const r of rule.rewards) metricsUsed(r.when, names);
  for (const s of rule.spiffs) metricsUsed(s.where, names);
  return [...names];
}

/** The metric query behind an incentive's statements in a window (every rep). */
export function metricQueryOf(rule: IncentiveRule, window: DateWindow): MetricQuery {
  return {
    window,
    currency: rule.currency,
    metrics: metricsOfRule(rule),
    definitions: rule.metrics,
    spiffs: rule.spiffs.map((s) => ({ id: s.id, where: s.where })),
  };
}

export async function gatherFacts(db: Db, rule: IncentiveRule, reps: RepRecord[], period: string): Promise<GatheredFacts> {
  const span = statementWindow(rule, period);
  if (!span.ok) return span;
  const { window } = span;
  const outside = await ownDealsOutsideEmployment(db, rule, window, reps);
  if (rule.credit || rule.convert) {
    const facts = await gatherCreditedFacts(db, rule, reps, window, metricsOfRule(rule));
    for (const [rep, deals] of outside) if (facts.has(rep)) facts.set(rep, withOwnOutside(facts.get(rep)!, deals));
    return { ok: true, window, facts };
  }
  const result = await computeMetrics(db, { ...metricQueryOf(rule, window), reps: reps.map((r) => r.id) });
  if (result.unknown.length) {
    // The checker resolves every metric name; an unknown one here is a plan bug.
    throw new Error(`incentive ${rule.id}: unknown metrics ${result.unknown.join(', ')}`);
  }
  const facts = new Map<string, StatementFacts>();
  for (const rep of reps) {
    const m = result.forRep(rep.id);
    facts.set(rep.id, withOwnOutside({ window, metrics: m.metrics, spiffDeals: m.spiffDeals, leftOut: m.leftOut }, outside.get(rep.id)));
  }
  return { ok: true, window, facts };
}
