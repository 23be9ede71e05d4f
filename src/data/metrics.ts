// Metrics per rep and period (SPEC §4), for all reps at once: every metric, spiff match and
// left-out count a rule needs becomes one conditional aggregate of a single grouped scan over the
// deals of the period (`... GROUP BY d.rep`), so 100k reps cost one query, not 100k.
//
// Which deals count:
// - built-ins and spiffs: deals whose `closed_at` lies in the window; `pipeline`: open deals now;
// - custom metrics: deals closed in the window, plus deals without `closed_at` (still open), so a
//   custom `sum(deal.amount) where deal.stage = "open"` reads like `pipeline`;
// - money metrics and spiffs only see deals in `currency`; the others are counted as left out.
// Conditions that SQL cannot express faithfully are evaluated in JS over the period's rows.
// The scan is one SQL text for both dialects; only string aggregation and the SQLite scan hint
// differ (src/data/dialect.ts).
import { sql } from 'kysely';
import { Decimal } from '../money/index.js';
import { builtinMetrics } from '../plan/catalog.js';
import { holds } from '../plan/evaluate.js';
import type { DealRecord, RepRecord } from '../plan/records.js';
import type { Expr, MetricDef } from '../plan/schema.js';
import type { DateWindow, LeftOutDeal, MetricFact } from '../payouts/facts.js';
import type { Db } from './db.js';
import { dealColumns } from './deals.js';
import { chr, groupConcat, type Dialect } from './dialect.js';
import { fromMicros, microsText } from './micros.js';
import { repColumns } from './reps.js';
import { isSumOverflow, joinSplitSum, resumeOnOverflow, sumTextSql } from './wide-sums.js';
import { conditionToSql } from './sql-condition.js';
import { compareBinary } from './text-order.js';

export interface MetricQuery {
  window: DateWindow;
  /** Money metrics are in this currency; deals in other currencies are left out. */
  currency: string;
  /** Built-in or custom metric names. */
  metrics: string[];
  /** Custom metric definitions by name. */
  definitions: Record<string, MetricDef>;
  /** Spiffs whose matching won deals to list per rep. */
  spiffs?: { id: string; where: Expr | null }[];
  /** When true, count metrics (deals_won, win_rate, count(...)) include deals in every currency. */
  countAllCurrencies?: boolean;
  /** Only these reps matter; when few, the scan is narrowed to them. */
  reps?: string[];
}

export interface RepMetrics {
  metrics: Record<string, MetricFact>;
  spiffDeals: Record<string, string[]>;
  /** Deals of the rep closed in the window in another currency, by id. */
  leftOut: LeftOutDeal[];
}

export interface MetricsResult {
  /** Facts of one rep; reps without deals get zeros (and null for averages and rates). */
  forRep(rep: string): RepMetrics;
  /** Metric names that are neither built-in nor defined. */
  unknown: string[];
}

const SEP = '\u001f';
const FEW_REPS = 500;

/** `sumOf`: the summed expression of a money sum column (sent split when SQLite's SUM overflows, see wide-sums.ts). */
interface Column { alias: string; sql: string; sumOf?: string }

// Sums come back as TEXT (CAST in SQL): exact int64 digits without a BigInt per value.
type Cell = number | string | null;

/** A metric's value from a raw result row, whose metric columns start at `at`. */
type Combine = (row: readonly Cell[], at: number) => MetricFact;

const zeroMoney = (currency: string): MetricFact => ({ type: 'money', amount: '0', currency });

function money(micros: Cell, currency: string): MetricFact {
  return { type: 'money', amount: micros === null ? '0' : microsText(micros), currency };
}

function count(value: Cell): bigint {
  return value === null ? 0n : BigInt(value);
}

/** A COUNT(...) as decimal text: counts are integers (int8 text on PostgreSQL), never money. */
function countText(value: Cell): string {
  return value === null ? '0' : String(value);
}

/**
 * The aggregate columns of one scan (metrics, spiff matches, left-out deals) and how to read a
 * rep's facts back from them; shared by computeMetrics and metricsCursor.
 */
