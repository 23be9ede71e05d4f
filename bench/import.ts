// `npm run bench:import`: `salesflow import --kind deals` of a generated 1M-deal CSV, against the
// database's own bulk loader reading the same file into an equivalent table in the same run:
// SQLite's `sqlite3 .import`, and with BENCH_PG (or `-- --pg`) PostgreSQL's `psql \copy` on a
// throwaway cluster (tests/support/postgres.ts). Goals (issues #13, #10): at least 1/3 of the
// loader's speed, peak RSS of the salesflow process ≤ 200 MB.
//
// Every contender runs as a child process under /usr/bin/time, which reports its wall time, CPU
// time and peak RSS (getrusage's maxrss) exactly; generation is not timed. The "equivalent table"
// has the CSV's columns, the same primary key and the same three indexes as salesflow's deals.
// Sizes: BENCH_DEALS (default 1,000,000); BENCH_RUNS runs each (median, default 1); BENCH_ONLY=sqlite|pg.
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { measure, median, type Measured } from './measure.js';
import { random } from './seeded-random.js';

const DEALS = Number(process.env.BENCH_DEALS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const pgWanted = process.argv.includes('--pg') || process.env.BENCH_PG === '1' || process.env.BENCH_ONLY === 'pg';
const sqliteWanted = process.env.BENCH_ONLY !== 'pg';
// npm runs scripts in the package folder.
const root = process.cwd();
const cli = join(root, 'bin', 'salesflow.js');
const RSS_GOAL_MB = 200;

/** A deals export as a CRM writes it: quoted names with commas, decimals, dates, some empty fields. */
async function generate(path: string): Promise<void> {
  const out = createWriteStream(path);
  const rnd = random(42);
  const products = ['Core', 'Core', 'Core', 'Analytics', 'Platform'];
  const types = ['new', 'new', 'renewal', 'expansion'];
  let buf = 'id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\r\n';
  for (let i = 0; i < DEALS; i++) {
    const draw = rnd();
    const stage = draw < 0.6 ? 'won' : draw < 0.8 ? 'lost' : 'open';
    const date = stage === 'open' ? '' : new Date(Date.UTC(2026, 0, 1 + Math.floor(rnd() * 365))).toISOString().slice(0, 10);
    const amount = (Math.floor(rnd() * 5_000_000) / 100).toFixed(2);
    const name = i % 3 === 0 ? `"Account ${i % 20_000}, Inc."` : `Account ${i % 20_000} expansion`;
    const contact = i % 4 === 0 ? '' : `buyer${i % 50_000}@customer${i % 997}.example`;
    buf += `d${i},r${i % 100_000},${name},${amount},USD,${stage},${products[i % 5]},${types[i % 4]},${i % 2 ? 'web' : ''},${date},${contact}\r\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buf = '';
    }
  }
  out.end(buf);
  await new Promise<void>((resolve, reject) => { out.on('finish', () => resolve()); out.on('error', reject); });
}

function summarize(label: string, baselineName: string, baseline: Measured[], ours: Measured[]): boolean {
  const b = { wall: median(baseline.map((m) => m.wall)), cpu: median(baseline.map((m) => m.cpu)) };
  const o = { wall: median(ours.map((m) => m.wall)), cpu: median(ours.map((m) => m.cpu)) };
  const rss = Math.max(...ours.map((m) => m.rssMb));
  const ratio = b.wall / o.wall;
  const ok = ratio >= 1 / 3 && rss <= RSS_GOAL_MB;
  const s = (x: number) => `${x.toFixed(2)} s`;
  process.stdout.write(
    `${label}: ${baselineName} ${s(b.wall)} (cpu ${s(b.cpu)}); salesflow import ${s(o.wall)} (cpu ${s(o.cpu)}), peak RSS ${rss.toFixed(0)} MB\n` +
    `${label}: speed ratio ${ratio.toFixed(2)} of ${baselineName} (goal ≥ 0.33; by cpu time ${(b.cpu / o.cpu).toFixed(2)}), ` +
    `peak RSS ${rss.toFixed(0)} MB (goal ≤ ${RSS_GOAL_MB}): ${ok ? 'goal met' : 'GOAL NOT MET'}\n`,
  );
  return ok;
}

function expectImported(m: Measured): void {
  if (!m.stdout.includes(`deals ${DEALS} inserted`)) throw new Error(`salesflow import did not report ${DEALS} inserted: ${m.stdout}`);
}

const equivalentTable = (text: string) => `
  CREATE TABLE deals (id ${text} PRIMARY KEY, rep ${text} NOT NULL, name ${text}, amount ${text} NOT NULL, currency ${text} NOT NULL,
    stage ${text} NOT NULL, product ${text}, type ${text}, source ${text}, closed_at ${text}, contact ${text});
  CREATE INDEX deals_rep_closed ON deals(rep, closed_at);
  CREATE INDEX deals_closed ON deals(closed_at);
  CREATE INDEX deals_contact ON deals(contact);`;

function benchSqlite(dir: string, csv: string): boolean {
  if (!existsSync('/usr/bin/sqlite3')) {
    process.stdout.write('sqlite: skipped, no /usr/bin/sqlite3 to compare with\n');
    return true;
  }
  const baseline: Measured[] = [];
  const ours: Measured[] = [];
  for (let run = 0; run < RUNS; run++) {
    const base = join(dir, `baseline-${run}.db`);
    baseline.push(measure('/usr/bin/sqlite3', [base], {}, `${equivalentTable('TEXT')}\n.mode csv\n.import --skip 1 ${csv} deals\n`));
    rmSync(base, { force: true });
    const db = join(dir, `salesflow-${run}.db`);
    const m = measure(process.execPath, [cli, 'import', '--kind', 'deals', csv], { DATABASE_URL: db });
    expectImported(m);
    ours.push(m);
    for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  }
  return summarize('sqlite', 'sqlite3 .import', baseline, ours);
}

async function benchPostgres(csv: string): Promise<boolean> {
  const { postgresUnavailable, startPostgres } = await import('../tests/support/postgres.js');
  if (postgresUnavailable) {
    process.stdout.write(`postgres: skipped, ${postgresUnavailable}\n`);
    return true;
  }
  const cluster = await startPostgres();
  try {
    const baseline: Measured[] = [];
    const ours: Measured[] = [];
    for (let run = 0; run < RUNS; run++) {
      const baseUrl = await cluster.createDatabase(`baseline_${run}`);
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(equivalentTable('TEXT COLLATE "C"'));
      await client.end();
      const copied = measure('psql', [baseUrl, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy deals FROM '${csv}' WITH (FORMAT csv, HEADER true)`]);
      if (!copied.stdout.includes(`COPY ${DEALS}`)) throw new Error(`psql \\copy: ${copied.stdout}`);
      baseline.push(copied);
      const url = await cluster.createDatabase(`salesflow_${run}`);
      const m = measure(process.execPath, [cli, 'import', '--kind', 'deals', csv], { DATABASE_URL: url });
      expectImported(m);
      ours.push(m);
    }
    return summarize('postgres', 'psql \\copy', baseline, ours);
  } finally {
    cluster.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-bench-import-'));
  try {
    const csv = join(dir, 'deals.csv');
    await generate(csv);
    process.stdout.write(`bench:import: ${DEALS.toLocaleString('en-US')} deals, ${RUNS} run(s) each; measuring ${cli}\n`);
    let ok = true;
    if (sqliteWanted) ok = benchSqlite(dir, csv) && ok;
    if (pgWanted) ok = (await benchPostgres(csv)) && ok;
    process.exitCode = ok ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
