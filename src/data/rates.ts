// Exchange rates (SPEC "incentive, in depth"): `import --kind rates` with columns
// currency,to,rate,from (1 `currency` = `rate` `to`, effective from `from` until the pair's next
// row), and the lookup conversion uses: the rate effective on a deal's `closed_at`, for its
// currency to the rule's, with no inverse and no chains. A file with any bad row writes nothing.
import { parseFixed, plainFixed, withoutTrailingZeros } from '../money/fixed.js';
import { parseDay } from '../payouts/period.js';
import { readCsvRows, refused } from './csv-rows.js';
import { importTransaction, type Db } from './db.js';
import type { ImportProblem, ImportResult } from './import.js';

export const rateColumns = ['currency', 'to', 'rate', 'from'] as const;

const CODE = /^[A-Z]{3}$/;

/** `onWaiting`: SQLite, told once when another process holds the write lock and the import waits. */
export async function importRates(db: Db, text: string, file: string, onWaiting?: () => void): Promise<ImportResult> {
  const read = readCsvRows(text, file, 'rates', rateColumns, rateColumns);
  if (!read.ok) return refused(read.problems);
  const problems: ImportProblem[] = [...read.problems];
  const seen = new Map<string, number>();
  const rows: { currency: string; to: string; rate: string; from: string }[] = [];
  for (const { line, values, complete } of read.rows) {
    if (!complete) continue; // its missing value is among read.problems
    const { currency, to, from } = values;
    let bad = false;
    for (const field of ['currency', 'to'] as const) {
      if (!CODE.test(values[field])) {
        problems.push({ file, line, field, message: `expected a currency code of 3 capital letters (ISO 4217), like EUR, got "${values[field]}"` });
        bad = true;
      }
    }
    if (!bad && currency === to) { problems.push({ file, line, field: 'to', message: `a rate converts between two currencies; both are ${currency}` }); bad = true; }
    // Finance systems export fixed decimals (1.0834500000): trailing zeros are not decimals of the rate.
    const parsed = parseFixed(values.rate);
    const rate = parsed && withoutTrailingZeros(parsed);
    if (!rate || rate.units <= 0n || rate.scale > 8) {
      problems.push({ file, line, field: 'rate', message: `expected a rate more than 0 with at most 8 decimals, like 1.08345, got "${values.rate}"` });
      bad = true;
    }
    if (parseDay(from) === null) { problems.push({ file, line, field: 'from', message: `expected a date YYYY-MM-DD, got "${from}"` }); bad = true; }
    if (bad) continue;
    const key = `${currency}\u001f${to}\u001f${from}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ file, line, field: 'from', message: `a second ${currency} to ${to} rate from ${from} (first on line ${first})` });
      continue;
    }
    seen.set(key, line);
    rows.push({ currency, to, rate: plainFixed(rate!), from });
  }
  if (problems.length) return refused(problems);

  const now = new Date().toISOString();
  let inserted = 0;
  let changed = 0;
  // In batches: a row at a time (a SELECT and an upsert each) took 17 s for a 20,000-row file of
  // daily rates on PostgreSQL. The stored keys are read first, inside the import's lock (the
  // transaction on SQLite, the import lock on PostgreSQL), so the count of new rows is exact; the
  // upsert rewrites a stored rate only when it differs, and counts the rows it wrote.
  await importTransaction(db, async (tx) => {
    const stored = new Set<string>();
    const currencies = [...new Set(rows.map((r) => r.currency))];
    for (let i = 0; i < currencies.length; i += 500) {
      const found = await tx.kysely.selectFrom('rates').select(['currency', 'to_currency', 'from_date'])
        .where('currency', 'in', currencies.slice(i, i + 500)).execute();
      for (const r of found) stored.add(`${r.currency}\u001f${r.to_currency}\u001f${r.from_date}`);
    }
    for (const r of rows) if (!stored.has(`${r.currency}\u001f${r.to}\u001f${r.from}`)) inserted++;
    for (let i = 0; i < rows.length; i += 500) {
      const [result] = await tx.kysely.insertInto('rates')
        .values(rows.slice(i, i + 500).map((r) => ({ currency: r.currency, to_currency: r.to, rate: r.rate, from_date: r.from, updated_at: now })))
        .onConflict((oc) => oc.columns(['currency', 'to_currency', 'from_date']).doUpdateSet((eb) => ({
          rate: eb.ref('excluded.rate'), updated_at: eb.ref('excluded.updated_at'),
        })).whereRef('rates.rate', '<>', 'excluded.rate'))
        .execute();
      changed += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
  }, onWaiting);
  return { ok: true, inserted, updated: changed - inserted, unchanged: rows.length - changed, warnings: [] };
}

export interface EffectiveRate { from: string; rate: string }

/** Rates into `to`, by source currency, each list in ascending `from` order. */
export class RateTable {
  constructor(private readonly byCurrency: Map<string, EffectiveRate[]>) {}

  static async into(db: Db, to: string): Promise<RateTable> {
    const rows = await db.kysely.selectFrom('rates').select(['currency', 'from_date', 'rate'])
      .where('to_currency', '=', to).orderBy('currency').orderBy('from_date').execute();
    const byCurrency = new Map<string, EffectiveRate[]>();
    for (const { currency, from_date: from, rate } of rows) {
      const list = byCurrency.get(currency);
      if (list) list.push({ from, rate }); else byCurrency.set(currency, [{ from, rate }]);
    }
    return new RateTable(byCurrency);
  }

  /** The earliest `from` of the pair's rates, or null when it has none. */
  firstFrom(currency: string): string | null {
    return this.byCurrency.get(currency)?.[0]?.from ?? null;
  }

  /** The rate effective on `date` (the last row from on or before it), or null. */
  on(currency: string, date: string): EffectiveRate | null {
    const list = this.byCurrency.get(currency);
    if (!list) return null;
    let lo = 0;
    let hi = list.length - 1;
    let found: EffectiveRate | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].from <= date) { found = list[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }
}
