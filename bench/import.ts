// `npm run bench:import`: `salesflow import --kind deals` of 1,000,000 deals into PostgreSQL,
// against psql's `\copy` of the same CSV into a plain table of the same columns, in the same run
// on the same (throwaway) cluster. Goal: import at least 1/3 of the speed of \copy.
// Sizes: BENCH_DEALS; BENCH_DATABASE_URL=postgres://… uses an existing empty database instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countOf, openDatabase, sql } from '../src/data/db.js';
import { importCsv } from '../src/data/import.js';
import { startPostgres, type TestPostgres } from '../tests/support/postgres.js';

const DEALS = Number(process.env.BENCH_DEALS ?? 1_000_000);
const COLUMNS = 'id,rep,name,amount,currency,stage,product,type,source,closed_at,contact';

/** A CRM-like deals export, the same every run (seeded). */
function dealsCsv(): string {
  let seed = 42;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const stages = ['won', 'won', 'lost', 'open'];
  const lines = [COLUMNS];
  for (let i = 0; i < DEALS; i++) {
    const stage = stages[next(4)];
    const day = new Date(Date.UTC(2026, 0, 1 + next(365))).toISOString().slice(0, 10);
    lines.push(`d${i},r${next(100_000)},"Deal ${i}, Inc",${next(5_000_000)}.${String(next(100)).padStart(2, '0')},USD,${stage},Core,new,web,${stage === 'open' ? '' : day},buyer${i}@example.com`);
  }
  return lines.join('\n') + '\n';
}

function psqlBin(): string {
  const found = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1'], { encoding: 'utf8' }).stdout.trim();
  return found || 'psql';
}

async function main(): Promise<void> {
  let cluster: TestPostgres | null = null;
  const url = process.env.BENCH_DATABASE_URL ?? (cluster = await startPostgres(), await cluster.createDatabase('bench_import'));
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-bench-import-'));
  try {
    const file = join(dir, 'deals.csv');
    writeFileSync(file, dealsCsv());
    const db = await openDatabase(url);
    // The same column types, without constraints or indexes: the cheapest target \copy can have.
    await sql`CREATE TABLE copy_baseline AS SELECT ${sql.raw(COLUMNS)} FROM deals WITH NO DATA`.execute(db.kysely);

    // \copy: the client streams the file, the server parses it; nothing is validated.
    const t0 = performance.now();
    const copy = spawnSync(psqlBin(), [url, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy copy_baseline (${COLUMNS}) FROM '${file}' WITH (FORMAT csv, HEADER true)`], { encoding: 'utf8' });
    const copyMs = performance.now() - t0;
    if (copy.status !== 0) throw new Error(`psql \\copy failed: ${copy.stderr}`);

    // salesflow import: read, parse, validate every row, then COPY + upsert in one transaction.
    const t1 = performance.now();
    const result = await importCsv(db, 'deals', readFileSync(file, 'utf8'), file);
    const importMs = performance.now() - t1;
    if (!result.ok) throw new Error(`import failed: ${result.problems.slice(0, 3).map((p) => p.message).join('; ')}`);
    const stored = await countOf(db, sql`SELECT count(*) FROM deals`);
    await db.close();
    if (stored !== DEALS) throw new Error(`expected ${DEALS} deals, found ${stored}`);

    const ratio = copyMs / importMs;
    process.stdout.write([
      `deals: ${DEALS.toLocaleString('en')} (${(readFileSync(file).length / 1e6).toFixed(0)} MB CSV)`,
      `psql \\copy:        ${copyMs.toFixed(0)} ms`,
      `salesflow import:  ${importMs.toFixed(0)} ms (${result.inserted.toLocaleString('en')} inserted; parse, validate, COPY, upsert)`,
      `speed import / \\copy: ${ratio.toFixed(2)} (goal ≥ 0.33: ${ratio >= 1 / 3 ? 'met' : 'missed'})`,
      '',
    ].join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    cluster?.stop();
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
