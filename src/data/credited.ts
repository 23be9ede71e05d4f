// Statement facts of rules with `credit` or `convert` (SPEC "incentive, in depth"): every deal
// of the window is credited to its reps — 100% to `deal.rep`, or by its shares, or to the
// managers above its rep — and converted at the rate effective on its `closed_at`, exactly
// (amount × share ÷ 100 × rate on BigInt, never rounded). Metrics and spiffs then read credited
// amounts, and each rep's won credited deals are kept as facts (CreditedDeal) that the statement
// lists and a later correction (a clawback) can read back. Rules without either keep the grouped
// SQL scan of metrics.ts.
import { Decimal } from '../money/index.js';
import { addFixed, cmpFixed, mulFixed, parseFixed, plainFixed, FIXED_ZERO, type Fixed } from '../money/fixed.js';
import { holds } from '../plan/evaluate.js';
import type { DealRecord, RepRecord } from '../plan/records.js';
import type { IncentiveRule, MetricDef } from '../plan/schema.js';
import type { CreditedDeal, DateWindow, LeftOutDeal, MetricFact, StatementFacts } from '../payouts/facts.js';
import { creditsOfDeals, type CreditShare } from './credits.js';
import type { Db } from './db.js';
import { dealColumns } from './deals.js';
import { RateTable } from './rates.js';
import { repColumns } from './reps.js';

/** One credit of a deal: to whom, how much of it, and why. */
interface Credit { rep: string; share: string; type: CreditedDeal['type'] }

interface MetricAcc { sum: Fixed; n: number; min: Fixed | null; max: Fixed | null }

interface RepAcc {
  revenue: Fixed;
  newRevenue: Fixed;
  wonCount: number;
  lostCount: number;
  pipeline: Fixed;
  custom: Map<string, MetricAcc>;
  spiffDeals: Record<string, string[]>;
  leftOut: LeftOutDeal[];
  credited: CreditedDeal[];
}

const HUNDRED_SHARE = '100';

function newAcc(): RepAcc {
  return {
    revenue: FIXED_ZERO, newRevenue: FIXED_ZERO, wonCount: 0, lostCount: 0, pipeline: FIXED_ZERO,
    custom: new Map(), spiffDeals: {}, leftOut: [], credited: [],
  };
}

/** Who manages whom: rep ids by lower-cased email, and each rep's manager email. */
class Chain {
  private readonly byEmail = new Map<string, string[]>();
  private readonly managerOf = new Map<string, string | null>();
  constructor(reps: { id: string; email: string; manager: string | null }[]) {
    for (const r of reps) {
      const key = r.email.toLowerCase();
      const ids = this.byEmail.get(key);
      if (ids) ids.push(r.id); else this.byEmail.set(key, [r.id]);
      this.managerOf.set(r.id, r.manager ? r.manager.toLowerCase() : null);
    }
  }

  /** The reps above `rep`: its manager(s), or every level up the chain (a cycle stops the walk). */
  above(rep: string, allLevels: boolean): string[] {
    const found: string[] = [];
    const seen = new Set<string>([rep]);
    let level = [rep];
    while (level.length) {
      const next: string[] = [];
      for (const id of level) {
        const email = this.managerOf.get(id);
        for (const manager of (email && this.byEmail.get(email)) || []) {
          if (seen.has(manager)) continue;
          seen.add(manager);
          found.push(manager);
          next.push(manager);
        }
      }
      if (!allLevels) break;
      level = next;
    }
    return found;
  }

  hasReports(rep: RepRecord): boolean {
    const email = rep.email?.toLowerCase();
    for (const manager of this.managerOf.values()) if (manager === email) return true;
    return false;
  }
}

function creditsOf(rule: IncentiveRule, deal: DealRecord, shares: CreditShare[] | undefined, chain: Chain | null): Credit[] {
  const own: Credit = { rep: deal.rep, share: HUNDRED_SHARE, type: 'own' };
  switch (rule.credit) {
    case undefined: return [own];
    case 'team':
    case 'team_all_levels':
      return chain!.above(deal.rep, rule.credit === 'team_all_levels').map((rep) => ({ rep, share: HUNDRED_SHARE, type: 'team' }));
    default: {
      const revenue = (shares ?? []).filter((s) => s.type === 'revenue');
      const overlay = (shares ?? []).filter((s) => s.type === 'overlay');
      const split = revenue.length ? revenue.map((s): Credit => ({ rep: s.rep, share: s.share, type: 'revenue' })) : [own];
      const over = overlay.map((s): Credit => ({ rep: s.rep, share: s.share, type: 'overlay' }));
      return rule.credit === 'splits' ? split : rule.credit === 'overlay' ? over : [...split, ...over];
    }
  }
}