interface MetricScan {
  columns: Column[];
  combines: [string, Combine][];
  spiffColumns: { id: string; index: number }[];
  leftOutIndex: number;
  fallback: { name: string; def: MetricDef }[];
  fallbackSpiffs: { id: string; where: Expr | null }[];
  unknown: string[];
  needsRep: boolean;
  /** Which deals the scan reads (OR-ed): the window, and open or undated deals when a metric needs them. */
  scopes: string[];
}

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function metricScan(query: MetricQuery, dialect: Dialect): MetricScan {
  const cur = quote(query.currency);
  // The window's dates are checked ISO dates, written into the SQL as literals: the scan is one
  // parameterless text, the same for a prepared statement and a PostgreSQL cursor.
  const inWindow = `d.closed_at BETWEEN ${quote(query.window.start)} AND ${quote(query.window.end)}`;
  // Open deals (pipeline) and undated ones (custom metrics) widen the scan past the window.
  const names = [...new Set(query.metrics)];
  const scanOpen = names.some((n) => !query.definitions[n] && n === 'pipeline');
  const scanUndated = names.some((n) => query.definitions[n] !== undefined);
  // The window check inside each aggregate: always true when the scan reads only the window's
  // deals, and then left out (SQLite would evaluate it again for every deal and aggregate).
  const windowCheck = scanOpen || scanUndated ? inWindow : 'TRUE';
  const inCurrency = `d.currency = ${cur}`;
  const countCurrency = query.countAllCurrencies ? 'TRUE' : inCurrency;
  const won = `d.stage = 'won' AND ${windowCheck}`;
  const customScope = `(${inWindow} OR d.closed_at IS NULL)`;

  const columns: Column[] = [];
  const combines: [string, Combine][] = [];
  const unknown: string[] = [];
  const fallback: { name: string; def: MetricDef }[] = [];
  const fallbackSpiffs: { id: string; where: Expr | null }[] = [];
  const spiffColumns: { id: string; index: number }[] = [];
  let needsRep = false;
  /** The index of the column with this alias, added if new. */
  const col = (alias: string, sql: string, sumOf?: string): number => {
    const found = columns.findIndex((c) => c.alias === alias);
    if (found !== -1) return found;
    columns.push({ alias, sql, sumOf });
    return columns.length - 1;
  };
  /** A money sum column: the sum of `expr` as exact integer text. */
  const sumCol = (alias: string, expr: string): number => col(alias, sumTextSql(expr, false), expr);

  for (const name of names) {
    const def = query.definitions[name];
    if (def) {
      const where = conditionToSql(def.where);
      if (!where) { fallback.push({ name, def }); continue; }
      needsRep ||= where.needsRep;
      const scope = `${customScope} AND ${def.type === 'money' || def.aggregate !== 'count' ? inCurrency : countCurrency} AND ${where.sql}`;
      const a = `m_${columns.length}`;
      if (def.aggregate === 'count') {
        const i = col(a, `COUNT(CASE WHEN ${scope} THEN 1 END)`);
        combines.push([name, (row, at) => ({ type: 'number', value: countText(row[at + i]) })]);
      } else if (def.aggregate === 'avg') {
        const s = sumCol(`${a}_s`, `CASE WHEN ${scope} THEN d.amount_micros END`);
        const n = col(`${a}_n`, `COUNT(CASE WHEN ${scope} THEN 1 END)`);
        combines.push([name, (row, at) => average(row[at + s], row[at + n], def, query.currency)]);
      } else {
        const fn = def.aggregate.toUpperCase();
        const summed = `CASE WHEN ${scope} THEN d.amount_micros END`;
        const i = def.aggregate === 'sum' ? sumCol(a, summed) : col(a, `CAST(${fn}(${summed}) AS TEXT)`);
        combines.push([name, (row, at) => {
          const v = row[at + i];
          if (v === null && def.aggregate !== 'sum') return { type: 'null' };
          return def.type === 'money' ? money(v, query.currency) : { type: 'number', value: fromMicros(count(v)).toFixed() };
        }]);
      }
      continue;
    }
    switch (name) {
      case 'revenue': {
        const i = sumCol('revenue', `CASE WHEN ${won} AND ${inCurrency} THEN d.amount_micros END`);
        combines.push([name, (row, at) => money(row[at + i], query.currency)]);
        break;
      }
      case 'new_revenue': {
        const i = sumCol('new_revenue', `CASE WHEN ${won} AND ${inCurrency} AND d.type = 'new' THEN d.amount_micros END`);
        combines.push([name, (row, at) => money(row[at + i], query.currency)]);
        break;
      }
      case 'deals_won': {
        const i = col('won_count', `COUNT(CASE WHEN ${won} AND ${countCurrency} THEN 1 END)`);
        combines.push([name, (row, at) => ({ type: 'number', value: countText(row[at + i]) })]);
        break;
      }
      case 'win_rate': {
        const w = col('won_count', `COUNT(CASE WHEN ${won} AND ${countCurrency} THEN 1 END)`);
        const l = col('lost_count', `COUNT(CASE WHEN d.stage = 'lost' AND ${windowCheck} AND ${countCurrency} THEN 1 END)`);
        combines.push([name, (row, at) => {
          const wins = count(row[at + w]);
          const decided = wins + count(row[at + l]);
          if (decided === 0n) return { type: 'null' };
          return { type: 'percent', value: new Decimal(wins.toString()).times(100).div(decided.toString()).toFixed() };
        }]);
        break;
      }
      case 'avg_deal_size': {
        const r = sumCol('revenue', `CASE WHEN ${won} AND ${inCurrency} THEN d.amount_micros END`);
        const n = col('won_in_currency', `COUNT(CASE WHEN ${won} AND ${inCurrency} THEN 1 END)`);
        combines.push([name, (row, at) => {
          const k = count(row[at + n]);
          if (k === 0n) return { type: 'null' };
          return { type: 'money', amount: fromMicros(count(row[at + r])).div(k.toString()).toFixed(), currency: query.currency };
        }]);
        break;
      }
      case 'pipeline': {
        const i = sumCol('pipeline', `CASE WHEN d.stage = 'open' AND ${inCurrency} THEN d.amount_micros END`);
        combines.push([name, (row, at) => money(row[at + i], query.currency)]);
        break;
      }
      default:
        unknown.push(name);
    }
  }

  for (const spiff of query.spiffs ?? []) {
    const where = conditionToSql(spiff.where);
    if (!where) { fallbackSpiffs.push(spiff); continue; }
    needsRep ||= where.needsRep;
    const index = col(`spiff_${columns.length}`, groupConcat(dialect, `CASE WHEN ${won} AND ${inCurrency} AND ${where.sql} THEN d.id END`, chr(dialect, 31)));
    spiffColumns.push({ id: spiff.id, index });
  }
  // Left-out deals come back in the same scan, as id/amount/currency/stage joined by control characters:
  // the window's, and the open ones `pipeline` reads whatever their date (a EUR deal in a USD
  // pipeline is left out of it as much as a won one of the window).
  const rs = chr(dialect, 30);
  const readsLeftOut = scanOpen ? `(${windowCheck} OR d.stage = 'open')` : windowCheck;
  const leftOutIndex = col('left_out', groupConcat(dialect,
    `CASE WHEN ${readsLeftOut} AND d.currency != ${cur} THEN d.id || ${rs} || d.amount || ${rs} || d.currency || ${rs} || d.stage END`,
    chr(dialect, 31)));

  // Only won deals count unless a metric reads others (win_rate's lost deals, pipeline's open
  // ones, a custom metric's any): then only they are read, and a lost deal in another currency is
  // not listed as left out of a statement it could not change.
  const wonOnly = !scanOpen && !scanUndated && !names.includes('win_rate');
  const scopes = [wonOnly ? `${inWindow} AND d.stage = 'won'` : inWindow];
  if (scanOpen) scopes.push(`d.stage = 'open'`);
  if (scanUndated) scopes.push('d.closed_at IS NULL');
  return { columns, combines, spiffColumns, leftOutIndex, fallback, fallbackSpiffs, unknown, needsRep, scopes };
}

