// Statement facts of rules with `credit` or `convert` (SPEC "incentive, in depth"): every deal
// of the window is credited to its reps — 100% to `deal.rep`, or by its shares, or to the
// managers above its rep — and converted at the rate effective on its `closed_at`, exactly
// (amount × share ÷ 100 × rate on BigInt, never rounded). Metrics and spiffs then read credited
// amounts, and each rep's won credited deals are kept as facts (CreditedDeal) that the statement
// lists and a later correction (a clawback) can read back. Rules without either keep the grouped
// SQL scan of metrics.ts.
import { sql } from 'kysely';
import { Decimal } from '../money/index.js';
import { addFixed, cmpFixed, mulFixed, parseFixed, plainFixed, FIXED_ZERO, type Fixed } from '../money/fixed.js';
import { holds } from '../plan/evaluate.js';
import type { DealRecord, RepRecord } from '../plan/records.js';
import type { Expr, IncentiveRule, MetricDef } from '../plan/schema.js';
import { ExactMoneyFact, ExactNumberFact, type CreditedDeal, type DateWindow, type LeftOutDeal, type MetricFact, type StatementFacts } from '../payouts/facts.js';
import type { CreditShare, CreditType } from './credits.js';
import { openDatabase, type Db } from './db.js';
import { chr, groupConcat, streamRows } from './dialect.js';
import { dealColumns } from './deals.js';
import { RateTable } from './rates.js';
import { repColumns } from './reps.js';
import { conditionToSql } from './sql-condition.js';
import { compareBinary } from './text-order.js';
import { emailKey, optionalEmailKey } from './email-key.js';
import { microsFixed, numberMicrosText } from './micros.js';
import { isSumOverflow, joinSplitSum, resumeOnOverflow, sumTextSql } from './wide-sums.js';

type Cell = string | number | null;

/** The credited scans join deals with their credit shares: planned for all rows (see StreamOptions). */
const ALL_ROWS = { planForAllRows: true } as const;

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** One credit of a deal: to whom, how much of it, and why. */
interface Credit { rep: string; share: string; type: CreditedDeal['type'] }

// Money below 2^53 micros adds up exactly in a JS number; past it, sums move to BigInt.
const SAFE = 2 ** 52;

/** Exact micros sum kept in a number while it is safe, with the overflow in a BigInt. */
class MicrosSum {
  small = 0;
  big = 0n;
  add(micros: number): void {
    this.small += micros;
    if (this.small > SAFE || this.small < -SAFE) { this.big += BigInt(this.small); this.small = 0; }
  }
  /** A sum SQL made, as integer text: a number while it is exact (at most 15 digits), else BigInt. */
  addText(micros: string): void {
    const digits = micros.charCodeAt(0) === 45 ? micros.length - 1 : micros.length;
    if (digits <= 15) this.add(Number(micros)); else this.big += BigInt(micros);
  }
  fixed(extra: Fixed): Fixed {
    return addFixed({ units: this.big + BigInt(this.small), scale: 6 }, extra);
  }
  /**
   * The sum plus `extra` as plain decimal text (plainFixed's form, "1234.5"). Nearly every rep's sum
   * is whole deals' micros below 2^53 with nothing else: written from the number, without BigInt.
   */
  text(extra: Fixed): string {
    return this.big === 0n && extra.units === 0n ? numberMicrosText(this.small) : plainFixed(this.fixed(extra));
  }
  /** The sum plus `extra` as a money fact, with its exact value beside the text when that is cheap (see ExactMoneyFact). */
  fact(extra: Fixed, currency: string): MetricFact {
    if (this.big !== 0n || extra.units !== 0n) return { type: 'money', amount: plainFixed(this.fixed(extra)), currency };
    return new ExactMoneyFact(numberMicrosText(this.small), currency, microsFixed(this.small));
  }
}

interface MetricAcc { sum: Fixed; n: number; min: Fixed | null; max: Fixed | null }

interface RepAcc {
  /** Won revenue: whole own deals as integer micros, everything else exact; their sum is the fact (MicrosSum.text). */
  revenueMicros: MicrosSum;
  newMicros: MicrosSum;
  revenue: Fixed;
  newRevenue: Fixed;
  wonCount: number;
  lostCount: number;
  pipeline: Fixed;
  /** Custom metrics' sums, made for the first deal one counts (most rules define none). */
  custom: Map<string, MetricAcc> | null;
  spiffDeals: Record<string, string[]>;
  leftOut: LeftOutDeal[];
  credited: CreditedDeal[];
}

const HUNDRED_SHARE = '100';

/**
 * Why a deal in `currency` has no rate on `on`: the date, and the pair's first `from` when it has
 * rates that all start later (the warning then names that date instead of suggesting the inverse pair).
 */
function noRate(rates: RateTable, currency: string, on: string): { noRateOn: string; firstRateFrom?: string } {
  const first = rates.firstFrom(currency);
  return first !== null && first > on ? { noRateOn: on, firstRateFrom: first } : { noRateOn: on };
}

function newAcc(): RepAcc {
  return {
    revenueMicros: new MicrosSum(), newMicros: new MicrosSum(),
    revenue: FIXED_ZERO, newRevenue: FIXED_ZERO, wonCount: 0, lostCount: 0, pipeline: FIXED_ZERO,
    custom: null, spiffDeals: {}, leftOut: [], credited: [],
  };
}

