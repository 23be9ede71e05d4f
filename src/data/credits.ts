// Deal credits (SPEC "incentive, in depth"): `import --kind credits` with columns
// deal,rep,share,type, and the read the credited-deal facts use. A deal's rows in a file replace
// all of its stored rows; its revenue shares must total exactly 100% (overlay shares may total
// anything); deal and rep must exist. Any bad row: nothing is written.
//
// The file is streamed (a large sales org's file has a million rows): each row's own checks run as
// it is read, the rows go in batches into a temporary table of the import's transaction, and the
// checks across rows (src/data/credits-checks.ts) and the replacing of each deal's rows are SQL
// over that table, so memory does not grow with the file.
import type { Readable } from 'node:stream';
import { parseFixed, plainFixed, withoutTrailingZeros, type Fixed } from '../money/fixed.js';
import { caseHint } from '../plan/records.js';
import { cappedMicros, creditStage, crossRowProblems } from './credits-checks.js';
import { csvRowBatches, ProblemList, refused } from './csv-rows.js';
import type { Db } from './db.js';
import type { ImportOptions, ImportProblem, ImportResult } from './import.js';
import { RolledBack, withStage, type Stage } from './import-stage.js';

export const creditColumns = ['deal', 'rep', 'share', 'type'] as const;
export type CreditType = 'revenue' | 'overlay';

export interface CreditShare {
  rep: string;
  /** Percent as plain decimal text ("60", "33.3333"). */
  share: string;
  type: CreditType;
}

/** "60", "60%", "33.3333", "50.000000000" → the percent as exact text; null when it is not a share. */
function parseShare(text: string): Fixed | null {
  const parsed = parseFixed(text.endsWith('%') ? text.slice(0, -1).trim() : text);
  // Spreadsheets write fixed decimals: the zeros at the end are not decimals of the share.
  const value = parsed && withoutTrailingZeros(parsed);
  return value && value.scale <= 6 ? value : null;
}

/** Removed shares named in the warning; the rest are counted. */
const REMOVED_SHOWN = 10;

/** Import a credits CSV stream; `file` names it in problems. Progress and waiting are told as for the other kinds. */
export async function importCredits(db: Db, input: Readable, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const started = Date.now();
  let lastProgress = started;
  let rowsRead = 0;
  try {
    return await withStage(db, creditStage, async (stage) => {
      const problems = new ProblemList();
      for await (const batch of csvRowBatches(input, file, 'credits', creditColumns, ['deal', 'rep', 'share'])) {
        // A wrong header or malformed CSV: its problem alone, as the lines after it cannot be trusted.
        if (!batch.ok) throw new RolledBack(refused(batch.problems));
        const own: ImportProblem[] = [...batch.problems];
        const staged: unknown[][] = [];
        for (const { line, values, complete } of batch.rows) {
          // A row without its deal, rep or share (reported by csvRowBatches): its deal's total is unknown.
          if (!complete) {
            if (values.deal !== undefined) staged.push([line, values.deal, null, null, null, null]);
            continue;
          }
          const type = values.type ?? 'revenue';
          if (type !== 'revenue' && type !== 'overlay') {
            own.push({ file, line, field: 'type', message: `expected revenue or overlay, got "${type}"${caseHint(['revenue', 'overlay'], type)}` });
            staged.push([line, values.deal, null, null, null, null]);
            continue;
          }
          const share = parseShare(values.share);
          if (!share || share.units <= 0n) {
            own.push({ file, line, field: 'share', message: `expected a percent more than 0 with at most 6 decimals, like 60 or 33.3333%, got "${values.share}"` });
            staged.push([line, values.deal, null, null, null, null]);
            continue;
          }
          staged.push([line, values.deal, values.rep, plainFixed(share), type, cappedMicros(share)]);
        }
        problems.add(own);
        await stage.add(staged);
        rowsRead += batch.rows.length;
        const at = Date.now();
        if (options.onProgress && at - lastProgress >= (options.progressEvery ?? 1000)) {
          lastProgress = at;
          options.onProgress(rowsRead, (at - started) / 1000);
        }
      }
      // Serves the checks' lookups and groupings by deal, and the replacing.
      await stage.run('CREATE INDEX credits_import_deal ON credits_import (deal, rep, type)');
      await stage.lock();
      for (const check of await crossRowProblems(stage, file)) problems.add(check.problems, check.total);
      if (problems.total) throw new RolledBack(problems.result());
      return replaceShares(stage);
    }, options.onWaiting);
  } catch (err) {
    if (err instanceof RolledBack) return err.value as ImportResult;
    throw err;
  }
}

