// `import --source NAME FILE.csv`: a CRM's own CSV export (HubSpot "Deal Name", "Deal Stage",
// "Close Date", "Deal owner", ...) through the mapping's `csv` headers. Same promise and same
// machinery as salesflow's own import (src/data/import.ts): the file is streamed in batches
// (csvRecords) into one transaction (writeImport), every bad row is reported as
// FILE:LINE: column: message (the first MAX_PROBLEMS, and how many in all), and a file with any
// bad row writes nothing. A 1M-deal export needs neither the file nor its rows in memory.
//
// A row is merged over what salesflow holds for its id (columns the export lacks keep their stored
// values), so each batch first reads the stored records of its ids, in one query per 500.
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { CsvSyntaxError, csvRecords, otherSeparatorProblem, type CsvRecord } from '../data/csv.js';
import { clearAmountStandIns, markAmountStandIns, ownerMatch } from '../data/crm.js';
import { sql, type Db } from '../data/db.js';
import { emailKey } from '../data/email-key.js';
import { dealColumns } from '../data/deals.js';
import { IdIndex } from '../data/id-index.js';
import { UndatedWins } from '../data/undated-wins.js';
import { kinds, MAX_PROBLEMS, type ImportOptions, type ImportProblem, type ImportResult } from '../data/import.js';
import { writeImport } from '../data/import-write.js';
import { leadColumns } from '../data/leads.js';
import { repColumns } from '../data/reps.js';
import type { CrmMapping, Entity } from './mapping/types.js';
import { requiredFields } from './mapping/types.js';
import { MissingAmounts } from './missing-amounts.js';
import { type EntityRow, type OwnerLookup, translateRecord } from './translate.js';

export const crmKinds = { deals: 'deal', leads: 'lead', reps: 'rep' } as const satisfies Record<string, Entity>;
export type CrmKind = keyof typeof crmKinds;

export type CrmImportResult = (ImportResult & { ok: true; kind: CrmKind }) | (ImportResult & { ok: false });

export interface CrmImportOptions extends ImportOptions {
  /** The export's kind; guessed from the header when not given. */
  kind?: CrmKind;
}

const norm = (header: string) => header.trim().toLowerCase();

/** The kind whose required columns the header has (deals before leads before reps). */
export function guessKind(mapping: CrmMapping, header: string[]): CrmKind | null {
  const names = new Set(header.map(norm));
  for (const kind of ['deals', 'leads', 'reps'] as const) {
    const csv = mapping[crmKinds[kind]].csv;
    const required = requiredFields[crmKinds[kind]].filter((f) => !(kind === 'deals' && f === 'stage'));
    if (required.every((f) => csv[f]?.every((h) => names.has(norm(h))))) return kind;
  }
  return null;
}

/** Import a CRM export held as text (tests, small files); `file` names it in problems. */
export async function importCrmCsv(db: Db, mapping: CrmMapping, text: string, file: string, options: CrmImportOptions = {}): Promise<CrmImportResult> {
  return importCrmCsvStream(db, mapping, Readable.from([text]), file, options);
}

/** Import the CRM export at `path`, streamed; problems name it as `file`. */
export async function importCrmCsvFile(db: Db, mapping: CrmMapping, path: string, file = path, options: CrmImportOptions = {}): Promise<CrmImportResult> {
  statSync(path); // a missing file is an error of its own (ENOENT), not a CSV problem
  return importCrmCsvStream(db, mapping, createReadStream(path), file, options);
}

/** Thrown inside the import transaction to roll it back once the file has a problem. */
class Rejected extends Error {}

