// `salesflow import --kind reps|deals|leads|credits|rates FILE.csv`: CRM data into the data source. Every bad
// row is reported as FILE:LINE: field: message and nothing from that file is written. The file is
// streamed; a large one (or any, on a terminal) shows progress on stderr, never on stdout.
// `--source hubspot|salesforce|zoho|NAME` reads that CRM's own export, streamed the same way,
// through its mapping: the applied plan's rules/crm/NAME.yaml, else the built-in preset;
// `--rules PATH` tries the mappings beside other rules (docs/crm.md).
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config.js';
import { DataSourceError, openDatabase, type Db } from '../../data/db.js';
import { formatProblem, importCsvFile, importKinds, type ImportKind, type ImportOptions, type ImportResult } from '../../data/import.js';
import type { CrmMapping } from '../../plan/crm.js';

const USAGE = 'usage: salesflow import --kind reps|deals|leads|credits|rates FILE.csv\n       salesflow import --source hubspot|salesforce|zoho|NAME [--kind deals|leads|reps] [--rules PATH] FILE.csv';

export async function run(args: string[]): Promise<number> {
  let values: { kind?: string; source?: string; rules?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        kind: { type: 'string', short: 'k' }, source: { type: 'string', short: 's' }, rules: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`salesflow import: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const kind = values.kind;
  if (values.source !== undefined) return importFromCrm(values.source, kind, values.rules, positionals);
  if (!kind || !(importKinds as readonly string[]).includes(kind)) {
    process.stderr.write(`salesflow import: --kind must be one of ${importKinds.join(', ')}${kind ? `, not "${kind}"` : ''}\n${USAGE}\n`);
    return 1;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`salesflow import: expected one CSV file, got ${positionals.length}\n${USAGE}\n`);
    return 1;
  }
  const file = positionals[0];
  const size = sizeOf(file);
  if (size === null) return 1;

  const db = await openImportTarget();
  if (!db) return 1;
  try {
    const progress = progressLine(size);
    let result: Awaited<ReturnType<typeof importCsvFile>>;
    try {
      result = await importCsvFile(db, kind as ImportKind, file, file, { onProgress: progress.update, onWaiting: waitingNote(db) });
    } catch (err) {
      if (!(err instanceof DataSourceError)) throw err;
      progress.done();
      process.stderr.write(`salesflow import: ${err.message}\n`);
      return 1;
    }
    progress.done();
    if (!result.ok) {
      const code = reportProblems(file, result);
      if (result.problems.some((p) => p.line === 1 && p.message.startsWith('unknown column'))) {
        const hint = await crmExportHint(file);
        if (hint) process.stderr.write(`${hint}\n`);
      }
      return code;
    }
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    const removed = result.removed ? `, ${result.removed} removed (shares of these deals the file no longer lists)` : '';
    process.stdout.write(`${file}: ${kind} ${importCounts(result)}${removed}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

/**
 * A header of unknown columns that is a CRM's own export ("Record ID", "Deal Name", "Deal Stage"):
 * the command that reads it as such, or null. Without it the user sees one "unknown column" per
 * HubSpot header and no way forward.
 */
async function crmExportHint(file: string): Promise<string | null> {
  const { createReadStream } = await import('node:fs');
  const { csvRecords } = await import('../../data/csv.js');
  const { builtInMapping } = await import('../../connectors/mapping/load.js');
  const { presetNames } = await import('../../connectors/mapping/types.js');
  const { guessKind } = await import('../../connectors/csv-import.js');
  let header: string[] | undefined;
  try {
    const records = csvRecords(createReadStream(file, { end: 64 * 1024 - 1 }), 1);
    header = (await records.next()).value?.[0]?.fields;
    await records.return(undefined);
  } catch {
    return null;
  }
  if (!header) return null;
  // HubSpot's and Zoho's required headers are alike ("Record ID" / "Record Id", "Deal owner"):
  // the preset naming most of the file's columns is the one.
  const names = new Set(header.map((h) => h.trim().toLowerCase()));
  let best: { preset: string; kind: string; score: number } | null = null;
  for (const preset of presetNames) {
    const mapping = builtInMapping(preset);
    const kind = guessKind(mapping, header);
    if (!kind) continue;
    const csv = mapping[kind === 'deals' ? 'deal' : kind === 'leads' ? 'lead' : 'rep'].csv;
    const score = Object.values(csv).flat().filter((h) => names.has(h.trim().toLowerCase())).length;
    if (!best || score > best.score) best = { preset, kind, score };
  }
  return best && `hint: this is a ${best.preset} ${best.kind} export (its own column names): salesflow import --source ${best.preset} ${file} reads it (docs/crm.md)`;
}

/**
 * What the import did to the file's rows: new, changed, and stored already as the file has them, so
 * a re-run of a nightly import shows it changed nothing ("0 inserted, 0 updated, 3 unchanged").
 */
function importCounts(result: { inserted: number; updated: number; unchanged: number }): string {
  return `${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged`;
}

/** Said once when a SQLite import waits for another writer's lock. */
const waitingNote = (db: Db) => () => {
  process.stderr.write(`salesflow import: another process is writing ${db.name}; waiting for it to finish\n`);
};

/** A refused file's problems on stderr, as FILE:LINE: field: message; the exit status. */
function reportProblems(file: string, result: Extract<ImportResult, { ok: false }>): number {
  for (const problem of result.problems) process.stderr.write(`${formatProblem(problem)}\n`);
  const n = result.total ?? result.problems.length;
  if (n > result.problems.length) process.stderr.write(`... and ${n - result.problems.length} more (the first ${result.problems.length} are listed)\n`);
  process.stderr.write(`${file}: ${n} problem${n === 1 ? '' : 's'}; nothing imported\n`);
  return 1;
}

/** The size of the file to import, or null after saying why it cannot be read. */
function sizeOf(file: string): number | null {
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return stat.size;
  } catch (err) {
    process.stderr.write(`salesflow import: cannot read ${file}: ${readProblem(err)}\n`);
    return null;
  }
}

/** Why a file cannot be read, in words (not an errno code). */
function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder, not a CSV file'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
}

