// The checks of a credits import that span rows, run in SQL against the rows staged in the
// import's temporary table (src/data/import-stage.ts) so that no per-row map grows with the file:
// unknown deals and reps, a rep's second share of one type in a deal, and each deal's revenue
// shares totalling exactly 100%. One query text per check for both dialects. Each check lists its
// first MAX_PROBLEMS problems by line and counts them all (count(*) OVER () before the LIMIT).
//
// A staged row is (line, deal, rep, share, type, micros); a row with a problem of its own (a
// missing value, a bad share or type, reported as it was read) is staged with its deal only (rep
// NULL): its deal's total is then unknown, so the deal gets no "total 90%" on top.
import { cmpFixed, addFixed, mulFixed, parseFixed, plainFixed, FIXED_ZERO, type Fixed } from '../money/fixed.js';
import type { ImportProblem } from './import-rows.js';
import { MAX_PROBLEMS, repNamedOtherwise } from './import-rows.js';
import type { Stage, StageTable } from './import-stage.js';
import { emailKey } from './email-key.js';

export const creditStage: StageTable = {
  name: 'credits_import',
  columns: [
    // The line is the row's key (SQLite: the rowid, so rows are kept in file order).
    { name: 'line', type: 'INTEGER PRIMARY KEY' },
    { name: 'deal', type: 'TEXT NOT NULL' },
    { name: 'rep', type: 'TEXT' },
    /** The percent as exact text (plainFixed). */
    { name: 'share', type: 'TEXT' },
    { name: 'type', type: 'TEXT' },
    /** The share in millionths of a percent, at most ONE_HUNDRED_MICROS + 1: see cappedMicros. */
    { name: 'micros', type: 'INTEGER' },
  ],
};

/** 100% in millionths of a percent (shares have at most 6 decimals). */
const HUNDRED_MICROS = 100_000_000n;

/**
 * A share as an integer SQL can sum exactly: millionths of a percent, capped just above 100%.
 * Shares are more than 0, so a deal whose revenue shares total exactly 100% has none above it, and
 * any capped one makes the capped sum pass 100% as the exact sum does: the capped sum is 100%
 * exactly when the exact one is. A million capped shares sum to at most 10^14 (int64 holds it),
 * where a share of "1e30" percent written out would overflow SQLite's integer sum.
 */
export function cappedMicros(share: Fixed): number {
  const micros = share.units * 10n ** BigInt(6 - share.scale);
  return Number(micros > HUNDRED_MICROS ? HUNDRED_MICROS + 1n : micros);
}

const HUNDRED: Fixed = { units: 100n, scale: 0 };
const ONE: Fixed = { units: 1n, scale: 0 };
/** Lines listed in one deal's "total 90%" problem; a deal split over more rows says how many more. */
const LINES_LISTED = 1000;

// A staged row that is a share (no problem of its own), of a known deal, to a known rep.
const SHARE = 's.rep IS NOT NULL';
const KNOWN_DEAL = 'EXISTS (SELECT 1 FROM deals d WHERE d.id = s.deal)';
const KNOWN_REP = 'EXISTS (SELECT 1 FROM reps r WHERE r.id = s.rep)';

const UNKNOWN_DEALS = `
  SELECT s.line, s.deal, count(*) OVER () AS total FROM credits_import s
  WHERE ${SHARE} AND NOT ${KNOWN_DEAL}
  ORDER BY s.line LIMIT ${MAX_PROBLEMS}`;

// A row of an unknown deal is reported as that (the deal check comes first, as in a row's own checks).
const UNKNOWN_REPS = `
  SELECT s.line, s.rep, count(*) OVER () AS total FROM credits_import s
  WHERE ${SHARE} AND ${KNOWN_DEAL} AND NOT ${KNOWN_REP}
  ORDER BY s.line LIMIT ${MAX_PROBLEMS}`;