/** One rep's facts from its raw row (metric columns from `at`) and the JS fallback. */
function repMetrics(scan: MetricScan, row: readonly Cell[], at: number, js: RepMetrics | undefined, currency: string): RepMetrics {
  const metrics: Record<string, MetricFact> = {};
  for (const [name, combine] of scan.combines) metrics[name] = combine(row, at);
  const spiffDeals: Record<string, string[]> = {};
  for (const { id, index } of scan.spiffColumns) {
    const ids = row[at + index];
    spiffDeals[id] = ids === null ? [] : String(ids).split(SEP).sort();
  }
  for (const { name, def } of scan.fallback) metrics[name] = js?.metrics[name] ?? emptyMetric(def, currency);
  for (const spiff of scan.fallbackSpiffs) spiffDeals[spiff.id] = js?.spiffDeals[spiff.id] ?? [];
  const leftOut = row[at + scan.leftOutIndex];
  return { metrics, spiffDeals, leftOut: leftOut === null ? [] : parseLeftOut(String(leftOut)) };
}

/**
 * How SQLite should read the deals: a window holding a good part of all deals is read fastest by
 * one pass over the table (then grouped), not through an index with a random table lookup per
 * deal; SQLite's planner cannot tell without knowing how many deals the window holds, so we count
 * them (a covering-index count, milliseconds) and say so with NOT INDEXED. PostgreSQL's planner
 * has statistics and chooses by itself.
 */