const HUNDRED: Fixed = { units: 100n, scale: 0 };

/** amount × rate × share ÷ 100, exactly (no rounding: lines round once, later). */
export function creditedAmount(amount: Fixed, share: Fixed, rate: Fixed | null): Fixed {
  const converted = rate ? mulFixed(amount, rate) : amount;
  if (cmpFixed(share, HUNDRED) === 0) return converted;
  const p = mulFixed(converted, share);
  return { units: p.units, scale: p.scale + 2 };
}

const moneyFact = (f: Fixed, currency: string): MetricFact => ({ type: 'money', amount: plainFixed(f), currency });

function metricFact(name: string, def: MetricDef | undefined, acc: RepAcc, currency: string): MetricFact {
  if (def) {
    const a = acc.custom.get(name);
    if (!a || a.n === 0) {
      if (def.aggregate === 'count') return { type: 'number', value: '0' };
      if (def.aggregate === 'sum') return def.type === 'money' ? moneyFact(FIXED_ZERO, currency) : { type: 'number', value: '0' };
      return { type: 'null' };
    }
    if (def.aggregate === 'count') return { type: 'number', value: String(a.n) };
    const value = def.aggregate === 'sum' ? plainFixed(a.sum)
      : def.aggregate === 'min' ? plainFixed(a.min!)
      : def.aggregate === 'max' ? plainFixed(a.max!)
      : new Decimal(plainFixed(a.sum)).div(a.n).toFixed();
    return def.type === 'money' ? { type: 'money', amount: value, currency } : { type: 'number', value };
  }
  switch (name) {
    case 'revenue': return moneyFact(acc.revenue, currency);
    case 'new_revenue': return moneyFact(acc.newRevenue, currency);
    case 'deals_won': return { type: 'number', value: String(acc.wonCount) };
    case 'win_rate': {
      const decided = acc.wonCount + acc.lostCount;
      return decided === 0 ? { type: 'null' } : { type: 'percent', value: new Decimal(acc.wonCount).times(100).div(decided).toFixed() };
    }
    case 'avg_deal_size':
      return acc.wonCount === 0 ? { type: 'null' } : { type: 'money', amount: new Decimal(plainFixed(acc.revenue)).div(acc.wonCount).toFixed(), currency };
    case 'pipeline': return moneyFact(acc.pipeline, currency);
    default: throw new Error(`credited facts: unknown metric ${name}`);
  }
}

/**
 * Facts of every rep in `reps` for a rule with `credit` or `convert`, from the deals of the
 * window (and open or undated deals when a metric reads them).
 */
