// `import --source NAME FILE.csv`: a CRM's own CSV export (HubSpot "Deal Name", "Deal Stage",
// "Close Date", "Deal owner", ...) through the mapping's `csv` headers. Same promise as salesflow's
// own import: every bad row is reported as FILE:LINE: column: message, and a file with any bad row
// writes nothing (all rows are translated first, then written in one transaction).
import { otherSeparatorProblem, parseCsv } from '../data/csv.js';
import { setRepCrmId } from '../data/crm.js';
import { importTransaction, type Db } from '../data/db.js';
import { getDeal, upsertDeal } from '../data/deals.js';
import type { ImportProblem, ImportResult } from '../data/import.js';
import { getLead, upsertLead } from '../data/leads.js';
import { getRepByEmail, upsertRep } from '../data/reps.js';
import type { DealRecord, LeadRecord, RepRecord } from '../plan/records.js';
import type { CrmMapping, Entity } from './mapping/types.js';
import { requiredFields } from './mapping/types.js';
import { dataCrmStore } from './store.js';
import { type EntityRow, translateRecord } from './translate.js';

export const crmKinds = { deals: 'deal', leads: 'lead', reps: 'rep' } as const satisfies Record<string, Entity>;
export type CrmKind = keyof typeof crmKinds;

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

export async function importCrmCsv(db: Db, mapping: CrmMapping, text: string, file: string, kind?: CrmKind): Promise<ImportResult & { kind?: CrmKind }> {
  const problem = (line: number, field: string | null, message: string): ImportResult => ({ ok: false, problems: [{ file, line, field, message }] });
  const parsed = parseCsv(text);
  if (!parsed.ok) return problem(parsed.line, null, parsed.message);
  const [header, ...rows] = parsed.records;
  if (!header) return problem(1, null, 'empty file: expected the header row of a CRM export');
  const separator = otherSeparatorProblem(header.fields);
  if (separator) return problem(header.line, null, separator);
  const chosen = kind ?? guessKind(mapping, header.fields);
  if (!chosen) {
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
    return problem(header.line, null, `missing column${missing.length > 1 ? 's' : ''} ${missing.map((h) => `"${h}"`).join(', ')} (${entity}.csv in ${mapping.file})`);
  }

  const store = dataCrmStore(db);
  const problems: ImportProblem[] = [];
  const records: { line: number; record: EntityRow }[] = [];
  const idLines = new Map<string, number>();
  const idColumn = sources[entity === 'rep' ? 'crm_id' : 'id'][0];
  for (const row of rows) {
    if (row.fields.every((f) => f.trim() === '')) continue;
    const read = (h: string) => { const i = columns.get(norm(h)); return i === undefined ? undefined : (row.fields[i] ?? ''); };
    const id = (read(idColumn) ?? '').trim();
    const stored = id && entity !== 'rep' ? await (entity === 'deal' ? getDeal(db, id) : getLead(db, id)) : null;
    const result = await translateRecord(mapping, entity, 'csv', read, stored, (o) => store.repIdForOwner(o));
    if (!result.ok) {
      problems.push(...result.problems.map((p) => ({ file, line: row.line, field: p.field, message: p.message })));
      continue;
    }
    const first = idLines.get(id);
    if (first !== undefined) { problems.push({ file, line: row.line, field: idColumn, message: `duplicate id "${id}" (first on line ${first})` }); continue; }
    idLines.set(id, row.line);
    records.push({ line: row.line, record: result.record as EntityRow });
  }
  if (problems.length) return { ok: false, problems };

  const now = new Date().toISOString();
  let inserted = 0;
  let updated = 0;
  await importTransaction(db, async (tx) => {
    for (const { record } of records) {
      let outcome: 'inserted' | 'updated';
      if (entity === 'deal') outcome = await upsertDeal(tx, record as DealRecord, now);
      else if (entity === 'lead') outcome = await upsertLead(tx, record as LeadRecord, now);
      else {
        // A rep salesflow already has (same email) keeps its id and gains the CRM owner id.
        const { crm_id: crmId, ...rep } = record as RepRecord & { crm_id: string };
        const existing = await getRepByEmail(tx, rep.email);
        const merged = existing ? { ...existing, ...withoutNulls(rep), id: existing.id } : rep;
        outcome = await upsertRep(tx, merged as RepRecord, now);
        await setRepCrmId(tx, merged.id, crmId);
      }
      if (outcome === 'inserted') inserted++; else updated++;
    }
  });
  return { ok: true, inserted, updated, warnings: [], kind: chosen };
}

function withoutNulls<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null)) as Partial<T>;
}
