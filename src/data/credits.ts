// Deal credits (SPEC "incentive, in depth"): `import --kind credits` with columns
// deal,rep,share,type, and the read the credited-deal facts use. A deal's rows in a file replace
// all of its stored rows; its revenue shares must total exactly 100% (overlay shares may total
// anything); deal and rep must exist. Any bad row: nothing is written.
import { addFixed, cmpFixed, parseFixed, plainFixed, FIXED_ZERO, type Fixed } from '../money/fixed.js';
import { readCsvRows } from './csv-rows.js';
import { prepared, type Db } from './db.js';
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

/** "60", "60%", "33.3333" → the percent as exact text; null when it is not a share. */
function parseShare(text: string): Fixed | null {
  const value = parseFixed(text.endsWith('%') ? text.slice(0, -1).trim() : text);
  return value && value.scale <= 6 ? value : null;
}

export function importCredits(db: Db, text: string, file: string): ImportResult {
  const read = readCsvRows(text, file, 'credits', creditColumns, ['deal', 'rep', 'share']);
  if (!read.ok) return read;
  const problems: ImportProblem[] = [];
  const knownDeal = prepared(db, 'SELECT 1 FROM deals WHERE id = ?').pluck();
  const knownRep = prepared(db, 'SELECT 1 FROM reps WHERE id = ?').pluck();
  const byDeal = new Map<string, { line: number; credit: CreditShare }[]>();
  const seen = new Map<string, number>();
  for (const { line, values } of read.rows) {
    const type = values.type ?? 'revenue';
    if (type !== 'revenue' && type !== 'overlay') {
      problems.push({ file, line, field: 'type', message: `expected revenue or overlay, got "${type}"` });
      continue;
    }
    const share = parseShare(values.share);
    if (!share || share.units <= 0n) {
      problems.push({ file, line, field: 'share', message: `expected a percent more than 0 with at most 6 decimals, like 60 or 33.3333%, got "${values.share}"` });
      continue;
    }
    if (knownDeal.get(values.deal) === undefined) {
      problems.push({ file, line, field: 'deal', message: `unknown deal "${values.deal}" (import deals first)` });
      continue;
    }
    if (knownRep.get(values.rep) === undefined) {
      problems.push({ file, line, field: 'rep', message: `unknown rep "${values.rep}" (import reps first)` });
      continue;
    }
    const key = `${values.deal}\u001f${values.rep}\u001f${type}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ file, line, field: 'rep', message: `rep "${values.rep}" already has ${type === 'overlay' ? 'an' : 'a'} ${type} share of deal "${values.deal}" (line ${first})` });
      continue;
    }
    seen.set(key, line);
    const rows = byDeal.get(values.deal) ?? [];
    rows.push({ line, credit: { rep: values.rep, share: plainFixed(share), type } });
    byDeal.set(values.deal, rows);
  }
  for (const [deal, rows] of byDeal) {
    const revenue = rows.filter((r) => r.credit.type === 'revenue');
    if (revenue.length === 0) continue;
    const total = revenue.reduce((sum, r) => addFixed(sum, parseFixed(r.credit.share)!), FIXED_ZERO);
    if (cmpFixed(total, HUNDRED) !== 0) {
      problems.push({
        file, line: revenue[0].line, field: 'share',
        message: `revenue shares of deal "${deal}" total ${plainFixed(total)}%, not 100% (lines ${revenue.map((r) => r.line).join(', ')})`,
      });
    }
  }
  if (problems.length) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };

  const now = new Date().toISOString();
  let inserted = 0;
  db.transaction(() => {
    const remove = prepared(db, 'DELETE FROM credits WHERE deal = ?');
    const insert = prepared(db, 'INSERT INTO credits (deal, rep, share, type, updated_at) VALUES (?, ?, ?, ?, ?)');
    for (const [deal, rows] of byDeal) {
      remove.run(deal);
      for (const { credit } of rows) { insert.run(deal, credit.rep, credit.share, credit.type, now); inserted++; }
    }
  }).immediate();
  return { ok: true, inserted, updated: 0, warnings: [] };
}

/** The shares of deals closed in [start, end] (and of undated deals), by deal id. */
export function creditsOfDeals(db: Db, window: { start: string; end: string }): Map<string, CreditShare[]> {
  const rows = prepared(db, `SELECT c.deal, c.rep, c.share, c.type FROM credits c JOIN deals d ON d.id = c.deal
    WHERE d.closed_at BETWEEN ? AND ? OR d.closed_at IS NULL ORDER BY c.deal, c.type DESC, c.rep`)
    .raw(true).all(window.start, window.end) as [string, string, string, CreditType][];
  const byDeal = new Map<string, CreditShare[]>();
  for (const [deal, rep, share, type] of rows) {
    const list = byDeal.get(deal);
    if (list) list.push({ rep, share, type });
    else byDeal.set(deal, [{ rep, share, type }]);
  }
  return byDeal;
}