/** Files above this size show progress even when stderr is not a terminal (logs of long imports). */
export const LARGE_FILE = 16 * 1024 * 1024;

/**
 * Progress on stderr: on a terminal one line rewritten in place, elsewhere a line per update,
 * and then only for large files, so small imports in scripts stay quiet.
 */
export function progressLine(size: number, stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr): { update: ImportOptions['onProgress']; done: () => void } {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  return {
    update: tty || size >= LARGE_FILE
      ? (rows, seconds) => {
        shown = true;
        const text = `import: ${rows.toLocaleString('en-US')} rows read, ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`;
        stream.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
      }
      : undefined,
    done() {
      if (shown && tty) stream.write('\r\x1b[2K');
    },
  };
}

/**
 * `--source`: the CRM's own export through its mapping; the kind comes from the header unless given.
 * The mapping is the applied plan's (as `serve` uses for webhooks), wherever import runs; `--rules
 * PATH` reads the mappings beside those rules instead, to try one before applying it.
 */
async function importFromCrm(source: string, kind: string | undefined, rules: string | undefined, positionals: string[]): Promise<number> {
  const { findMapping } = await import('../../connectors/mapping/load.js');
  const { importCrmCsvFile, crmKinds } = await import('../../connectors/csv-import.js');
  // Own keys only: `in` found `constructor` and `toString`, and the import died with a TypeError.
  if (kind !== undefined && !Object.hasOwn(crmKinds, kind)) {
    process.stderr.write(`salesflow import: --kind must be one of ${Object.keys(crmKinds).join(', ')}, not "${kind}"\n${USAGE}\n`);
    return 1;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`salesflow import: expected one CSV file, got ${positionals.length}\n${USAGE}\n`);
    return 1;
  }
  const db = await openImportTarget();
  if (!db) return 1;
  try {
    const mappings = rules ? await localMappings(rules) : await appliedMappings(db);
    if (!mappings) return 1;
    const mapping = findMapping(mappings, source);
    if (!mapping) {
      const known = ['hubspot', 'salesforce', 'zoho', ...mappings.map((m) => m.name)];
      const { closest } = await import('../../dsl/index.js');
      const near = closest(source, known);
      const where = rules
        ? `a mapping file ${rules.replace(/\/$/, '')}/crm/${source}.yaml`
        : `rules/crm/${source}.yaml in the applied plan ("salesflow apply"; or --rules PATH to try one)`;
      process.stderr.write(`salesflow import: unknown source "${source}"${near ? ` (did you mean ${near}?)` : ''}: expected ${[...new Set(known)].join(', ')} or ${where}\n`);
      return 1;
    }
    const file = positionals[0];
    const size = sizeOf(file);
    if (size === null) return 1;
    const progress = progressLine(size);
    let result: Awaited<ReturnType<typeof importCrmCsvFile>>;
    try {
      result = await importCrmCsvFile(db, mapping, file, file, {
        kind: kind as keyof typeof crmKinds | undefined, onProgress: progress.update, onWaiting: waitingNote(db),
      });
    } catch (err) {
      if (!(err instanceof DataSourceError)) throw err;
      progress.done();
      process.stderr.write(`salesflow import: ${err.message}\n`);
      return 1;
    }
    progress.done();
    if (!result.ok) return reportProblems(file, result);
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(`${file}: ${mapping.name} ${result.kind} ${importCounts(result)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

/** The mappings beside the rules at `rules` (a trial), or null after printing their errors. */
async function localMappings(rules: string): Promise<CrmMapping[] | null> {
  const { loadMappings } = await import('../../connectors/mapping/load.js');
  const { formatDiagnostics } = await import('../../dsl/index.js');
  // A mistyped path would find no mapping file and fall back to the built-in preset, importing
  // through a mapping other than the one the user meant to try.
  if (!existsSync(rules)) {
    process.stderr.write(`salesflow import: --rules ${rules}: no such file or folder (the rules whose crm/*.yaml mappings to try)\n`);
    return null;
  }
  const loaded = loadMappings([rules]);
  if (loaded.diagnostics.some((d) => d.severity === 'error')) {
    process.stderr.write(`${formatDiagnostics(loaded.diagnostics, 'text')}salesflow import: CRM mappings have errors; fix them first (salesflow check)\n`);
    return null;
  }
  return loaded.mappings;
}

/**
 * The applied plan's mappings; none (built-in presets only) before anything is applied, so a first
 * import of HubSpot owners works on a fresh data source. Null after printing why the plan cannot be read.
 */
async function appliedMappings(db: Db): Promise<CrmMapping[] | null> {
  const { AppliedPlanError, readAppliedPlan } = await import('../../runtime/applied-plan.js');
  try {
    return (await readAppliedPlan(db))?.plan.crm ?? [];
  } catch (err) {
    if (!(err instanceof AppliedPlanError)) throw err;
    process.stderr.write(`salesflow import: ${err.message}\n`);
    return null;
  }
}

/** The configured data source, or null after saying why it cannot be opened. */
async function openImportTarget(): Promise<Db | null> {
  try {
    return await openDatabase(loadConfig().databasePath);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DataSourceError) {
      process.stderr.write(`salesflow import: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}
