// CSV import of CRM data (SPEC §8): the header names §4 fields, every row is validated with the
// record schemas, every bad row is reported as FILE:LINE: field: message, and a file with any bad
// row writes nothing. Re-importing updates rows by id; a row stored as the file has it is counted
// unchanged and left alone (src/data/import-write.ts).
//
// The file is streamed: records are parsed, validated and written in batches inside one
// transaction while the file is read, so 1M deals need neither the file nor its rows in memory.
// A re-import writes only the file's columns: what a file does not mention keeps its stored value.
// At the first bad row writing stops and the transaction is rolled back at the end; validation
// goes on so every bad row is reported (the first MAX_PROBLEMS of them, and how many in all).
// Per-kind behaviour lives in `kinds`; the per-row step is `validateRow` (src/data/import-rows.ts).
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { DealRecord, LeadRecord, RepRecord } from '../plan/records.js';
import { CsvSyntaxError, csvRecords, notCsvProblem } from './csv.js';
import { columnsOf, type Db } from './db.js';
import { emailKey } from './email-key.js';
import { dealColumns } from './deals.js';
import { IdIndex } from './id-index.js';
import { UndatedWins } from './undated-wins.js';
import { checkHeader, employmentCheck, fastDeal, MAX_PROBLEMS, microsOf, repNamedOtherwise, validateRow, type ImportProblem, type KindSpec } from './import-rows.js';
import { writeImport } from './import-write.js';
import { leadColumns } from './leads.js';
import { repColumns } from './reps.js';
import { importCredits } from './credits.js';
import { importRates } from './rates.js';

export { checkHeader, MAX_PROBLEMS, validateRow, type ImportProblem, type KindSpec } from './import-rows.js';

// credits and rates are checked across rows (shares per deal, one rate per pair and date): their
// own files. Credits stream too, through a staging table (src/data/credits.ts); rates files are
// small and read as one text.
export const importKinds = ['reps', 'deals', 'leads', 'credits', 'rates'] as const;
export type ImportKind = (typeof importKinds)[number];

export type ImportResult =
  /**
   * `unchanged`: rows stored already as the file has them (a re-run of the same file: all of them);
   * they are not written again. `removed`: credits only, the stored shares of the file's deals
   * that the file no longer names.
   */
  | { ok: true; inserted: number; updated: number; unchanged: number; removed?: number; warnings: string[] }
  /** `problems` holds at most MAX_PROBLEMS; `total` counts them all when there were more. */
  | { ok: false; problems: ImportProblem[]; total?: number };

export const kinds: Record<Exclude<ImportKind, 'credits' | 'rates'>, KindSpec> = {
  reps: {
    columns: repColumns, required: ['id', 'name', 'email'], schema: RepRecord, check: employmentCheck,
    row: (r: RepRecord, now) => ({ ...columnsOf(r, repColumns), updated_at: now }),
  },
  deals: {
    columns: dealColumns,
    required: ['id', 'rep', 'amount', 'currency', 'stage'],
    schema: DealRecord,
    fast: fastDeal,
    // The table's CHECKs are stage and type IN (...): DealRecord's enums (and fastDeal's sets).
    checkedBySchema: true,
    // As dealRow (src/data/deals.ts) stores it; micros without Decimal arithmetic on this hot path.
    row: (d: DealRecord, now) => ({
      id: d.id, rep: d.rep, name: d.name, amount: d.amount, currency: d.currency, stage: d.stage, product: d.product,
      type: d.type, source: d.source, closed_at: d.closed_at, contact: d.contact, amount_micros: microsOf(d.amount), updated_at: now,
    }),
  },
  leads: {
    columns: leadColumns, required: ['id', 'email'], schema: LeadRecord,
    row: (l: LeadRecord, now) => ({ ...columnsOf(l, leadColumns), updated_at: now }),
  },
};


