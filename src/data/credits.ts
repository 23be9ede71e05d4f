// Deal credits (SPEC "incentive, in depth"): `import --kind credits` with columns
// deal,rep,share,type, and the read the credited-deal facts use. A deal's rows in a file replace
// all of its stored rows; its revenue shares must total exactly 100% (overlay shares may total
// anything); deal and rep must exist. Any bad row: nothing is written.
import { addFixed, cmpFixed, mulFixed, parseFixed, plainFixed, withoutTrailingZeros, FIXED_ZERO, type Fixed } from '../money/fixed.js';
import { readCsvRows, refused } from './csv-rows.js';
import { compareBinary } from './text-order.js';
import { importTransaction, type Db } from './db.js';
import type { ImportProblem, ImportResult } from './import.js';

export const creditColumns = ['deal', 'rep', 'share', 'type'] as const;
export type CreditType = 'revenue' | 'overlay';

export interface CreditShare {
  rep: string;
  /** Percent as plain decimal text ("60", "33.3333"). */
  share: string;
  type: CreditType;
}

const HUNDRED: Fixed = { units: 100n, scale: 0 };
const ONE: Fixed = { units: 1n, scale: 0 };

/** "60", "60%", "33.3333", "50.000000000" → the percent as exact text; null when it is not a share. */
function parseShare(text: string): Fixed | null {
  const parsed = parseFixed(text.endsWith('%') ? text.slice(0, -1).trim() : text);
  // Spreadsheets write fixed decimals: the zeros at the end are not decimals of the share.
  const value = parsed && withoutTrailingZeros(parsed);
  return value && value.scale <= 6 ? value : null;
}

/** Shares that total 1%: a spreadsheet's 60% cells exported as 0.6, fractions of one. */
function fractionHint(total: Fixed, first: string): string {
  if (cmpFixed(total, ONE) !== 0) return '';
  const percent = plainFixed(mulFixed(parseFixed(first)!, HUNDRED));
  return `; shares are percents: write ${percent} for ${percent}%, not ${first}`;
}

/** Which of these ids the table has (in batches, so a large file is a few queries, not one per row). */
async function existing(db: Db, table: 'deals' | 'reps', ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db.kysely.selectFrom(table).select('id').where('id', 'in', unique.slice(i, i + 500)).execute();
    for (const r of rows) found.add(r.id);
  }
  return found;
}