// Every share after the first of one rep, type and deal, naming the first one's line.
const DUPLICATES = `
  SELECT line, deal, rep, type, first_line, count(*) OVER () AS total FROM (
    SELECT s.line, s.deal, s.rep, s.type, min(s.line) OVER (PARTITION BY s.deal, s.rep, s.type) AS first_line
    FROM credits_import s WHERE ${SHARE} AND ${KNOWN_DEAL} AND ${KNOWN_REP}
  ) shares
  WHERE line > first_line
  ORDER BY line LIMIT ${MAX_PROBLEMS}`;

// Deals with revenue shares whose capped sum is not 100%, and whose every row is a share of a
// known rep, none twice (count of shares = count of distinct rep and type). The problem is on the
// deal's first revenue line.
const TOTALS = `
  SELECT deal, line, count(*) OVER () AS total FROM (
    SELECT s.deal,
      min(CASE WHEN s.type = 'revenue' THEN s.line END) AS line,
      sum(CASE WHEN s.type = 'revenue' THEN s.micros ELSE 0 END) AS micros,
      count(s.rep) AS shares,
      count(DISTINCT CASE WHEN s.type = 'revenue' THEN s.rep END) + count(DISTINCT CASE WHEN s.type = 'overlay' THEN s.rep END) AS different,
      count(*) AS staged
    FROM credits_import s GROUP BY s.deal
  ) per_deal
  WHERE line IS NOT NULL AND micros <> ${HUNDRED_MICROS} AND shares = staged AND shares = different
    AND EXISTS (SELECT 1 FROM deals d WHERE d.id = per_deal.deal)
    AND NOT EXISTS (SELECT 1 FROM credits_import s WHERE s.deal = per_deal.deal AND NOT ${KNOWN_REP})
  ORDER BY line LIMIT ${MAX_PROBLEMS}`;

// One deal's revenue shares in line order, a page at a time (after line ?).
const REVENUE_PAGE = 10_000;
const REVENUE_OF_DEAL = `
  SELECT line, share FROM credits_import
  WHERE deal = ? AND type = 'revenue' AND line > ?
  ORDER BY line LIMIT ${REVENUE_PAGE}`;

export interface CheckResult { problems: ImportProblem[]; total: number }

const totalOf = (rows: Record<string, unknown>[]) => (rows.length ? Number(rows[0].total) : 0);

/** The cross-row problems of the staged rows: each check's first MAX_PROBLEMS by line and its count. */
export async function crossRowProblems(stage: Stage, file: string): Promise<CheckResult[]> {
  const unknownDeals = await stage.all(UNKNOWN_DEALS);
  const unknownReps = await stage.all(UNKNOWN_REPS);
  const repHints = await repsNamedOtherwise(stage, [...new Set(unknownReps.map((r) => String(r.rep)))]);
  const dealCase = await idsInOtherCase(stage, 'deals', [...new Set(unknownDeals.map((r) => String(r.deal)))]);
  const repCase = await idsInOtherCase(stage, 'reps', [...new Set(unknownReps.map((r) => String(r.rep)))].filter((v) => !repHints.has(v)));
  const duplicates = await stage.all(DUPLICATES);
  const totals = await stage.all(TOTALS);
  const totalProblems: ImportProblem[] = [];
  for (const { deal, line } of totals) totalProblems.push(await totalProblem(stage, String(deal), Number(line), file));
  return [
    {
      total: totalOf(unknownDeals),
      problems: unknownDeals.map((r) => ({ file, line: Number(r.line), field: 'deal', message: `unknown deal "${r.deal}"${dealCase.get(String(r.deal)) ?? ' (import deals first)'}` })),
    },
    {
      total: totalOf(unknownReps),
      problems: unknownReps.map((r) => ({ file, line: Number(r.line), field: 'rep', message: repHints.get(String(r.rep)) ?? `unknown rep "${r.rep}"${repCase.get(String(r.rep)) ?? ' (import reps first)'}` })),
    },
    {
      total: totalOf(duplicates),
      problems: duplicates.map((r) => ({
        file, line: Number(r.line), field: 'rep',
        message: `rep "${r.rep}" already has ${r.type === 'overlay' ? 'an' : 'a'} ${r.type} share of deal "${r.deal}" (line ${Number(r.first_line)})`,
      })),
    },
    { total: totalOf(totals), problems: totalProblems },
  ];
}