export function gatherCreditedFacts(db: Db, rule: IncentiveRule, reps: RepRecord[], window: DateWindow, metrics: string[]): Map<string, StatementFacts> {
  const currency = rule.currency;
  const wanted = new Map<string, RepAcc>(reps.map((r) => [r.id, newAcc()]));
  const custom = metrics.filter((n) => rule.metrics[n] !== undefined);
  const scanOpen = metrics.includes('pipeline');
  const scanUndated = custom.length > 0;
  const shares = rule.credit && rule.credit !== 'team' && rule.credit !== 'team_all_levels' ? creditsOfDeals(db, window) : new Map<string, CreditShare[]>();
  const rates = rule.convert ? RateTable.into(db, currency) : null;
  const team = rule.credit === 'team' || rule.credit === 'team_all_levels';
  const chain = team
    ? new Chain(db.prepare('SELECT id, email, manager FROM reps').all() as { id: string; email: string; manager: string | null }[])
    : null;
  const needsRep = custom.some((n) => rule.metrics[n].where !== null) || rule.spiffs.some((s) => s.where !== null);

  const scopes = ['d.closed_at BETWEEN @start AND @end'];
  if (scanOpen) scopes.push(`d.stage = 'open'`);
  if (scanUndated) scopes.push('d.closed_at IS NULL');
  const rows = db.prepare(`SELECT ${dealColumns.map((c) => `d.${c}`).join(', ')}${needsRep ? `, ${repColumns.map((c) => `r.${c} AS rep_${c}`).join(', ')}` : ''}
    FROM deals d${needsRep ? ' LEFT JOIN reps r ON r.id = d.rep' : ''} WHERE ${scopes.join(' OR ')}`)
    .iterate({ start: window.start, end: window.end }) as Iterable<Record<string, string | null>>;

  for (const row of rows) {
    const deal = row as unknown as DealRecord;
    const inWindow = deal.closed_at !== null && deal.closed_at >= window.start && deal.closed_at <= window.end;
    const credits = creditsOf(rule, deal, shares.get(deal.id), chain);
    if (!credits.some((c) => wanted.has(c.rep))) continue;

    // The deal in the rule's currency: as it is, converted, or left out.
    const amount = parseFixed(deal.amount)!;
    let rate: { rate: string; from: string } | null = null;
    let leftOut: LeftOutDeal | null = null;
    if (deal.currency !== currency) {
      const on = deal.closed_at ?? window.end;
      const effective = rates?.on(deal.currency, on) ?? null;
      if (effective) rate = { rate: effective.rate, from: effective.from };
      else leftOut = { id: deal.id, amount: deal.amount, currency: deal.currency, stage: deal.stage, ...(rates ? { noRateOn: on } : {}) };
    }
    const rateFixed = rate ? parseFixed(rate.rate)! : null;
    const converted = rateFixed ? mulFixed(amount, rateFixed) : amount;
    const evalDeal: DealRecord = rate ? { ...deal, amount: plainFixed(converted), currency } : deal;
    const owner = needsRep && row.rep_id !== null
      ? Object.fromEntries(repColumns.map((c) => [c, row[`rep_${c}`]])) as unknown as RepRecord
      : undefined;

    for (const credit of credits) {
      const acc = wanted.get(credit.rep);
      if (!acc) continue;
      if (leftOut) {
        if (inWindow) acc.leftOut.push(leftOut);
        continue;
      }
      const credited = creditedAmount(amount, parseFixed(credit.share)!, rateFixed);
      if (inWindow && deal.stage === 'won') {
        acc.revenue = addFixed(acc.revenue, credited);
        if (deal.type === 'new') acc.newRevenue = addFixed(acc.newRevenue, credited);
        acc.wonCount++;
        acc.credited.push({
          deal: deal.id, type: credit.type, share: credit.share, closedAt: deal.closed_at!, amount: deal.amount, currency: deal.currency,
          ...(rate ? { conversion: rate } : {}), credited: plainFixed(credited),
        });
        for (const spiff of rule.spiffs) {
          if (!holds(spiff.where, { deal: evalDeal, rep: owner })) continue;
          const ids = (acc.spiffDeals[spiff.id] ??= []);
          if (!ids.includes(deal.id)) ids.push(deal.id);
        }
      } else if (inWindow && deal.stage === 'lost') {
        acc.lostCount++;
      }
      if (deal.stage === 'open') acc.pipeline = addFixed(acc.pipeline, credited);
      for (const name of custom) {
        if (!inWindow && deal.closed_at !== null) continue;
        const def = rule.metrics[name];
        if (!holds(def.where, { deal: evalDeal, rep: owner })) continue;
        const a = acc.custom.get(name) ?? { sum: FIXED_ZERO, n: 0, min: null, max: null };
        a.sum = addFixed(a.sum, credited);
        a.n++;
        if (a.min === null || cmpFixed(credited, a.min) < 0) a.min = credited;
        if (a.max === null || cmpFixed(credited, a.max) > 0) a.max = credited;
        acc.custom.set(name, a);
      }
    }
  }

  const facts = new Map<string, StatementFacts>();
  for (const rep of reps) {
    const acc = wanted.get(rep.id)!;
    const values: Record<string, MetricFact> = {};
    for (const name of metrics) values[name] = metricFact(name, rule.metrics[name], acc, currency);
    for (const spiff of rule.spiffs) (acc.spiffDeals[spiff.id] ??= []).sort();
    acc.credited.sort((a, b) => (a.deal < b.deal ? -1 : a.deal > b.deal ? 1 : a.type < b.type ? -1 : 1));
    acc.leftOut.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const notes = chain && !chain.hasReports(rep)
      ? [`${rep.id} (${rep.email ?? 'no email'}) has no reports: \`credit ${rule.credit === 'team' ? 'team' : 'team all levels'}\` credits no deals`]
      : [];
    facts.set(rep.id, {
      window, metrics: values, spiffDeals: acc.spiffDeals, leftOut: acc.leftOut, credited: acc.credited,
      ...(notes.length ? { notes } : {}),
    });
  }
  return facts;
}
