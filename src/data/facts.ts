// Gathers what the statement function needs for an incentive rule, for many reps at once: one
// grouped metrics scan, plus the left-out deals of the (usually few) reps that have any.
import { metricsUsed } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';
import { statementWindow, type DateWindow, type LeftOutDeal, type StatementFacts } from '../payouts/facts.js';
import type { Db } from './db.js';
import { computeMetrics } from './metrics.js';

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

export function gatherFacts(db: Db, rule: IncentiveRule, reps: RepRecord[], period: string): GatheredFacts {
  const span = statementWindow(rule, period);
  if (!span.ok) return span;
  const { window } = span;
  const result = computeMetrics(db, {
    window,
    currency: rule.currency,
    metrics: metricsOfRule(rule),
    definitions: rule.metrics,
    spiffs: rule.spiffs.map((s) => ({ id: s.id, where: s.where })),
    reps: reps.map((r) => r.id),
  });
  if (result.unknown.length) {
    // The checker resolves every metric name; an unknown one here is a plan bug.
    throw new Error(`incentive ${rule.id}: unknown metrics ${result.unknown.join(', ')}`);
  }
  const perRep = reps.map((rep) => ({ rep, metrics: result.forRep(rep.id) }));
  const withLeftOut = perRep.filter((p) => p.metrics.leftOutCount > 0).map((p) => p.rep.id);
  const leftOut = leftOutDeals(db, window, rule.currency, withLeftOut);
  const facts = new Map<string, StatementFacts>();
  for (const { rep, metrics } of perRep) {
    facts.set(rep.id, { window, metrics: metrics.metrics, spiffDeals: metrics.spiffDeals, leftOut: leftOut.get(rep.id) ?? [] });
  }
  return { ok: true, window, facts };
}

function leftOutDeals(db: Db, window: DateWindow, currency: string, reps: string[]): Map<string, LeftOutDeal[]> {
  const out = new Map<string, LeftOutDeal[]>();
  if (reps.length === 0) return out;
  const wanted = new Set(reps);
  const rows = db
    .prepare(
      `SELECT rep, id, amount, currency, stage FROM deals
       WHERE closed_at BETWEEN ? AND ? AND currency != ? ORDER BY rep, closed_at, id`,
    )
    .all(window.start, window.end, currency) as (LeftOutDeal & { rep: string })[];
  for (const { rep, ...deal } of rows) {
    if (!wanted.has(rep)) continue;
    const list = out.get(rep) ?? [];
    list.push(deal);
    out.set(rep, list);
  }
  return out;
}