/** `onWaiting`: SQLite, told once when another process holds the write lock and the import waits. */
export async function importCredits(db: Db, text: string, file: string, onWaiting?: () => void): Promise<ImportResult> {
  const read = readCsvRows(text, file, 'credits', creditColumns, ['deal', 'rep', 'share']);
  if (!read.ok) return refused(read.problems);
  const problems: ImportProblem[] = [...read.problems];
  const deals = await existing(db, 'deals', read.rows.flatMap((r) => (r.values.deal === undefined ? [] : [r.values.deal])));
  const reps = await existing(db, 'reps', read.rows.flatMap((r) => (r.values.rep === undefined ? [] : [r.values.rep])));
  const knownDeal = { get: (id: string) => (deals.has(id) ? 1 : undefined) };
  const knownRep = { get: (id: string) => (reps.has(id) ? 1 : undefined) };
  const byDeal = new Map<string, { line: number; credit: CreditShare }[]>();
  const seen = new Map<string, number>();
  // A deal with a rejected row has no meaningful total (its 100% may include that row): its rows'
  // own problems are reported, not also "total 90%".
  const incomplete = new Set<string>();
  for (const { line, values, complete } of read.rows) {
    // A row without its deal, rep or share (reported by readCsvRows): its deal's total is unknown.
    if (!complete) {
      if (values.deal !== undefined) incomplete.add(values.deal);
      continue;
    }
    const type = values.type ?? 'revenue';
    if (type !== 'revenue' && type !== 'overlay') {
      problems.push({ file, line, field: 'type', message: `expected revenue or overlay, got "${type}"` });
      incomplete.add(values.deal);
      continue;
    }
    const share = parseShare(values.share);
    if (!share || share.units <= 0n) {
      problems.push({ file, line, field: 'share', message: `expected a percent more than 0 with at most 6 decimals, like 60 or 33.3333%, got "${values.share}"` });
      incomplete.add(values.deal);
      continue;
    }
    if (knownDeal.get(values.deal) === undefined) {
      problems.push({ file, line, field: 'deal', message: `unknown deal "${values.deal}" (import deals first)` });
      continue;
    }
    if (knownRep.get(values.rep) === undefined) {
      problems.push({ file, line, field: 'rep', message: `unknown rep "${values.rep}" (import reps first)` });
      incomplete.add(values.deal);
      continue;
    }
    const key = `${values.deal}\u001f${values.rep}\u001f${type}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ file, line, field: 'rep', message: `rep "${values.rep}" already has ${type === 'overlay' ? 'an' : 'a'} ${type} share of deal "${values.deal}" (line ${first})` });
      incomplete.add(values.deal);
      continue;
    }
    seen.set(key, line);
    const rows = byDeal.get(values.deal) ?? [];
    rows.push({ line, credit: { rep: values.rep, share: plainFixed(share), type } });
    byDeal.set(values.deal, rows);
  }
  for (const [deal, rows] of byDeal) {
    if (incomplete.has(deal)) continue;
    const revenue = rows.filter((r) => r.credit.type === 'revenue');
    if (revenue.length === 0) continue;
    const total = revenue.reduce((sum, r) => addFixed(sum, parseFixed(r.credit.share)!), FIXED_ZERO);
    if (cmpFixed(total, HUNDRED) !== 0) {
      problems.push({
        file, line: revenue[0].line, field: 'share',
        message: `revenue shares of deal "${deal}" total ${plainFixed(total)}%, not 100% (lines ${revenue.map((r) => r.line).join(', ')})${fractionHint(total, revenue[0].credit.share)}`,
      });
    }
  }
  if (problems.length) return refused(problems);

  const now = new Date().toISOString();
  let inserted = 0;
  let updated = 0;
  let removed: { deal: string; rep: string; share: string; type: string }[] = [];
  // One transaction: a deal's old rows go and its new ones come together, or not at all.
  await importTransaction(db, async (tx) => {
    const dealIds = [...byDeal.keys()].sort();
    // Two imports of one deal's shares at once must not both delete (nothing yet) and both insert:
    // that leaves revenue shares of 200%. SQLite runs one writer at a time; on PostgreSQL each
    // import first locks its deals' rows, in id order (no deadlock), so the second waits, then
    // deletes what the first wrote: the last import wins, whole.
    if (tx.dialect === 'postgres') {
      for (let i = 0; i < dealIds.length; i += 500) {
        await tx.kysely.selectFrom('deals').select('id').where('id', 'in', dealIds.slice(i, i + 500)).orderBy('id').forUpdate().execute();
      }
    }
    // A share the deal had before (same rep and type) is an update, so a re-import says it changed nothing new.
    const before = new Map<string, { deal: string; rep: string; share: string; type: string }>();
    for (let i = 0; i < dealIds.length; i += 500) {
      const chunk = dealIds.slice(i, i + 500);
      for (const r of await tx.kysely.selectFrom('credits').select(['deal', 'rep', 'share', 'type']).where('deal', 'in', chunk).execute()) {
        before.set(`${r.deal}\u001f${r.rep}\u001f${r.type}`, r);
      }
      await tx.kysely.deleteFrom('credits').where('deal', 'in', chunk).execute();
    }
    const rows = [...byDeal].flatMap(([deal, list]) => list.map(({ credit }) => ({ deal, rep: credit.rep, share: credit.share, type: credit.type, updated_at: now })));
    for (let i = 0; i < rows.length; i += 500) {
      await tx.kysely.insertInto('credits').values(rows.slice(i, i + 500)).execute();
    }
    const kept = new Set(rows.map((r) => `${r.deal}\u001f${r.rep}\u001f${r.type}`));
    updated = rows.filter((r) => before.has(`${r.deal}\u001f${r.rep}\u001f${r.type}`)).length;
    inserted = rows.length - updated;
    // A share the deal had that the file leaves out is gone: named, so a re-import of revenue rows
    // alone does not drop the deal's overlay shares unseen.
    removed = [...before].filter(([key]) => !kept.has(key)).map(([, r]) => r)
      .sort((a, b) => compareBinary(a.deal, b.deal) || compareBinary(a.type, b.type) || compareBinary(a.rep, b.rep));
  }, onWaiting);
  return { ok: true, inserted, updated, ...(removed.length ? { removed: removed.length } : {}), warnings: removed.length ? [removedSharesWarning(removed)] : [] };
}

/** The shares of deals closed in [start, end] (and of undated deals), by deal id. */
export async function creditsOfDeals(db: Db, window: { start: string; end: string }): Promise<Map<string, CreditShare[]>> {
  const rows = await db.kysely.selectFrom('credits as c').innerJoin('deals as d', 'd.id', 'c.deal')
    .select(['c.deal', 'c.rep', 'c.share', 'c.type'])
    .where((eb) => eb.or([eb('d.closed_at', '>=', window.start).and('d.closed_at', '<=', window.end), eb('d.closed_at', 'is', null)]))
    .orderBy('c.deal').orderBy('c.type', 'desc').orderBy('c.rep')
    .execute();
  const byDeal = new Map<string, CreditShare[]>();
  for (const { deal, rep, share, type: t } of rows) {
    const type = t as CreditType;
    const list = byDeal.get(deal);
    if (list) list.push({ rep, share, type });
    else byDeal.set(deal, [{ rep, share, type }]);
  }
  return byDeal;
}

/**
 * Said when a re-import dropped shares a deal had: the file replaces all of a deal's rows, so a
 * file written to change one rep's share silently took away another rep's overlay.
 */
function removedSharesWarning(removed: { deal: string; rep: string; share: string; type: string }[]): string {
  const shown = removed.slice(0, 10).map((r) => `${r.deal}: ${r.rep} ${plainFixed(parseFixed(r.share)!)}% ${r.type}`);
  const more = removed.length > 10 ? `, and ${removed.length - 10} more` : '';
  return `${removed.length} share${removed.length === 1 ? '' : 's'} these deals had before ${removed.length === 1 ? 'is' : 'are'} not in the file and ${removed.length === 1 ? 'was' : 'were'} removed (a file replaces all of a deal's shares): ${shown.join('; ')}${more}`;
}
