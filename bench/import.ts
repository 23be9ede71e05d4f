// `npm run bench:import`: `salesflow import --kind deals` (streaming, src/data/import-stream.ts)
// of 1,000,000 deals into a fresh data source, against `sqlite3 .import` of the same file in the
// same run. Goals (issue #13): at least 1/3 of sqlite3's speed, peak RSS at most 200 MB. The
// import runs in a child process so its peak RSS is its own. Generation is not timed.
// Sizes: BENCH_DEALS; BENCH_KEEP=1 keeps the generated files.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/data/db.js';
import { importCsvFile } from '../src/data/import-stream.js';

const DEALS = Number(process.env.BENCH_DEALS ?? 1_000_000);

async function generate(path: string): Promise<void> {
  const out = createWriteStream(path);
  const write = (text: string) => new Promise<void>((resolve) => { if (out.write(text)) resolve(); else out.once('drain', () => resolve()); });
  await write('id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\n');
  const stages = ['open', 'won', 'lost'];
  const types = ['new', 'renewal', 'expansion'];
  let chunk = '';
  for (let i = 0; i < DEALS; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    chunk += `D${i},r${i % 1000},"Deal ${i}, Inc",${(i * 37) % 100000}.${String(i % 100).padStart(2, '0')},USD,${stages[i % 3]},Analytics,${types[i % 3]},web,2026-03-${day},buyer${i}@example.com\n`;
    if (chunk.length > 1 << 20) { await write(chunk); chunk = ''; }
  }
  await write(chunk);
  await new Promise<void>((resolve) => out.end(resolve));
}

async function child(csv: string, db: string): Promise<void> {
  const data = openDatabase(db);
  const started = performance.now();
  const result = await importCsvFile(data, 'deals', csv, csv);
  const ms = performance.now() - started;
  data.close();
  if (!result.ok) throw new Error(`import failed: ${JSON.stringify(result.problems.slice(0, 3))}`);
  process.stdout.write(JSON.stringify({ ms, inserted: result.inserted, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(process.argv[3], process.argv[4]);
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-bench-import-'));
  try {
    const csv = join(dir, 'deals.csv');
    await generate(csv);
    const mb = (statSync(csv).size / 1024 / 1024).toFixed(1);

    const base = join(dir, 'sqlite3.db');
    const t0 = performance.now();
    const sqlite = spawnSync('sqlite3', [base, '.import --csv ' + csv + ' deals'], { encoding: 'utf8' });
    const sqliteMs = performance.now() - t0;
    if (sqlite.status !== 0) throw new Error(`sqlite3 .import failed: ${sqlite.stderr}`);

    const ours = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'child', csv, join(dir, 'salesflow.db')], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (ours.status !== 0) throw new Error(`salesflow import failed: ${ours.stderr}`);
    const { ms, inserted, maxRssMb } = JSON.parse(ours.stdout) as { ms: number; inserted: number; maxRssMb: number };

    const ratio = sqliteMs / ms;
    console.log(`deals: ${DEALS.toLocaleString('en')} (${mb} MB CSV), ${inserted.toLocaleString('en')} imported`);
    console.log(`sqlite3 .import:        ${(sqliteMs / 1000).toFixed(2)} s`);
    console.log(`salesflow import:       ${(ms / 1000).toFixed(2)} s (${Math.round(DEALS / (ms / 1000)).toLocaleString('en')} rows/s)`);
    console.log(`speed vs sqlite3:       ${ratio.toFixed(2)} (goal >= 0.33) ${ratio >= 1 / 3 ? 'OK' : 'MISSED'}`);
    console.log(`peak RSS of the import: ${maxRssMb.toFixed(0)} MB (goal <= 200) ${maxRssMb <= 200 ? 'OK' : 'MISSED'}`);
  } finally {
    if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