/**
 * For the unknown reps listed (at most MAX_PROBLEMS), the problem text when one is a rep's email or
 * name rather than its id, as a deals import words it (repNamedOtherwise): a share exported from a
 * CRM by email would otherwise read "unknown rep" beside a rep that is plainly there.
 */
async function repsNamedOtherwise(stage: Stage, values: string[]): Promise<Map<string, string>> {
  const hints = new Map<string, string>();
  if (values.length === 0) return hints;
  const keys = values.map(emailKey);
  const marks = values.map(() => '?').join(', ');
  const reps = await stage.all(
    `SELECT id, email_key, name FROM reps WHERE email_key IN (${marks}) OR name IN (${marks}) ORDER BY id`,
    [...keys, ...values],
  );
  for (const value of values) {
    const byEmail = reps.find((r) => r.email_key === emailKey(value));
    const message = repNamedOtherwise(value, 'rep', byEmail && String(byEmail.id), reps.filter((r) => r.name === value).map((r) => String(r.id)));
    if (message) hints.set(value, message);
  }
  return hints;
}

/**
 * For the unknown ids listed (at most MAX_PROBLEMS), "; did you mean "D1"? (ids are case-sensitive)"
 * when the table has the id in other capitals ("d1" from a CRM export that lower-cased it). Run
 * only when a file has unknown ids, so the scan `lower(id)` needs costs a clean import nothing.
 */
async function idsInOtherCase(stage: Stage, table: 'deals' | 'reps', values: string[]): Promise<Map<string, string>> {
  const hints = new Map<string, string>();
  if (values.length === 0) return hints;
  const found = await stage.all(`SELECT id FROM ${table} WHERE lower(id) IN (${values.map(() => '?').join(', ')}) ORDER BY id`, values.map((v) => v.toLowerCase()));
  for (const value of values) {
    const ids = found.map((r) => String(r.id)).filter((id) => id.toLowerCase() === value.toLowerCase());
    if (ids.length) hints.set(value, `; did you mean ${ids.map((id) => JSON.stringify(id)).join(' or ')}? (ids are case-sensitive)`);
  }
  return hints;
}

/** "revenue shares of deal D1 total 90%, not 100% (lines 2, 3)": the exact total, read a page of the deal's rows at a time. */
async function totalProblem(stage: Stage, deal: string, line: number, file: string): Promise<ImportProblem> {
  let total = FIXED_ZERO;
  let first: string | null = null;
  const lines: number[] = [];
  let count = 0;
  for (let after = 0; ;) {
    const page = await stage.all(REVENUE_OF_DEAL, [deal, after]);
    for (const r of page) {
      total = addFixed(total, parseFixed(String(r.share))!);
      first ??= String(r.share);
      if (lines.length < LINES_LISTED) lines.push(Number(r.line));
      count++;
    }
    if (page.length < REVENUE_PAGE) break;
    after = Number(page[page.length - 1].line);
  }
  const more = count > lines.length ? `, and ${count - lines.length} more` : '';
  return {
    file, line, field: 'share',
    message: `revenue shares of deal "${deal}" total ${plainFixed(total)}%, not 100% (line${count > 1 ? 's' : ''} ${lines.join(', ')}${more})${fractionHint(total, first!)}`,
  };
}

/** Shares that total 1%: a spreadsheet's 60% cells exported as 0.6, fractions of one. */
function fractionHint(total: Fixed, first: string): string {
  if (cmpFixed(total, ONE) !== 0) return '';
  const percent = plainFixed(mulFixed(parseFixed(first)!, HUNDRED));
  return `; shares are percents: write ${percent} for ${percent}%, not ${first}`;
}