export interface ImportOptions {
  /** Called about once a second while rows are read: rows so far, seconds since the start. */
  onProgress?: (rows: number, seconds: number) => void;
  /** SQLite: another process holds the write lock; the import waits for it (see writeImport). */
  onWaiting?: () => void;
  /** Milliseconds between progress calls (default 1000). */
  progressEvery?: number;
}

export function formatProblem(p: ImportProblem): string {
  return `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/** Validate and import CSV text of one kind; `file` names it in problems. */
export async function importCsv(db: Db, kind: ImportKind, text: string, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  return importCsvStream(db, kind, Readable.from([text]), file, options);
}

/** Validate and import the CSV file at `path` (streamed); problems name it as `file`. */
export async function importCsvFile(db: Db, kind: ImportKind, path: string, file = path, options: ImportOptions = {}): Promise<ImportResult> {
  statSync(path); // a missing file is an error of its own (ENOENT), not a CSV problem
  return importCsvStream(db, kind, createReadStream(path), file, options);
}

/**
 * The whole stream as text (for the small rates files), or the problem when its bytes
 * are no CSV text (an .xls is recognised by its bytes, not once decoded).
 */
async function readText(input: Readable, file: string): Promise<{ ok: true; text: string } | { ok: false; problems: ImportProblem[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const bytes = Buffer.concat(chunks);
  const notCsv = notCsvProblem(bytes);
  if (notCsv) return { ok: false, problems: [{ file, line: 1, field: null, message: notCsv }] };
  // Excel's "Unicode Text" is UTF-16LE with its byte-order mark, which the streamed kinds read too (csv-parse).
  return { ok: true, text: bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2).toString('utf16le') : bytes.toString('utf8') };
}

/** Thrown inside the import transaction to roll it back once the file has a problem. */
class Rejected extends Error {}

/** Validate and import a CSV stream of one kind; `file` names it in problems. */
export async function importCsvStream(db: Db, kind: ImportKind, input: Readable, file: string, options: ImportOptions = {}): Promise<ImportResult> {
  if (kind === 'credits') return importCredits(db, input, file, options);
  if (kind === 'rates') {
    const read = await readText(input, file);
    if (!read.ok) return read;
    return importRates(db, read.text, file, options.onWaiting);
  }
  const spec = kinds[kind];
  const problems: ImportProblem[] = [];
  let total = 0;
  const report = (list: ImportProblem[]) => {
    total += list.length;
    for (const p of list) if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const idLines = new IdIndex();
  // Deals (rep) and leads (owner) may name reps not imported yet (a warning), but not a rep by its
  // email or name (an error): each value with the first line naming it.
  const repsNamed = new Map<string, number>();
  let unknownReps: string[] = [];
  // Won deals with an empty closed_at count in no period: paid by nothing, so the import says so.
  const undated = new UndatedWins();
  const started = Date.now();
  let lastProgress = started;
  let rowsRead = 0;

  const read = async (write: (rows: Record<string, unknown>[], columns: readonly string[]) => Promise<void>, reads: Db) => {
    const now = new Date().toISOString();
    let names: string[] | null = null;
    // The file's columns and the stored ones derived from them (updated_at, amount_micros): a file
    // without `timezone` updates reps' names and roles and leaves their time zones as they were.
    let written: string[] | null = null;
    try {
      for await (const batch of csvRecords(input)) {
        let i = 0;
        if (!names) {
          const header = batch[0];
          names = header.fields.map((h) => h.trim().toLowerCase());
          const headerProblems = checkHeader(kind, spec, names, header.line, file);
          // Rows cannot be read under a wrong header: report it alone.
          if (headerProblems.length) { report(headerProblems); throw new Rejected(); }
          i = 1;
        }
        const rows: Record<string, unknown>[] = [];
        // Reps of a file with one of start_date and end_date: checked against the stored other one.
        const oneDate = kind === 'reps' && names.includes('start_date') !== names.includes('end_date');
        const dated: { line: number; record: Record<string, unknown> }[] = [];
        // Won deals of a file without closed_at: dated or not by what is stored.
        const wonKeepingDate: string[] = [];
        for (; i < batch.length; i++) {
          const { line, fields } = batch[i];
          const checked = validateRow(spec, names, fields, line, file);
          if (!checked.ok) { report(checked.problems); continue; }
          const id = String(checked.record.id);
          const first = idLines.firstLine(id, line);
          if (first !== undefined) {
            report([{ file, line, field: 'id', message: `duplicate id "${id}" (first on line ${first})` }]);
            continue;
          }
          if (oneDate) dated.push({ line, record: checked.record });
          const repNamed = kind === 'deals' ? checked.record.rep : kind === 'leads' ? checked.record.owner : null;
          if (repNamed && !repsNamed.has(String(repNamed))) repsNamed.set(String(repNamed), line);
          if (kind === 'deals' && checked.record.stage === 'won') {
            if (!names.includes('closed_at')) wonKeepingDate.push(id);
            else if (checked.record.closed_at === null) undated.note(id);
          }
          if (total === 0) {
            const row = spec.row(checked.record as never, now);
            written ??= Object.keys(row).filter((column) => !spec.columns.includes(column) || names!.includes(column));
            rows.push(row);
          }
        }
        if (dated.length) report(await storedEmploymentProblems(reads, dated, names.includes('start_date') ? 'start_date' : 'end_date', file));
        if (wonKeepingDate.length && total === 0) await undated.noteStored(reads, wonKeepingDate);
        rowsRead += batch.length;
        // Once the file is known bad nothing more is written; the rest is only checked.
        if (total === 0 && written) await write(rows, written);
        const at = Date.now();
        if (options.onProgress && at - lastProgress >= (options.progressEvery ?? 1000)) {
          lastProgress = at;
          options.onProgress(rowsRead, (at - started) / 1000);
        }
      }
    } catch (err) {
      if (!(err instanceof CsvSyntaxError)) throw err;
      report([{ file, line: err.line, field: null, message: err.message }]);
    }
    if (!names && total === 0) report([{ file, line: 1, field: null, message: `empty file: expected a header row naming ${kind} fields` }]);
    if (repsNamed.size) {
      const checked = await checkRepsNamed(reads, repsNamed, kind === 'deals' ? 'rep' : 'owner', file);
      // These are known only once the whole file is read, but belong among the row problems by
      // line (a rep's email on line 3 is listed before a bad amount on line 8), and the first
      // MAX_PROBLEMS listed are the first by line.
      total += checked.problems.length;
      problems.push(...checked.problems);
      problems.sort((a, b) => a.line - b.line);
      problems.splice(MAX_PROBLEMS);
      unknownReps = checked.unknown;
    }
    if (total > 0) throw new Rejected();
  };

  try {
    const counts = await writeImport(db, kind, (writer, reads) => read((rows, columns) => writer.write(rows, columns), reads), { checkedBySchema: spec.checkedBySchema, onWaiting: options.onWaiting });
    const warnings = kind === 'deals' || kind === 'leads' ? unknownRepWarnings(unknownReps, kind) : [];
    const undatedWarning = undated.warning();
    if (undatedWarning) warnings.push(undatedWarning);
    return { ok: true, ...counts, warnings };
  } catch (err) {
    if (!(err instanceof Rejected)) throw err;
    return total > problems.length ? { ok: false, problems, total } : { ok: false, problems };
  }
}

/**
 * A reps file with only `given` of the two employment dates keeps the stored other one, so the
 * pair is checked as employmentCheck checks a row with both: an end before the start is a typo
 * that proration would silently turn into 0 days employed.
 */
async function storedEmploymentProblems(reads: Db, dated: { line: number; record: Record<string, unknown> }[], given: 'start_date' | 'end_date', file: string): Promise<ImportProblem[]> {
  const withDate = dated.filter(({ record }) => record[given]);
  const stored = new Map<string, { start_date: string | null; end_date: string | null }>();
  for (let i = 0; i < withDate.length; i += 500) {
    const ids = withDate.slice(i, i + 500).map(({ record }) => String(record.id));
    for (const rep of await reads.kysely.selectFrom('reps').select(['id', 'start_date', 'end_date']).where('id', 'in', ids).execute()) stored.set(rep.id, rep);
  }
  const problems: ImportProblem[] = [];
  for (const { line, record } of withDate) {
    const rep = stored.get(String(record.id));
    const date = String(record[given]);
    if (given === 'end_date' && rep?.start_date && date < rep.start_date) {
      problems.push({ file, line, field: 'end_date', message: `${date} is before start_date ${rep.start_date} (stored; the file has no start_date column)` });
    } else if (given === 'start_date' && rep?.end_date && date > rep.end_date) {
      problems.push({ file, line, field: 'start_date', message: `${date} is after end_date ${rep.end_date} (stored; the file has no end_date column)` });
    }
  }
  return problems;
}

/**
 * The rep ids a deals or leads file names that no rep has, and a problem for each that is a rep's
 * email or name instead: a deal credited to "ada@acme.example" counts for no rep. An id that is
 * a rep's is fine, whatever it looks like (some teams use emails as rep ids).
 */
async function checkRepsNamed(reads: Db, named: Map<string, number>, column: 'rep' | 'owner', file: string): Promise<{ unknown: string[]; problems: ImportProblem[] }> {
  const values = [...named.keys()];
  const known = new Set<string>();
  for (let i = 0; i < values.length; i += 500) {
    const found = await reads.kysely.selectFrom('reps').select('id').where('id', 'in', values.slice(i, i + 500)).execute();
    for (const { id } of found) known.add(id);
  }
  const unknown = values.filter((v) => !known.has(v));
  const byEmail = new Map<string, string>();
  const byName = new Map<string, string[]>();
  // No reps at all (deals before reps, the 1M-deal bench): no email or name to match.
  const anyRep = known.size > 0 || (await reads.kysely.selectFrom('reps').select('id').limit(1).executeTakeFirst()) !== undefined;
  for (let i = 0; anyRep && i < unknown.length; i += 500) {
    const chunk = unknown.slice(i, i + 500);
    const reps = await reads.kysely.selectFrom('reps').select(['id', 'email', 'name'])
      .where((eb) => eb.or([eb('email_key', 'in', chunk.map(emailKey)), eb('name', 'in', chunk)])).orderBy('id').execute();
    for (const rep of reps) {
      if (!byEmail.has(emailKey(rep.email))) byEmail.set(emailKey(rep.email), rep.id);
      const sameName = byName.get(rep.name) ?? [];
      if (!sameName.includes(rep.id)) byName.set(rep.name, [...sameName, rep.id]);
    }
  }
  const problems: ImportProblem[] = [];
  for (const value of unknown) {
    const message = repNamedOtherwise(value, column, byEmail.get(emailKey(value)), byName.get(value));
    if (message) problems.push({ file, line: named.get(value)!, field: column, message });
  }
  problems.sort((a, b) => a.line - b.line);
  return { unknown: unknown.filter((v) => !byEmail.has(emailKey(v)) && !byName.has(v)), problems };
}

/**
 * Deals and leads may arrive before their reps; say so instead of failing (a lead's owner that is
 * no rep gets no "to lead.owner" email until the rep is imported).
 */
function unknownRepWarnings(missing: string[], kind: 'deals' | 'leads'): string[] {
  if (missing.length === 0) return [];
  const shown = missing.slice(0, 10).join(', ');
  const what = kind === 'deals' ? 'deals name' : 'leads are owned by';
  return [`${what} ${missing.length} rep${missing.length > 1 ? 's' : ''} not in the data source yet: ${shown}${missing.length > 10 ? ', ...' : ''} (import reps too)`];
}