/** The staged rows (all of them shares: the file had no problem) replace their deals' stored rows. */
async function replaceShares(stage: Stage): Promise<ImportResult> {
  // Two imports of one deal's shares at once must not both delete (nothing yet) and both insert:
  // that leaves revenue shares of 200%. SQLite runs one writer at a time; on PostgreSQL each
  // import first locks its deals' rows, in id order (no deadlock), so the second waits, then
  // deletes what the first wrote: the last import wins, whole. (Counted, so no row comes back.)
  if (stage.dialect === 'postgres') {
    await stage.run('SELECT count(*) FROM (SELECT id FROM deals WHERE id IN (SELECT deal FROM credits_import) ORDER BY id FOR UPDATE) locked');
  }
  // A share the deal had before (same rep and type) is an update, or unchanged with the same
  // percent. Counted under the locks above, which every import of credits takes: exact.
  const [{ staged, inserted, unchanged }] = await stage.all(`
    SELECT count(*) AS staged,
      count(CASE WHEN NOT EXISTS (SELECT 1 FROM credits c WHERE c.deal = s.deal AND c.rep = s.rep AND c.type = s.type) THEN 1 END) AS inserted,
      count(CASE WHEN EXISTS (SELECT 1 FROM credits c WHERE c.deal = s.deal AND c.rep = s.rep AND c.type = s.type AND c.share = s.share) THEN 1 END) AS unchanged
    FROM credits_import s`);
  // A share the deal had that the file leaves out is gone: named, so a re-import of revenue rows
  // alone does not drop the deal's overlay shares unseen. (Ordered by bytes in both dialects:
  // PostgreSQL's columns are COLLATE "C".)
  const removed = await stage.all(`
    SELECT c.deal, c.rep, c.share, c.type, count(*) OVER () AS total FROM credits c
    WHERE c.deal IN (SELECT deal FROM credits_import)
      AND NOT EXISTS (SELECT 1 FROM credits_import s WHERE s.deal = c.deal AND s.rep = c.rep AND s.type = c.type)
    ORDER BY c.deal, c.type, c.rep LIMIT ${REMOVED_SHOWN}`);
  // The deal's stored shares the file does not have as they are go (removed or changed), and the
  // file's shares not stored now come in: a share stored as the file has it keeps its row and updated_at.
  await stage.run(`DELETE FROM credits WHERE deal IN (SELECT deal FROM credits_import)
    AND NOT EXISTS (SELECT 1 FROM credits_import s WHERE s.deal = credits.deal AND s.rep = credits.rep AND s.type = credits.type AND s.share = credits.share)`);
  await stage.run(`INSERT INTO credits (deal, rep, share, type, updated_at) SELECT deal, rep, share, type, CAST(? AS TEXT) FROM credits_import s
    WHERE NOT EXISTS (SELECT 1 FROM credits c WHERE c.deal = s.deal AND c.rep = s.rep AND c.type = s.type) ORDER BY line`, [new Date().toISOString()]);
  const removedCount = removed.length ? Number(removed[0].total) : 0;
  return {
    ok: true, inserted: Number(inserted), updated: Number(staged) - Number(inserted) - Number(unchanged), unchanged: Number(unchanged),
    ...(removedCount ? { removed: removedCount } : {}),
    warnings: removedCount ? [removedSharesWarning(removed as unknown as StoredShare[], removedCount)] : [],
  };
}

interface StoredShare { deal: string; rep: string; share: string; type: string }

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
function removedSharesWarning(shown: StoredShare[], count: number): string {
  const named = shown.map((r) => `${r.deal}: ${r.rep} ${plainFixed(parseFixed(r.share)!)}% ${r.type}`);
  const more = count > shown.length ? `, and ${count - shown.length} more` : '';
  return `${count} share${count === 1 ? '' : 's'} these deals had before ${count === 1 ? 'is' : 'are'} not in the file and ${count === 1 ? 'was' : 'were'} removed (a file replaces all of a deal's shares): ${named.join('; ')}${more}`;
}