export async function importCrmCsvStream(db: Db, mapping: CrmMapping, input: Readable, file: string, options: CrmImportOptions = {}): Promise<CrmImportResult> {
  const problem = (line: number, field: string | null, message: string): CrmImportResult => ({ ok: false, problems: [{ file, line, field, message }] });
  const records = csvRecords(input);
  // The header decides the kind and so the table, before the transaction opens.
  let first: CsvRecord[];
  try {
    const next = await records.next();
    first = next.done ? [] : next.value;
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    return problem(err.line, null, err.message);
  }
  const header = first[0];
  const headerProblem = (): CrmImportResult | null => {
    if (!header) return problem(1, null, 'empty file: expected the header row of a CRM export');
    const separator = otherSeparatorProblem(header.fields);
    if (separator) return problem(header.line, null, separator);
    return null;
  };
  const early = headerProblem();
  if (early) { await records.return(undefined); return early; }
  const chosen = options.kind ?? guessKind(mapping, header.fields);
  if (!chosen) {
    await records.return(undefined);
    const expect = (['deals', 'leads', 'reps'] as const)
      .map((k) => `${k}: ${requiredFields[crmKinds[k]].flatMap((f) => mapping[crmKinds[k]].csv[f] ?? []).map((h) => `"${h}"`).join(', ')}`);
    return problem(header.line, null, `the header matches no ${mapping.name} export in ${mapping.file}; expected columns for ${expect.join('; ')} (or pass --kind)`);
  }
  const entity = crmKinds[chosen];
  const columns = new Map<string, number>();
  header.fields.forEach((h, i) => { if (!columns.has(norm(h))) columns.set(norm(h), i); });
  const sources = mapping[entity].csv;
  const missing = requiredFields[entity]
    .filter((f) => !(entity === 'deal' && f === 'stage' && !sources.stage))
    .flatMap((f) => (sources[f] ?? [`(${entity}.csv.${f} not mapped)`]).filter((h) => !columns.has(norm(h))));
  if (missing.length) {
    await records.return(undefined);
    return problem(header.line, null, `missing column${missing.length > 1 ? 's' : ''} ${missing.map((h) => `"${h}"`).join(', ')} (${entity}.csv in ${mapping.file})`);
  }

  const problems: ImportProblem[] = [];
  let total = 0;
  const report = (list: ImportProblem[]) => {
    total += list.length;
    for (const p of list) if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const idColumn = sources[entity === 'rep' ? 'crm_id' : 'id'][0];
  const idIndex = columns.get(norm(idColumn))!;
  const emailColumn = sources.email?.join(' + ') ?? 'email';
  const idLines = new IdIndex();
  // Reps: two CRM users with one email would be one rep (a rep is found by its email).
  const emailLines = new IdIndex();
  const started = Date.now();
  let lastProgress = started;
  let rowsRead = 1; // the header

  // Lines of one field under a header of several: the footer some exports end with (a Salesforce
  // report's title and copyright lines) when nothing else follows them, else each a short row.
  const oneField: { line: number; value: string }[] = [];
  const flushOneField = () => {
    report(oneField.map(({ line }) => ({ file, line, field: null, message: `row has 1 field, the header has ${header.fields.length}` })));
    oneField.length = 0;
  };

  const withoutAmount = new MissingAmounts(mapping, sources.amount?.join(' + ') ?? 'amount');
  // The row is merged over the stored deal, so its closed_at is the one the deal will have.
  const undated = new UndatedWins();

  const body = async (write: (rows: Record<string, unknown>[], columns: readonly string[]) => Promise<void>, reads: Db) => {
    const now = new Date().toISOString();
    const owners = ownerCache(reads, mapping.name);
    const stage = async (batch: CsvRecord[]) => {
      const rows: Record<string, unknown>[] = [];
      const stored = entity === 'rep' ? null : await storedRecords(reads, entity, batch.map((r) => (r.fields[idIndex] ?? '').trim()));
      const translated: { line: number; record: EntityRow }[] = [];
      for (const { line, fields } of batch) {
        if (fields.length === 1) {
          oneField.push({ line, value: fields[0] });
          if (oneField.length > MAX_PROBLEMS) flushOneField();
          continue;
        }
        if (oneField.length) flushOneField();
        if (fields.length !== header.fields.length) {
          const hint = fields.length > header.fields.length ? ' (a comma in a value that is not quoted?)' : '';
          report([{ file, line, field: null, message: `row has ${fields.length} fields, the header has ${header.fields.length}${hint}` }]);
          continue;
        }
        const read = (h: string) => { const i = columns.get(norm(h)); return i === undefined ? undefined : (fields[i] ?? ''); };
        const id = (fields[idIndex] ?? '').trim();
        const result = await translateRecord(mapping, entity, 'csv', read, stored?.get(id) ?? null, owners);
        if (result.ok === false) {
          report(result.problems.map((p) => ({ file, line, field: p.field, message: p.message })));
          continue;
        }
        const firstLine = idLines.firstLine(id, line);
        if (firstLine !== undefined) { report([{ file, line, field: idColumn, message: `duplicate id "${id}" (first on line ${firstLine})` }]); continue; }
        if (result.ok === 'skipped') { withoutAmount.skip(line, result.stage); continue; }
        translated.push({ line, record: result.record as EntityRow });
        if (entity === 'deal') {
          const deal = result.record as { stage: string; closed_at: string | null };
          if (deal.stage === 'won' && !deal.closed_at) undated.note(id);
        }
        if (result.amount) withoutAmount.note(result.record as EntityRow, result.amount);
      }
      if (entity !== 'rep') {
        if (total === 0) {
          for (const { record } of translated) rows.push(kinds[chosen as 'deals' | 'leads'].row(record as never, now));
          // Before the deals they describe are written (see markAmountStandIns).
          await markAmountStandIns(reads, mapping.name, withoutAmount.takeStandIns());
        }
        return rows;
      }
      // A rep salesflow already has (same email) keeps its id and gains the CRM owner id.
      const existing = await repsByEmail(reads, translated.map(({ record }) => String(record.email)));
      for (const { line, record } of translated) {
        const { crm_id: crmId, ...rep } = record;
        const found = existing.get(emailKey(String(rep.email)));
        const merged = found ? { ...found, ...withoutNulls(rep), id: found.id } : rep;
        const firstLine = emailLines.firstLine(emailKey(String(rep.email)), line);
        if (firstLine !== undefined) {
          report([{ file, line, field: emailColumn, message: `${String(rep.email)} is also the email of the user on line ${firstLine}: a rep has one CRM id (leave one of the two rows out)` }]);
          continue;
        }
        // The export's start date against the end date salesflow holds (a mapping cannot fill end_date).
        const { start_date: start, end_date: end } = merged as { start_date?: string | null; end_date?: string | null };
        if (start && end && end < start) {
          report([{ file, line, field: sources.start_date?.join(' + ') ?? 'start_date', message: `${start} is after end_date ${end} (stored for rep ${String(merged.id)})` }]);
          continue;
        }
        if (total === 0) rows.push({ ...kinds.reps.row(merged as never, now), crm_id: crmId });
      }
      return rows;
    };

    try {
      let batch: CsvRecord[] | null = first.slice(1);
      while (batch) {
        const rows = await stage(batch);
        rowsRead += batch.length;
        // Once the file is known bad nothing more is written; the rest is only checked.
        if (total === 0 && rows.length) await write(rows, Object.keys(rows[0]));
        const at = Date.now();
        if (options.onProgress && at - lastProgress >= (options.progressEvery ?? 1000)) {
          lastProgress = at;
          options.onProgress(rowsRead, (at - started) / 1000);
        }
        const next = await records.next();
        batch = next.done ? null : next.value;
      }
      if (oneField.length) {
        const what = oneField.length === 1 ? `this line is not a row (${JSON.stringify(oneField[0].value)})` : `the lines from here on are not rows (${JSON.stringify(oneField[0].value)}, ...)`;
        report([{ file, line: oneField[0].line, field: null, message: `${what}: a report export's footer? Delete ${oneField.length === 1 ? 'it' : 'them'}, or export the report as "Details Only" without it` }]);
        oneField.length = 0;
      }
    } catch (err) {
      if (!(err instanceof CsvSyntaxError)) throw err;
      flushOneField();
      report([{ file, line: err.line, field: null, message: err.message }]);
    }
    if (total > 0) throw new Rejected();
  };

  try {
    const table = entity === 'deal' ? 'deals' : entity === 'lead' ? 'leads' : 'reps';
    const counts = await writeImport(db, table, (writer, reads) => body((rows, cols) => writer.write(rows, cols), reads), {
      // DealRecord's enums are the deals table's CHECKs (as for `import --kind deals`).
      checkedBySchema: entity === 'deal',
      crmIdSource: entity === 'rep' ? mapping.name : undefined,
      onWaiting: options.onWaiting,
    });
    // After the commit: until then the deals may still hold a stand-in (a crash leaves one too many).
    await clearAmountStandIns(db, withoutAmount.givenZero);
    const undatedWarning = undated.warning();
    return { ok: true, ...counts, warnings: [...withoutAmount.warnings(), ...(undatedWarning ? [undatedWarning] : [])], kind: chosen };
  } catch (err) {
    if (!(err instanceof Rejected)) throw err;
    return total > problems.length ? { ok: false, problems, total } : { ok: false, problems };
  } finally {
    await records.return(undefined);
  }
}

/** Owner values → rep ids, looked up once each (an export names the same few hundred owners again and again). */
function ownerCache(reads: Db, source: string): OwnerLookup {
  const known = new Map<string, Awaited<ReturnType<OwnerLookup>>>();
  return async (owner) => {
    const cached = known.get(owner);
    if (cached !== undefined) return cached;
    const rep = await ownerMatch(reads, owner, source);
    // Bounded: a file naming more distinct owners than this only looks some up again.
    if (known.size >= 10_000) known.clear();
    known.set(owner, rep);
    return rep;
  };
}

/** The stored deals or leads with these ids, by id. */
async function storedRecords(reads: Db, entity: 'deal' | 'lead', ids: string[]): Promise<Map<string, EntityRow>> {
  const found = new Map<string, EntityRow>();
  const unique = [...new Set(ids.filter((id) => id !== ''))];
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const rows = entity === 'deal'
      ? await reads.kysely.selectFrom('deals').select(dealColumns).where('id', 'in', chunk).execute()
      : await reads.kysely.selectFrom('leads').select(leadColumns).where('id', 'in', chunk).execute();
    for (const row of rows) found.set(row.id, row);
  }
  return found;
}

/** The stored reps with these emails, by emailKey; the first by id when several share one. */
async function repsByEmail(reads: Db, emails: string[]): Promise<Map<string, EntityRow>> {
  const found = new Map<string, EntityRow>();
  const unique = [...new Set(emails)];
  for (let i = 0; i < unique.length; i += 500) {
    const wanted = unique.slice(i, i + 500).map(emailKey);
    const rows = await reads.kysely.selectFrom('reps').select(repColumns)
      .where('email_key', 'in', wanted).orderBy('id').execute();
    for (const row of rows) if (!found.has(emailKey(row.email))) found.set(emailKey(row.email), row);
  }
  return found;
}

function withoutNulls<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null)) as Partial<T>;
}