/** Who manages whom: rep ids by emailKey, and the emailKey of each rep's manager. */
class Chain {
  private readonly byEmail = new Map<string, string[]>();
  private readonly managerOf = new Map<string, string | null>();
  constructor(reps: { id: string; email: string; manager: string | null }[]) {
    for (const r of reps) {
      const key = emailKey(r.email);
      const ids = this.byEmail.get(key);
      if (ids) ids.push(r.id); else this.byEmail.set(key, [r.id]);
      this.managerOf.set(r.id, optionalEmailKey(r.manager));
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

  /**
   * The manager chain from `rep` back to itself (`[c1, c2, c1]`) when it loops, else null. A loop
   * is a data error the statement warns about: `credit team all levels` walks it once and stops,
   * and a rep is never its own report, so its own deals never count as its team's.
   */
  loop(rep: string): string[] | null {
    const path = [rep];
    for (let current = rep; ;) {
      const email = this.managerOf.get(current);
      const next = email ? this.byEmail.get(email)?.[0] : undefined;
      if (next === undefined) return null;
      if (next === rep) return [...path, rep];
      if (path.includes(next)) return null;
      path.push(next);
      current = next;
    }
  }

  hasReports(rep: RepRecord): boolean {
    const email = rep.email ? emailKey(rep.email) : undefined;
    for (const manager of this.managerOf.values()) if (manager === email) return true;
    return false;
  }
}

function creditsOf(rule: IncentiveRule, owner: string, shares: CreditShare[], chain: Chain | null): Credit[] {
  const own: Credit = { rep: owner, share: HUNDRED_SHARE, type: 'own' };
  switch (rule.credit) {
    case undefined: return [own];
    case 'team':
    case 'team_all_levels':
      return chain!.above(owner, rule.credit === 'team_all_levels').map((rep) => ({ rep, share: HUNDRED_SHARE, type: 'team' }));
    default: {
      const revenue = shares.filter((s) => s.type === 'revenue');
      const overlay = shares.filter((s) => s.type === 'overlay');
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

/**
 * Integer micros as written by SQL, as a number when exact (at most 15 digits: below 2^52, as the
 * row scan's column), else null: such a deal takes the exact path from its amount text.
 */
function safeMicros(text: string): number | null {
  const digits = text.charCodeAt(0) === 45 ? text.length - 1 : text.length;
  return text === '' || digits > 15 ? null : Number(text);
}

/** A deal's amount exactly: from its integer micros when the row has them, else from its text. */
function dealAmount(row: Cell[]): Fixed {
  return row[3] !== null ? { units: BigInt(row[3] as number), scale: 6 } : parseFixed(row[2] as string)!;
}

// Shares and rates are a handful of distinct texts ("50", "60", "1.0834"): each parsed once.
const parsed = new Map<string, Fixed>();
function fixedOf(text: string): Fixed {
  let f = parsed.get(text);
  if (f === undefined) {
    f = parseFixed(text)!;
    if (parsed.size < 10_000) parsed.set(text, f);
  }
  return f;
}

const moneyFact = (f: Fixed, currency: string): MetricFact => ({ type: 'money', amount: plainFixed(f), currency });

function metricFact(name: string, def: MetricDef | undefined, acc: RepAcc, currency: string): MetricFact {
  if (def) {
    const a = acc.custom?.get(name);
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
    case 'revenue': return acc.revenueMicros.fact(acc.revenue, currency);
    case 'new_revenue': return acc.newMicros.fact(acc.newRevenue, currency);
    case 'deals_won': return new ExactNumberFact(String(acc.wonCount), { units: BigInt(acc.wonCount), scale: 0 });
    case 'win_rate': {
      const decided = acc.wonCount + acc.lostCount;
      return decided === 0 ? { type: 'null' } : { type: 'percent', value: new Decimal(acc.wonCount).times(100).div(decided).toFixed() };
    }
    case 'avg_deal_size':
      return acc.wonCount === 0 ? { type: 'null' } : { type: 'money', amount: new Decimal(acc.revenueMicros.text(acc.revenue)).div(acc.wonCount).toFixed(), currency };
    case 'pipeline': return moneyFact(acc.pipeline, currency);
    default: throw new Error(`credited facts: unknown metric ${name}`);
  }
}

/**
 * A grouped scan's detail texts (records joined by U+001E, fields by U+001F) read one record at a
 * time into `fields`: no string or array per record (split made both, for some 70k details per
 * simulate of 100k reps). `next()` is false at the end, and also, with `aligned` false, at a
 * record without exactly `width` fields (a field holding a separator character).
 */
class DetailReader {
  readonly fields: string[];
  aligned = true;
  private at = 0;
  constructor(private readonly text: string, private readonly width: number) {
    this.fields = new Array<string>(width);
  }

  next(): boolean {
    const { text, width, fields } = this;
    if (this.at > text.length) return false;
    let end = text.indexOf('\x1e', this.at);
    if (end === -1) end = text.length;
    let k = 0;
    for (let from = this.at; ;) {
      let sep = text.indexOf('\x1f', from);
      if (sep === -1 || sep > end) sep = end;
      if (k === width) { this.aligned = false; return false; }
      fields[k++] = text.slice(from, sep);
      if (sep === end) break;
      from = sep + 1;
    }
    this.at = end + 1;
    if (k !== width) { this.aligned = false; return false; }
    return true;
  }
}

/** `value` with every object and array in it frozen: shared facts no statement may change. */
function deepFrozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFrozen(inner);
    Object.freeze(value);
  }
  return value;
}

/** Whether an expression reads a field of `entity` (any field, or the one named). */
function readsField(expr: Expr | null, entity: 'deal' | 'rep', field?: string): boolean {
  if (!expr) return false;
  const reads = (e: Expr): boolean => readsField(e, entity, field);
  switch (expr.kind) {
    case 'field': return expr.entity === entity && (field === undefined || expr.field === field);
    case 'binary': return reads(expr.left) || reads(expr.right);
    case 'not': case 'neg': return reads(expr.operand);
    case 'in': return reads(expr.operand) || expr.items.some(reads);
    default: return false;
  }
}

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);

/**
 * `where` for a converted deal, whose record carries its amount in the rule's currency: a
 * comparison of `deal.amount` with money in the deal's own currency (`deal.amount >= 40000 EUR`
 * for a EUR deal in a USD rule) compares the deal's own amount, as it would without `convert`,
 * instead of never matching the converted USD amount. Comparisons with the rule's currency keep
 * the converted amount. The same expression when nothing changes.
 */
function withOwnAmount(expr: Expr, dealCurrency: string, ownAmount: string): Expr {
  const own: Expr = { kind: 'literal', type: 'money', currency: dealCurrency, value: { type: 'money', value: { amount: ownAmount, currency: dealCurrency } } };
  const isAmount = (e: Expr) => e.kind === 'field' && e.entity === 'deal' && e.field === 'amount';
  const inOwn = (e: Expr) => e.type === 'money' && e.currency === dealCurrency && !isAmount(e);
  const walk = (e: Expr): Expr => {
    switch (e.kind) {
      case 'binary': {
        if (COMPARISONS.has(e.op) && ((isAmount(e.left) && inOwn(e.right)) || (isAmount(e.right) && inOwn(e.left)))) {
          return { ...e, left: isAmount(e.left) ? own : e.left, right: isAmount(e.right) ? own : e.right };
        }
        const left = walk(e.left);
        const right = walk(e.right);
        return left === e.left && right === e.right ? e : { ...e, left, right };
      }
      case 'not': {
        const operand = walk(e.operand);
        return operand === e.operand ? e : { ...e, operand };
      }
      default: return e;
    }
  };
  return walk(expr);
}

/**
 * A deal condition: a 0/1 column computed by SQL when it translates faithfully, else the evaluator
 * per row. `creditedRep`: the condition reads `rep`, which is the rep being paid — the credited rep
 * (a share's rep, the manager of a team deal) — while SQL would join the deal's own rep.
 */
interface DealTest { column: number | null; where: Expr | null; creditedRep?: boolean; readsAmount?: boolean }

/** SQLite reads a window holding a good part of all deals fastest by one pass (see metrics.ts dealSource). */
async function dealSource(db: Db, window: DateWindow): Promise<string> {
  if (db.dialect !== 'sqlite') return 'deals d';
  const total = (await sql<{ n: number | null }>`SELECT MAX(rowid) AS n FROM deals`.execute(db.kysely)).rows[0]?.n;
  if (!total) return 'deals d';
  const inWindow = (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM deals WHERE closed_at BETWEEN ${window.start} AND ${window.end}`
    .execute(db.kysely)).rows[0].n;
  return inWindow * 10 > total ? 'deals d NOT INDEXED' : 'deals d';
}

/**
 * Facts of every rep in `reps` for a rule with `credit` or `convert`, from one scan of the deals
 * of the window (and open or undated deals when a metric reads them) with their credit shares
 * joined. Conditions run in SQL where they translate faithfully; a deal credited 100% to its own
 * rep in the rule's currency adds its integer micros, anything else its exact BigInt product.
 */
export async function gatherCreditedFacts(db: Db, rule: IncentiveRule, reps: RepRecord[], window: DateWindow, metrics: string[]): Promise<Map<string, StatementFacts>> {
  return (await creditedFacts(db, rule, reps, window, metrics, false)) as Map<string, StatementFacts>;
}

/** Credited facts read one rep at a time, in rep id order, as the reps stream by. */
export interface CreditedCursor {
  /**
   * The facts of `rep`; reps must come in strictly increasing id order (SQLite BINARY). A Promise
   * only when the next batch of the scan has to be read first, so 100k reps need not each wait a
   * turn of the event loop.
   */
  forRep(rep: RepRecord): StatementFacts | Promise<StatementFacts>;
  close(): Promise<void>;
}

/**
 * A cursor over the credited facts of every rep, from one scan grouped by the credited rep (the
 * share's rep for a split deal, else the deal's rep), so statements can be handed over as they
 * are computed; null for rules it does not serve (team and overlay credit, conditions or metrics
 * only JS can evaluate, open or undated deals), which take gatherCreditedFacts.
 */
export async function creditedCursor(db: Db, rule: IncentiveRule, window: DateWindow, metrics: string[]): Promise<CreditedCursor | null> {
  if (rule.credit !== undefined && rule.credit !== 'splits') return null;
  return (await creditedFacts(db, rule, [], window, metrics, true)) as CreditedCursor | null;
}

async function creditedFacts(
  db: Db, rule: IncentiveRule, reps: RepRecord[], window: DateWindow, metrics: string[], cursor: boolean,
): Promise<Map<string, StatementFacts> | CreditedCursor | null> {
  const currency = rule.currency;
  const wanted = new Map<string, RepAcc>(reps.map((r) => [r.id, newAcc()]));
  const repById = new Map<string, RepRecord>(reps.map((r) => [r.id, r]));
  const custom = metrics.filter((n) => rule.metrics[n] !== undefined);
  const scanOpen = metrics.includes('pipeline');
  const scanUndated = custom.length > 0;
  const team = rule.credit === 'team' || rule.credit === 'team_all_levels';
  const splits = rule.credit !== undefined && !team;
  const rates = rule.convert ? await RateTable.into(db, currency) : null;
  const chain = team ? new Chain(await db.kysely.selectFrom('reps').select(['id', 'email', 'manager']).execute()) : null;

  // Columns: the deal, then one 0/1 column per condition SQL can take, then the joined credit.
  // Micros past 2^52 come back as null (a JS number would round them): those deals take the exact path.
  const columns = ['d.id', 'd.rep', 'd.amount', 'CASE WHEN abs(d.amount_micros) < 4503599627370496 THEN d.amount_micros END', 'd.currency', 'd.stage', 'd.type', 'd.closed_at'];
  let needsRep = false;
  let needsRecord = false;
  const test = (where: Expr | null): DealTest => {
    if (where === null) return { column: null, where: null };
    // `spiff ... where rep.region = "EMEA"` is about the rep the statement pays. Without `credit`
    // that is always the deal's rep; with it, a share's rep or a manager is paid for others'
    // deals, so the condition runs in JS on the credited rep (the SPEC leaves this to us: a comp
    // team reads `rep` in a rule as the rep the rule is about, as in its `for reps where`).
    // Read once here, not per deal: only such a condition can need a converted deal's own amount.
    const readsAmount = readsField(where, 'deal', 'amount');
    if (rule.credit !== undefined && readsField(where, 'rep')) { needsRecord = true; needsRep = true; return { column: null, where, creditedRep: true, readsAmount }; }
    const translated = rule.convert && readsAmount ? null : conditionToSql(where);
    if (!translated) { needsRecord = true; needsRep ||= true; return { column: null, where, readsAmount }; }
    needsRep ||= translated.needsRep;
    columns.push(`CASE WHEN ${translated.sql} THEN 1 ELSE 0 END`);
    return { column: columns.length - 1, where: null };
  };
  const spiffTests = rule.spiffs.map((sp) => test(sp.where));
  const customTests = custom.map((n) => test(rule.metrics[n].where));
  const creditAt = columns.length;
  if (splits) columns.push('c.rep', 'c.share', 'c.type');
  const recordAt = columns.length;
  if (needsRecord) {
    columns.push(...dealColumns.map((c) => `d.${c}`));
    columns.push(...repColumns.map((c) => `r.${c}`));
  }

  // Field counts of a grouped scan's detail texts (see detailFields).
  const creditedWidth = detailFields(true).length;
  const ownerWidth = detailFields(false).length;

  // A rule that reads only won deals (no win_rate, pipeline or custom metric) reads only those:
  // a lost deal changes nothing on its statement, not even as a deal left out.
  const wonOnly = !scanOpen && custom.length === 0 && !metrics.includes('win_rate');
  const windowScope = `d.closed_at BETWEEN ${quote(window.start)} AND ${quote(window.end)}${wonOnly ? ` AND d.stage = 'won'` : ''}`;
  const extra: string[] = [];
  if (scanOpen) extra.push(`d.stage = 'open'`);
  if (scanUndated) extra.push('d.closed_at IS NULL');
  const creditTypes = rule.credit === 'splits' ? "('revenue')" : rule.credit === 'overlay' ? "('overlay')" : "('revenue', 'overlay')";
  const from = scanUndated || scanOpen ? 'deals d' : await dealSource(db, window);
  // SQLite joins deals outermost, so a deal's share rows come one after the other; PostgreSQL may
  // hash-join, so there the order is asked for.
  const query = sql<Cell[]>`SELECT ${sql.raw(columns.join(', '))} FROM ${sql.raw(from)}
    ${sql.raw(needsRep ? 'LEFT JOIN reps r ON r.id = d.rep' : '')}
    ${sql.raw(splits ? `LEFT JOIN credits c ON c.deal = d.id AND c.type IN ${creditTypes}` : '')}
    WHERE (${sql.raw(windowScope)})${sql.raw(extra.map((x) => ` OR (${x})`).join(''))}
    ${sql.raw(db.dialect === 'sqlite' ? '' : 'ORDER BY d.id')}`.compile(db.kysely);


  // Most deals are the rep's own, whole, in the rule's currency, read by SQL-only conditions:
  // they add their integer micros and counts without any other work.
  const ownCredit = rule.credit === undefined || rule.credit === 'splits' || rule.credit === 'all';
  const fastOwn = ownCredit && !scanOpen && custom.length === 0 && spiffTests.every((t) => t.where === null);

  if (cursor) return fastOwn ? groupedCursor() : null;
  // Then SQL groups those per rep, and only the other deals (split, foreign) come to JS one by one.
  if (!(fastOwn && await groupedScan())) {
    // Rows of one deal arrive together (one per joined share): gathered, then credited.
    let current: Cell[] | null = null;
    let shares: CreditShare[] = [];
    const flush = () => {
      if (current) creditDeal(current, shares);
      current = null;
      shares = [];
    };
    for await (const batch of streamRows(db, query, 10_000, ALL_ROWS)) {
      for (const raw of batch) {
        const row = raw as Cell[];
        // PostgreSQL returns int8 as text; below 2^52 (see the column) it is exact as a number.
        if (typeof row[3] === 'string') row[3] = Number(row[3]);
        if (current !== null && current[0] !== row[0]) flush();
        if (current === null) current = row;
        if (splits && row[creditAt] !== null) shares.push({ rep: row[creditAt] as string, share: row[creditAt + 1] as string, type: row[creditAt + 2] as CreditType });
      }
    }
    flush();
  }

  /**
   * One grouped scan of the window, like the plain rules' (metrics.ts): per owner rep, the sums
   * and counts of its own whole deals in the rule's currency (no share row of the credit's types),
   * and the detail of every other deal (one text per joined share row) that JS credits as the
   * row scan would, so per-row JS work is only for split and foreign deals. False (nothing
   * applied) when that cannot be read faithfully — a field holding a separator character — and
   * the row scan is used instead. A sum past int64 (SQLite) has the scan read again with split sums.
   */
  async function groupedScan(): Promise<boolean> {
    const read = async (split: boolean): Promise<Cell[][]> => {
      const rows: Cell[][] = [];
      for await (const batch of streamRows(db, groupedQuery(false, split), 10_000, ALL_ROWS)) for (const row of batch) rows.push(row as Cell[]);
      return rows;
    };
    let rows: Cell[][];
    try {
      rows = await read(false);
    } catch (err) {
      if (!isSumOverflow(err)) throw err;
      rows = await read(true);
      for (const row of rows) { row[1] = joinSplitSum(row[1]); row[2] = joinSplitSum(row[2]); }
    }
    // Read everything before applying anything, so a fallback starts from clean accumulators.
    const others = new Map<string, { row: Cell[]; shares: CreditShare[] }>();
    for (const row of rows) if (!readDetails(row, others)) return false;
    for (const row of rows) {
      const acc = wanted.get(row[0] as string);
      if (acc) addOwn(acc, row);
    }
    for (const { row, shares } of others.values()) creditDeal(row, shares);
    return true;
  }

  /**
   * The grouped scan's text: one row per owner rep (`byCredited` false) or per credited rep —
   * the share's rep for a split deal, else the deal's rep (`byCredited`, in rep id order). Its
   * columns: the rep; the won micros sum, new-deal micros sum, won and lost counts of its own
   * whole deals in the rule's currency; per spiff the ids of those it matches; the details of
   * every other deal, one text per joined share row. `split`: the two micros sums as "high low"
   * texts that cannot overflow (see wide-sums.ts), for SQLite once its SUM did.
   */
  function groupedQuery(byCredited: boolean, split = false) {
    const dialect = db.dialect;
    const unit = chr(dialect, 31);
    const record = chr(dialect, 30);
    const own = `${splits ? 'c.deal IS NULL AND ' : ''}d.currency = ${quote(currency)}`;
    const spiffSql = spiffTests.map((t) => (t.column === null ? null : columns[t.column]));
    // concat() writes NULL as empty text (SQLite 3.44+, PostgreSQL): cheaper than COALESCE(CAST(...)) per field.
    const detail = `concat(${detailFields(byCredited).join(`, ${unit}, `)})`;
    const key = byCredited && splits ? 'COALESCE(c.rep, d.rep)' : 'd.rep';
    // A scan of won deals only needs no stage test, and counts no losses.
    const ownWon = wonOnly ? own : `${own} AND d.stage = 'won'`;
    // Each deal row is reduced to what its group adds up (a sum term, a spiff id, one detail text)
    // before the rows are sorted into groups. Left to the aggregates, SQLite's sorter carries every
    // deal column they read, detail fields included, for every row: about a tenth more time for
    // the whole scan. LIMIT -1 keeps SQLite from merging the subquery back into the outer query;
    // PostgreSQL plans the two levels as one either way.
    return sql.raw<Cell[]>(`SELECT g.k, ${sumTextSql('g.won', split)}, ${sumTextSql('g.won_new', split)}, COUNT(g.won), ${wonOnly ? '0' : 'COUNT(g.lost)'},
      ${spiffSql.map((_, i) => `${groupConcat(dialect, `g.spiff${i}`, unit)}, `).join('')}${groupConcat(dialect, 'g.detail', record)}
      FROM (SELECT ${key} AS k,
        CASE WHEN ${ownWon} THEN d.amount_micros END AS won,
        CASE WHEN ${ownWon} AND d.type = 'new' THEN d.amount_micros END AS won_new,
        ${wonOnly ? '' : `CASE WHEN ${own} AND d.stage = 'lost' THEN 1 END AS lost,`}
        ${spiffSql.map((c, i) => `CASE WHEN ${ownWon}${c ? ` AND ${c} = 1` : ''} THEN d.id END AS spiff${i}, `).join('')}
        CASE WHEN NOT (${own}) THEN ${detail} END AS detail
        FROM ${from}
        ${needsRep ? 'LEFT JOIN reps r ON r.id = d.rep' : ''}
        ${splits ? `LEFT JOIN credits c ON c.deal = d.id AND c.type IN ${creditTypes}` : ''}
        WHERE ${windowScope}${dialect === 'sqlite' ? ' LIMIT -1' : ''}) g
      GROUP BY g.k${byCredited ? ' ORDER BY g.k' : ''}`).compile(db.kysely);
  }

  /**
   * The fields of one detail text: the deal (its rep is the group's key), its spiff test columns
   * (0/1), and the joined share — only the share's percent when grouped by credited rep (the
   * cursor, for `credit splits`: the share's rep is the key and its type is revenue).
   */
  function detailFields(byCredited: boolean): string[] {
    return [
      'd.id', 'd.amount', 'd.amount_micros', 'd.currency', 'd.stage', 'd.type', 'd.closed_at',
      ...columns.slice(8, creditAt),
      ...(!splits ? [] : byCredited ? ['c.share'] : ['c.rep', 'c.share', 'c.type']),
    ];
  }

  /**
   * The detail texts of a row grouped by owner rep into deals with their shares, each deal as a row
   * of the row scan (id, rep, amount, micros, currency, stage, type, closed_at, spiff tests); false
   * when one does not read back (a field holding a separator character).
   */
  function readDetails(row: Cell[], into: Map<string, { row: Cell[]; shares: CreditShare[] }>): boolean {
    const texts = row[5 + spiffTests.length];
    if (texts === null || texts === '') return true;
    const rep = row[0] as string;
    const at = creditAt - 1;
    const reader = new DetailReader(String(texts), ownerWidth);
    const f = reader.fields;
    while (reader.next()) {
      let deal = into.get(f[0]);
      if (!deal) {
        const dealRow: Cell[] = [f[0], rep, f[1], safeMicros(f[2]), f[3], f[4], f[5] === '' ? null : f[5], f[6] === '' ? null : f[6]];
        for (let i = 8; i < creditAt; i++) dealRow.push(Number(f[i - 1]));
        deal = { row: dealRow, shares: [] };
        into.set(f[0], deal);
      }
      if (splits && f[at] !== '') deal.shares.push({ rep: f[at], share: f[at + 1], type: f[at + 2] as CreditType });
    }
    return reader.aligned;
  }

  /**
   * The details of a row grouped by credited rep (the cursor) into its accumulator; false when one
   * does not read back. The cursor serves only rules whose own deals SQL sums (fastOwn): every
   * condition is a SQL column, and no metric reads open, undated or custom-summed deals. So each
   * detail is one won or lost deal of the window credited to this rep alone (its share of a split
   * deal, or its own foreign deal whole), credited here as creditTo credits it, without the general
   * path's deal record and closures per credit.
   */
  function creditDetails(row: Cell[], acc: RepAcc): boolean {
    const texts = row[5 + spiffTests.length];
    if (texts === null || texts === '') return true;
    const at = creditAt - 1;
    const reader = new DetailReader(String(texts), creditedWidth);
    const f = reader.fields;
    while (reader.next()) {
      const id = f[0];
      const stage = f[4];
      const dealCurrency = f[3];
      const closedAt = f[6];
      let rate: { rate: string; from: string } | null = null;
      if (dealCurrency !== currency) {
        // Left out whatever its stage, as creditTo leaves it out: every detail is of the window.
        const effective = rates?.on(dealCurrency, closedAt) ?? null;
        if (!effective) {
          acc.leftOut.push({ id, amount: f[1], currency: dealCurrency, stage, ...(rates ? noRate(rates, dealCurrency, closedAt) : {}) });
          continue;
        }
        rate = { rate: effective.rate, from: effective.from };
      }
      if (stage === 'lost') { acc.lostCount++; continue; }
      if (stage !== 'won') continue;
      const split = splits && f[at] !== '';
      const share = split ? f[at] : HUNDRED_SHARE;
      const micros = safeMicros(f[2]);
      const isNew = f[5] === 'new';
      let credited: Fixed | null = null;
      if (rate === null && share === HUNDRED_SHARE && micros !== null) {
        acc.revenueMicros.add(micros);
        if (isNew) acc.newMicros.add(micros);
      } else {
        const amount = micros !== null ? { units: BigInt(micros), scale: 6 } : parseFixed(f[1])!;
        credited = creditedAmount(amount, fixedOf(share), rate ? fixedOf(rate.rate) : null);
        acc.revenue = addFixed(acc.revenue, credited);
        if (isNew) acc.newRevenue = addFixed(acc.newRevenue, credited);
      }
      acc.wonCount++;
      if (split || rate) {
        const type = split ? 'revenue' : 'own';
        const text = credited === null ? numberMicrosText(micros!) : plainFixed(credited);
        // Two literals rather than a spread of `conversion`: the JSON's key order, without a throwaway object.
        acc.credited.push(rate
          ? { deal: id, type, share, closedAt, amount: f[1], currency: dealCurrency, conversion: rate, credited: text }
          : { deal: id, type, share, closedAt, amount: f[1], currency: dealCurrency, credited: text });
      }
      for (let i = 0; i < spiffTests.length; i++) {
        const column = spiffTests[i].column;
        if (column !== null && f[column - 1] !== '1') continue;
        const ids = (acc.spiffDeals[rule.spiffs[i].id] ??= []);
        if (!ids.includes(id)) ids.push(id);
      }
    }
    return reader.aligned;
  }

  /** A grouped row's own whole deals into the rep's accumulator. */
  function addOwn(acc: RepAcc, row: Cell[]): void {
    if (row[1] !== null) acc.revenueMicros.addText(String(row[1]));
    if (row[2] !== null) acc.newMicros.addText(String(row[2]));
    acc.wonCount += Number(row[3] ?? 0);
    acc.lostCount += Number(row[4] ?? 0);
    for (let i = 0; i < spiffTests.length; i++) {
      const ids = row[5 + i];
      if (ids === null || ids === '') continue;
      const list = (acc.spiffDeals[rule.spiffs[i].id] ??= []);
      for (const id of String(ids).split('\x1f')) list.push(id);
    }
  }

  /**
   * The cursor: grouped rows by credited rep, walked side by side with the caller's reps. Each
   * detail row of a rep's group is one of its credits (a deal's share to it, or its own foreign
   * deal), credited to that rep alone.
   */
  function groupedCursor(): CreditedCursor {
    // A rep's sum past int64 on SQLite: the scan goes on, split, after the reps already read.
    const mend = (row: (Cell | bigint)[]) => { row[1] = joinSplitSum(row[1]); row[2] = joinSplitSum(row[2]); };
    const batches = resumeOnOverflow(db, groupedQuery(true), () => groupedQuery(true, true), mend, 2000, ALL_ROWS);
    let batch: Cell[][] = [];
    let at = 0;
    let done = false;
    let last: string | null = null;
    // A rep with no credited deal has the same facts as every other such rep (the cursor serves no
    // team credit, whose notes name the rep): made once, frozen, shared.
    let noDeals: StatementFacts | null = null;
    /** Facts of `rep` from its grouped row (null or another rep's row: no deals). */
    const factsFrom = (rep: RepRecord, row: Cell[] | null): StatementFacts | Promise<StatementFacts> => {
      if (row === null || row[0] !== rep.id) return (noDeals ??= deepFrozen(factsOf(rep, newAcc())));
      const acc = newAcc();
      addOwn(acc, row);
      if (!creditDetails(row, acc)) return rowScanFacts(rep);
      return factsOf(rep, acc);
    };
    /**
     * The facts of a rep whose detail texts did not read back (a deal id holding U+001E or U+001F),
     * the row scan's way: its fields come as columns. SQLite runs one statement at a time on a
     * connection, and this scan holds its own: the rep is read through another.
     */
    const rowScanFacts = async (rep: RepRecord): Promise<StatementFacts> => {
      if (db.sqlite?.memory) throw new Error(`credited facts of rep ${rep.id}: a deal id holds a separator character (U+001E or U+001F)`);
      const other = db.sqlite ? await openDatabase(db.sqlite.name, { readonly: true }) : db;
      try {
        return (await gatherCreditedFacts(other, rule, [rep], window, metrics)).get(rep.id)!;
      } finally {
        if (other !== db) await other.close();
      }
    };
    /** Reads batches until one holds a row at or after `rep` (or the scan ends). */
    const readOn = async (rep: RepRecord): Promise<StatementFacts> => {
      let row = await current();
      while (row !== null && compareBinary(row[0] as string, rep.id) < 0) {
        at++;
        row = at < batch.length ? batch[at] : await current();
      }
      return factsFrom(rep, row);
    };
    const current = async (): Promise<Cell[] | null> => {
      while (!done && at >= batch.length) {
        const next = await batches.next();
        if (next.done) { done = true; batch = []; } else { batch = next.value as Cell[][]; at = 0; }
      }
      return done ? null : batch[at];
    };
    return {
      forRep(rep: RepRecord): StatementFacts | Promise<StatementFacts> {
        if (last !== null && compareBinary(rep.id, last) <= 0) throw new Error(`creditedCursor: rep ${rep.id} asked after ${last}`);
        last = rep.id;
        // Rows of reps not asked for (not selected, or no such rep) are passed over.
        while (at < batch.length && compareBinary(batch[at][0] as string, rep.id) < 0) at++;
        if (at < batch.length || done) return factsFrom(rep, done ? null : batch[at]);
        return readOn(rep);
      },
      async close(): Promise<void> {
        if (!done) { done = true; await batches.return(undefined); }
      },
    };
  }

  /** Credits one deal (its row, with its joined shares) to the reps in `wanted`. */
  function creditDeal(row: Cell[], dealShares: CreditShare[]): void {
    const owner = row[1] as string;
    const closedAt = row[7] as string | null;
    if (fastOwn && dealShares.length === 0 && row[4] === currency && row[3] !== null) {
      const acc = wanted.get(owner);
      if (!acc || closedAt === null || closedAt < window.start || closedAt > window.end) return;
      if (row[5] === 'won') {
        acc.revenueMicros.add(row[3] as number);
        if (row[6] === 'new') acc.newMicros.add(row[3] as number);
        acc.wonCount++;
        for (let i = 0; i < spiffTests.length; i++) {
          const t = spiffTests[i];
          if (t.column === null || row[t.column] === 1) (acc.spiffDeals[rule.spiffs[i].id] ??= []).push(row[0] as string);
        }
      } else if (row[5] === 'lost') {
        acc.lostCount++;
      }
      return;
    }
    const credits = creditsOf(rule, owner, dealShares, chain);
    if (credits.length === 0) return;
    const deal = dealToCredit(row);
    // Under `all splits` one rep can hold two credits of a deal (a revenue or own share and an
    // overlay share): both are credited, but the deal is one deal to that rep — counted once
    // (SPEC: "`count` counts a deal once per credited rep"), one value for min/max/avg, one
    // warning when it is left out.
    if (credits.length === 1) {
      const acc = wanted.get(credits[0].rep);
      if (acc) creditTo(acc, deal, credits);
      return;
    }
    const byRep = new Map<string, Credit[]>();
    for (const credit of credits) {
      const mine = byRep.get(credit.rep);
      if (mine) mine.push(credit); else byRep.set(credit.rep, [credit]);
    }
    for (const [rep, mine] of byRep) {
      const acc = wanted.get(rep);
      if (acc) creditTo(acc, deal, mine);
    }
  }

  /** What crediting a deal needs of it once, however many credits it has: its rate or why it is left out, its tests. */
  function dealToCredit(row: Cell[]) {
    const id = row[0] as string;
    const dealCurrency = row[4] as string;
    const stage = row[5] as string;
    const closedAt = row[7] as string | null;
    const inWindow = closedAt !== null && closedAt >= window.start && closedAt <= window.end;
    let rate: { rate: string; from: string } | null = null;
    let leftOut: LeftOutDeal | null = null;
    if (dealCurrency !== currency) {
      const on = closedAt ?? window.end;
      const effective = rates?.on(dealCurrency, on) ?? null;
      if (effective) rate = { rate: effective.rate, from: effective.from };
      else leftOut = { id, amount: row[2] as string, currency: dealCurrency, stage, ...(rates ? noRate(rates, dealCurrency, on) : {}) };
    }
    // The deal as conditions the evaluator runs see it: in the rule's currency when converted.
    let record: { deal: DealRecord; rep: RepRecord | undefined } | null = null;
    const evaluated = () => {
      if (record) return record;
      const deal = Object.fromEntries(dealColumns.map((c, i) => [c, row[recordAt + i]])) as unknown as DealRecord;
      const repRow = row.slice(recordAt + dealColumns.length);
      const rep = repRow[0] === null ? undefined : Object.fromEntries(repColumns.map((c, i) => [c, repRow[i]])) as unknown as RepRecord;
      const amount = rate ? plainFixed(mulFixed(parseFixed(deal.amount)!, parseFixed(rate.rate)!)) : deal.amount;
      record = { deal: rate ? { ...deal, amount, currency } : deal, rep };
      return record;
    };
    let amount: Fixed | null = null;
    return {
      row, id, dealCurrency, stage, closedAt, inWindow, rate, leftOut,
      rateFixed: rate ? fixedOf(rate.rate) : null,
      amount: () => (amount ??= dealAmount(row)),
      passes: (t: DealTest, credited: string) => {
        if (t.column !== null) return row[t.column] === 1;
        if (t.where === null) return true;
        const where = rate && t.readsAmount ? withOwnAmount(t.where, dealCurrency, row[2] as string) : t.where;
        return holds(where, t.creditedRep ? { deal: evaluated().deal, rep: repById.get(credited) } : evaluated());
      },
    };
  }

  /** A deal's credits to one rep (one, or two under `all splits`) into that rep's accumulator. */
  function creditTo(acc: RepAcc, deal: ReturnType<typeof dealToCredit>, credits: Credit[]): void {
    const { row, id, stage, closedAt, inWindow, rate, rateFixed } = deal;
    if (deal.leftOut) {
      // An open deal `pipeline` reads (dated or not) is left out of it as much as a won one of the window.
      if (inWindow || (stage === 'open' && scanOpen)) acc.leftOut.push(deal.leftOut);
      return;
    }
    const one = (credit: Credit) => creditedAmount(deal.amount(), fixedOf(credit.share), rateFixed);
    // Own deal, whole, in the rule's currency: its integer micros; else the exact product (of all
    // of the rep's shares of it).
    const plain = credits.length === 1 && rateFixed === null && credits[0].share === HUNDRED_SHARE && row[3] !== null;
    let credited: Fixed | null = null;
    const exact = () => (credited ??= credits.length === 1 ? one(credits[0]) : credits.reduce((sum, c) => addFixed(sum, one(c)), FIXED_ZERO));
    if (inWindow && stage === 'won') {
      if (plain) {
        acc.revenueMicros.add(row[3] as number);
        if (row[6] === 'new') acc.newMicros.add(row[3] as number);
      } else {
        acc.revenue = addFixed(acc.revenue, exact());
        if (row[6] === 'new') acc.newRevenue = addFixed(acc.newRevenue, exact());
      }
      acc.wonCount++;
      // Listed: every credit but the rep's own deal, whole, in the rule's currency (that counts as
      // without `credit`) — unless the rep also holds another share of it: then its own 100% is
      // listed too, so the statement (and a spiff × the rep's shares) sees all of it.
      for (const credit of credits) {
        if (credit.type === 'own' && !rate && credits.length === 1) continue;
        acc.credited.push({
          deal: id, type: credit.type, share: credit.share, closedAt: closedAt!, amount: row[2] as string, currency: deal.dealCurrency,
          ...(rate ? { conversion: rate } : {}), credited: plainFixed(credits.length === 1 ? exact() : one(credit)),
        });
      }
      for (let i = 0; i < rule.spiffs.length; i++) {
        if (!deal.passes(spiffTests[i], credits[0].rep)) continue;
        const ids = (acc.spiffDeals[rule.spiffs[i].id] ??= []);
        if (!ids.includes(id)) ids.push(id);
      }
    } else if (inWindow && stage === 'lost') {
      acc.lostCount++;
    }
    if (stage === 'open' && scanOpen) acc.pipeline = addFixed(acc.pipeline, exact());
    for (let i = 0; i < custom.length; i++) {
      if (!inWindow && closedAt !== null) continue;
      if (!deal.passes(customTests[i], credits[0].rep)) continue;
      const value = exact();
      acc.custom ??= new Map();
      const a = acc.custom.get(custom[i]) ?? { sum: FIXED_ZERO, n: 0, min: null, max: null };
      a.sum = addFixed(a.sum, value);
      a.n++;
      if (a.min === null || cmpFixed(value, a.min) < 0) a.min = value;
      if (a.max === null || cmpFixed(value, a.max) > 0) a.max = value;
      acc.custom.set(custom[i], a);
    }
  }

  const facts = new Map<string, StatementFacts>();
  for (const rep of reps) facts.set(rep.id, factsOf(rep, wanted.get(rep.id)!));
  return facts;

  /** A rep's facts from its accumulated deals. */
  function factsOf(rep: RepRecord, acc: RepAcc): StatementFacts {
    const values: Record<string, MetricFact> = {};
    for (const name of metrics) values[name] = metricFact(name, rule.metrics[name], acc, currency);
    for (const spiff of rule.spiffs) (acc.spiffDeals[spiff.id] ??= []).sort();
    if (acc.credited.length > 1) acc.credited.sort((a, b) => (a.deal < b.deal ? -1 : a.deal > b.deal ? 1 : a.type < b.type ? -1 : 1));
    if (acc.leftOut.length > 1) acc.leftOut.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const notes: string[] = [];
    if (chain && !chain.hasReports(rep)) {
      notes.push(`${rep.id} (${rep.email ?? 'no email'}) has no reports: \`credit ${rule.credit === 'team' ? 'team' : 'team all levels'}\` credits no deals`);
    }
    const loop = chain?.loop(rep.id);
    if (loop) notes.push(`${rep.id} is in a manager loop (${loop.join(' → ')}): its own deals are not counted as its team's`);
    return {
      window, metrics: values, spiffDeals: acc.spiffDeals, leftOut: acc.leftOut, credited: acc.credited,
      ...(notes.length ? { notes } : {}),
    };
  }
}