async function dealSource(db: Db, window: DateWindow, narrowed: boolean): Promise<string> {
  if (narrowed || db.dialect !== 'sqlite') return 'deals d';
  const total = (await sql<{ n: number | null }>`SELECT MAX(rowid) AS n FROM deals`.execute(db.kysely)).rows[0]?.n;
  if (!total) return 'deals d';
  const inWindow = (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM deals WHERE closed_at BETWEEN ${window.start} AND ${window.end}`
    .execute(db.kysely)).rows[0].n;
  return inWindow * 10 > total ? 'deals d NOT INDEXED' : 'deals d';
}

/** `split`: money sums sent split in high and low parts (after SQLite's SUM overflowed; see wide-sums.ts). */
async function scanSql(db: Db, query: MetricQuery, scan: MetricScan, narrow: string[] | null, ordered: boolean, split = false): Promise<string> {
  const repFilter = narrow ? ` AND d.rep IN (${narrow.map(quote).join(', ') || "''"})` : '';
  const from = `FROM ${await dealSource(db, query.window, narrow !== null)}${scan.needsRep ? ' LEFT JOIN reps r ON r.id = d.rep' : ''}`;
  const select = (c: Column) => (split && c.sumOf !== undefined ? sumTextSql(c.sumOf, true) : c.sql);
  return `SELECT d.rep AS rep, ${scan.columns.map((c) => `${select(c)} AS ${c.alias}`).join(', ')}
    ${from} WHERE (${scan.scopes.join(' OR ')})${repFilter} GROUP BY d.rep${ordered ? ' ORDER BY d.rep' : ''}`;
}

export async function computeMetrics(db: Db, query: MetricQuery): Promise<MetricsResult> {
  const scan = metricScan(query, db.dialect);
  const narrow = query.reps && query.reps.length <= FEW_REPS ? query.reps : null;
  const read = async (split: boolean) =>
    (await sql.raw<Record<string, Cell>>(await scanSql(db, query, scan, narrow, false, split)).execute(db.kysely)).rows;
  let split = false;
  let raw: Record<string, Cell>[];
  try {
    raw = await read(false);
  } catch (err) {
    // SQLite's SUM stopped at int64: the same scan again with sums that cannot overflow.
    if (!isSumOverflow(err)) throw err;
    split = true;
    raw = await read(true);
  }
  const rows = new Map<string, Cell[]>();
  // Aliases are unique and not numeric, so a row object's values are in select order.
  for (const row of raw) {
    const cells = Object.values(row);
    if (split) mendSplitSums(scan, cells);
    rows.set(cells[0] as string, cells);
  }

  const jsFacts = scan.fallback.length || scan.fallbackSpiffs.length
    ? await evaluateInJs(db, query, scan.fallback, scan.fallbackSpiffs, narrow)
    : new Map<string, RepMetrics>();

  // A rep without deals in the scan reads as a row of NULL aggregates.
  const noDeals: Cell[] = new Array(1 + scan.columns.length).fill(null);
  return {
    unknown: scan.unknown,
    forRep(rep: string): RepMetrics {
      return repMetrics(scan, rows.get(rep) ?? noDeals, 1, jsFacts.get(rep), query.currency);
    },
  };
}

export interface MetricsCursor {
  /**
   * Facts of one rep, asked in ascending id order; reps without deals get zeros. A Promise only
   * when the next batch of the scan has to be read first: most reps are answered at once, and
   * 100k reps need not each wait a turn of the event loop.
   */
  forRep(rep: string): RepMetrics | Promise<RepMetrics>;
  /** Metric names that are neither built-in nor defined. */
  unknown: string[];
  /** Ends the scan early (it ends by itself once read to the end). */
  close(): Promise<void>;
}

/**
 * Metrics like computeMetrics, for reps asked in ascending id order (byte order: SQLite's BINARY,
 * PostgreSQL's "C" collation of the columns, as `ORDER BY id` gives them): the grouped scan is
 * streamed alongside, ordered by rep, so no rep's row is kept once passed. For all reps of a large
 * period, where a map of every rep's row would be most of the memory (and garbage-collection
 * time) of a run. On SQLite the scan holds the connection's reader open: use it where nothing
 * writes through the same connection meanwhile (simulate, rule tests).
 */
export async function metricsCursor(db: Db, query: Omit<MetricQuery, 'reps'>): Promise<MetricsCursor> {
  const scan = metricScan(query, db.dialect);
  const jsFacts = scan.fallback.length || scan.fallbackSpiffs.length
    ? await evaluateInJs(db, query, scan.fallback, scan.fallbackSpiffs, null)
    : new Map<string, RepMetrics>();
  // Large batches: on PostgreSQL each is a FETCH round trip.
  // A sum past int64 on SQLite: the scan goes on, split, after the reps already read.
  const batches = resumeOnOverflow(
    db,
    sql.raw(await scanSql(db, query, scan, null, true)).compile(db.kysely),
    async () => sql.raw(await scanSql(db, query, scan, null, true, true)).compile(db.kysely),
    (row) => mendSplitSums(scan, row as Cell[]),
    10_000,
  );
  const noDeals: Cell[] = new Array(1 + scan.columns.length).fill(null);
  let batch: Cell[][] = [];
  let at = 0;
  let done = false;
  let last: string | null = null;
  const facts = (rep: string, row: Cell[] | null) =>
    repMetrics(scan, row !== null && row[0] === rep ? row : noDeals, 1, jsFacts.get(rep), query.currency);
  /** Passes rows of reps before `rep` within the batch; true when the batch ran out first. */
  const skip = (rep: string): boolean => {
    while (at < batch.length && compareBinary(batch[at][0] as string, rep) < 0) at++;
    return at >= batch.length;
  };
  /** Reads batches until one holds a row at or after `rep` (or the scan ends). */
  const readOn = async (rep: string): Promise<RepMetrics> => {
    while (!done && skip(rep)) {
      const next = await batches.next();
      if (next.done) { done = true; batch = []; at = 0; } else { batch = next.value as Cell[][]; at = 0; }
    }
    return facts(rep, done ? null : batch[at]);
  };
  return {
    unknown: scan.unknown,
    forRep(rep: string): RepMetrics | Promise<RepMetrics> {
      if (last !== null && compareBinary(rep, last) <= 0) throw new Error(`metricsCursor: rep ${rep} asked after ${last}`);
      last = rep;
      // Rows of reps not asked for (not selected, or no such rep) are passed over.
      if (done || !skip(rep)) return facts(rep, done ? null : batch[at]);
      return readOn(rep);
    },
    async close(): Promise<void> {
      if (!done) { done = true; await batches.return(undefined); }
    },
  };
}

/** A row of the split scan (rep first) with its split money sums joined back into exact integer text. */
function mendSplitSums(scan: MetricScan, row: Cell[]): void {
  scan.columns.forEach((c, i) => { if (c.sumOf !== undefined) row[1 + i] = joinSplitSum(row[1 + i]); });
}

function parseLeftOut(text: string): LeftOutDeal[] {
  return text
    .split(SEP)
    .map((item) => {
      const [id, amount, currency, stage] = item.split('\u001e');
      return { id, amount, currency, stage };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function average(sum: Cell, n: Cell, def: MetricDef, currency: string): MetricFact {
  const k = count(n);
  if (k === 0n) return { type: 'null' };
  const value = fromMicros(count(sum)).div(k.toString()).toFixed();
  return def.type === 'money' ? { type: 'money', amount: value, currency } : { type: 'number', value };
}

function emptyMetric(def: MetricDef, currency: string): MetricFact {
  if (def.aggregate === 'count') return { type: 'number', value: '0' };
  if (def.aggregate === 'sum') return def.type === 'money' ? zeroMoney(currency) : { type: 'number', value: '0' };
  return { type: 'null' };
}

/** The slow path: rows of the window evaluated with evaluate.ts, for conditions SQL cannot express. */
async function evaluateInJs(
  db: Db,
  query: Omit<MetricQuery, 'reps'>,
  metrics: { name: string; def: MetricDef }[],
  spiffs: { id: string; where: Expr | null }[],
  reps: string[] | null,
): Promise<Map<string, RepMetrics>> {
  const repFilter = reps ? sql` AND d.rep IN (${reps.length ? sql.join(reps) : sql`''`})` : sql``;
  const rows = (await sql<Record<string, string | null>>`
    SELECT ${sql.raw(dealColumns.map((c) => `d.${c}`).join(', '))}, ${sql.raw(repColumns.map((c) => `r.${c} AS rep_${c}`).join(', '))}
    FROM deals d LEFT JOIN reps r ON r.id = d.rep
    WHERE (d.closed_at BETWEEN ${query.window.start} AND ${query.window.end} OR d.closed_at IS NULL)${repFilter}`
    .execute(db.kysely)).rows;
  type Acc = { sum: Decimal; n: number; min: Decimal | null; max: Decimal | null };
  const acc = new Map<string, { metrics: Map<string, Acc>; spiffDeals: Record<string, string[]> }>();
  const inWindow = (d: DealRecord) => d.closed_at !== null && d.closed_at >= query.window.start && d.closed_at <= query.window.end;
  for (const row of rows) {
    const deal = Object.fromEntries(dealColumns.map((c) => [c, row[c]])) as unknown as DealRecord;
    const rep = row.rep_id === null ? undefined : (Object.fromEntries(repColumns.map((c) => [c, row[`rep_${c}`]])) as unknown as RepRecord);
    let entry = acc.get(deal.rep);
    if (!entry) { entry = { metrics: new Map(), spiffDeals: {} }; acc.set(deal.rep, entry); }
    for (const { name, def } of metrics) {
      const currencyOk = deal.currency === query.currency || (def.aggregate === 'count' && def.type === 'number' && query.countAllCurrencies);
      if (!currencyOk || !holds(def.where, { deal, rep })) continue;
      const a = entry.metrics.get(name) ?? { sum: new Decimal(0), n: 0, min: null, max: null };
      const amount = new Decimal(deal.amount);
      a.sum = a.sum.plus(amount);
      a.n += 1;
      a.min = a.min === null || amount.lt(a.min) ? amount : a.min;
      a.max = a.max === null || amount.gt(a.max) ? amount : a.max;
      entry.metrics.set(name, a);
    }
    for (const spiff of spiffs) {
      if (deal.stage !== 'won' || !inWindow(deal) || deal.currency !== query.currency) continue;
      if (holds(spiff.where, { deal, rep })) (entry.spiffDeals[spiff.id] ??= []).push(deal.id);
    }
  }
  const result = new Map<string, RepMetrics>();
  for (const [rep, entry] of acc) {
    const out: Record<string, MetricFact> = {};
    for (const { name, def } of metrics) {
      const a = entry.metrics.get(name);
      if (!a) { out[name] = emptyMetric(def, query.currency); continue; }
      const value = def.aggregate === 'count' ? new Decimal(a.n)
        : def.aggregate === 'sum' ? a.sum
        : def.aggregate === 'avg' ? a.sum.div(a.n)
        : def.aggregate === 'min' ? a.min! : a.max!;
      out[name] = def.type === 'money' && def.aggregate !== 'count'
        ? { type: 'money', amount: value.toFixed(), currency: query.currency }
        : { type: 'number', value: value.toFixed() };
    }
    for (const ids of Object.values(entry.spiffDeals)) ids.sort();
    result.set(rep, { metrics: out, spiffDeals: entry.spiffDeals, leftOut: [] });
  }
  return result;
}

export function isKnownMetric(name: string, definitions: Record<string, MetricDef>): boolean {
  return name in builtinMetrics || name in definitions;
}
