// Micros sums past int64. SQLite's SUM of integers stops at 2^63 micros (about 9.2 trillion major
// units: one quarter of a large IDR, VND or IRR pipeline) with "integer overflow"; PostgreSQL sums
// bigint as NUMERIC and never does. The grouped scans keep their plain SUM (the fast path) and,
// only when SQLite reports the overflow, are run again with each money sum split in SQL into a
// high and a low part that cannot overflow, joined back exactly in BigInt here: the figures are
// digit for digit PostgreSQL's.
import type { CompiledQuery } from 'kysely';
import type { Db } from './db.js';
import { streamRows, type StreamOptions } from './dialect.js';
import { compareBinary } from './text-order.js';

type Cell = string | number | bigint | null;

/** 2^32: each part of a value stays below 2^31 in size, so 2^32 rows of int64 micros still add up within int64. */
const SPLIT = 4294967296n;

/** True for SQLite's SUM overflow (the one error the split sums are a remedy for). */
export function isSumOverflow(err: unknown): boolean {
  return err instanceof Error && /integer overflow/i.test(err.message);
}

/**
 * SQL for the exact sum of an integer expression as text, `plain` as `CAST(SUM(e) AS TEXT)` and
 * split as "high low" (NULL when no row counted, like SUM), read back by joinSplitSum. Integer
 * division and remainder both truncate toward zero on SQLite and PostgreSQL, so for every value
 * e = (e / 2^32) * 2^32 + e % 2^32, negative values included.
 */
export function sumTextSql(expr: string, split: boolean): string {
  if (!split) return `CAST(SUM(${expr}) AS TEXT)`;
  return `CAST(SUM((${expr}) / ${SPLIT}) AS TEXT) || ' ' || CAST(SUM((${expr}) % ${SPLIT}) AS TEXT)`;
}

/** A split sum's "high low" text back as the exact integer text of the sum (null stays null). */
export function joinSplitSum(cell: Cell): string | null {
  if (cell === null) return null;
  const [high, low] = String(cell).split(' ');
  if (low === undefined) throw new Error(`joinSplitSum: not a split sum: ${String(cell)}`);
  return (BigInt(high) * SPLIT + BigInt(low)).toString();
}

/**
 * The batches of a grouped scan ordered by its first column, on the plain query; when SQLite
 * reports a sum overflow part way, the split query takes over after the last row already handed
 * out (rows before it summed exactly, and callers may have used them), its rows mended by `mend`
 * into the plain query's shape. Statements already written by `simulate` stay valid.
 */
export async function* resumeOnOverflow(
  db: Db,
  plain: CompiledQuery,
  split: () => CompiledQuery | Promise<CompiledQuery>,
  mend: (row: Cell[]) => void,
  batch: number,
  options: StreamOptions = {},
): AsyncGenerator<Cell[][]> {
  let last: string | null = null;
  try {
    for await (const rows of streamRows(db, plain, batch, options)) {
      if (rows.length) last = (rows[rows.length - 1] as Cell[])[0] as string;
      yield rows as Cell[][];
    }
    return;
  } catch (err) {
    if (!isSumOverflow(err)) throw err;
  }
  for await (const rows of streamRows(db, await split(), batch, options)) {
    const out: Cell[][] = [];
    for (const raw of rows) {
      const row = raw as Cell[];
      if (last !== null && compareBinary(row[0] as string, last) <= 0) continue;
      mend(row);
      out.push(row);
    }
    if (out.length) yield out;
  }
}
