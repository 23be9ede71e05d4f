// `npm run bench:import:credits`: `salesflow import --kind credits` of generated credit shares
// (1M rows by default: a large sales org's deals with splits and overlays) into SQLite, measured
// against the same run's `import --kind deals` of 1M deals (the streamed import, the baseline).
// Goal: the credits import streams, so its peak RSS stays within the deals import's goal (≤ 200 MB)
// and does not grow with the file: a file four times larger may take at most 50% more (a heap that
// V8 sizes as it goes, not rows kept: the whole-file import took 3.5 times as much).
//
// With BENCH_PG (or `-- --pg`) the same on PostgreSQL, a throwaway cluster (tests/support/postgres.ts);
// BENCH_ONLY=sqlite|pg runs one.
//
// Every import runs as a child process under /usr/bin/time (bench/measure.ts); generation is not
// timed. Sizes: BENCH_CREDITS credit rows (default 1,000,000), BENCH_DEALS deals (default 1,000,000).
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, type Measured } from './measure.js';

const CREDITS = Number(process.env.BENCH_CREDITS ?? 1_000_000);
const DEALS = Number(process.env.BENCH_DEALS ?? 1_000_000);
const REPS = 1000;
const RSS_GOAL_MB = 200;
const GROWTH_GOAL = 1.5;
const pgWanted = process.argv.includes('--pg') || process.env.BENCH_PG === '1' || process.env.BENCH_ONLY === 'pg';
const sqliteWanted = process.env.BENCH_ONLY !== 'pg';
// npm runs scripts in the package folder. BENCH_CLI: another build's bin/salesflow.js (an older
// salesflow, for before-and-after figures).
const cli = process.env.BENCH_CLI ?? join(process.cwd(), 'bin', 'salesflow.js');

/** Write `lines` (a generator of CSV lines) to `path` in 1 MB chunks; how many there were. */
async function writeLines(path: string, header: string, lines: Iterable<string>): Promise<number> {
  const out: WriteStream = createWriteStream(path);
  let buf = `${header}\r\n`;
  let n = 0;
  for (const line of lines) {
    n++;
    buf += `${line}\r\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buf = '';
    }
  }
  out.end(buf);
  await new Promise<void>((resolve, reject) => { out.on('finish', () => resolve()); out.on('error', reject); });
  return n;
}

function* repLines(): Iterable<string> {
  for (let i = 0; i < REPS; i++) yield `r${i},Rep ${i},rep${i}@acme.example`;
}

function* dealLines(): Iterable<string> {
  for (let i = 0; i < DEALS; i++) yield `d${i},r${i % REPS},${(1000 + (i % 50_000)).toFixed(2)},USD,won,2026-0${1 + (i % 9)}-15`;
}

/** `rows` credit rows over deals d0, d1, ...: one rep at 100%, 60/40 splits, thirds, halves with an overlay. */
function* creditLines(rows: number): Iterable<string> {
  const splits = [['100'], ['60', '40'], ['33.3333', '33.3333', '33.3334'], ['50', '50']];
  let n = 0;
  for (let deal = 0; n < rows; deal++) {
    if (deal >= DEALS) throw new Error(`BENCH_DEALS ${DEALS} is too few deals for ${rows} credit rows`);
    const shares = splits[deal % 4];
    // A deal's rows stay together even when that passes `rows` by one or two: no deal is cut short of 100%.
    for (let k = 0; k < shares.length; k++, n++) yield `d${deal},r${(deal * 7 + k) % REPS},${shares[k]},revenue`;
    if (deal % 4 === 3) { n++; yield `d${deal},r${(deal * 7 + 5) % REPS},10,overlay`; }
  }
}

const rate = (rows: number, m: Measured) => `${Math.round(rows / m.wall).toLocaleString('en-US')} rows/s`;
const mb = (m: Measured) => `${m.rssMb.toFixed(0)} MB`;

/** `salesflow import` of one file into `db`; checks the summary line counts every row. */
function importFile(db: string, kind: string, csv: string, rows: number): Measured {
  const m = measure(process.execPath, [cli, 'import', '--kind', kind, csv], { DATABASE_URL: db });
  const counts = /(\d+) inserted, (\d+) updated/.exec(m.stdout);
  if (!counts || Number(counts[1]) + Number(counts[2]) !== rows) throw new Error(`import --kind ${kind} did not count ${rows} rows: ${m.stdout}`);
  return m;
}

interface Files { reps: string; deals: string; small: string; large: string }

/** The imports into one fresh data source (a SQLite path or a PostgreSQL URL); whether the goals are met. */
function bench(label: string, db: string, files: Files, smallRows: number, largeRows: number): boolean {
  importFile(db, 'reps', files.reps, REPS);
  const deals = importFile(db, 'deals', files.deals, DEALS);
  const small = importFile(db, 'credits', files.small, smallRows);
  // The large file names the small one's deals again: their rows are replaced (updated), the rest inserted.
  const large = importFile(db, 'credits', files.large, largeRows);
  const growth = large.rssMb / small.rssMb;
  const ok = large.rssMb <= RSS_GOAL_MB && growth <= GROWTH_GOAL;
  process.stdout.write(
    `${label}: baseline import --kind deals, ${DEALS.toLocaleString('en-US')} rows: ${deals.wall.toFixed(2)} s (${rate(DEALS, deals)}), peak RSS ${mb(deals)}\n` +
    `${label}: credits ${smallRows.toLocaleString('en-US')} rows: ${small.wall.toFixed(2)} s (cpu ${small.cpu.toFixed(2)} s, ${rate(smallRows, small)}), peak RSS ${mb(small)}\n` +
    `${label}: credits ${largeRows.toLocaleString('en-US')} rows: ${large.wall.toFixed(2)} s (cpu ${large.cpu.toFixed(2)} s, ${rate(largeRows, large)}), peak RSS ${mb(large)}\n` +
    `${label}: credits peak RSS ${mb(large)} = ${(large.rssMb / deals.rssMb).toFixed(2)}x the deals import's (goal ≤ ${RSS_GOAL_MB} MB); ` +
    `${growth.toFixed(2)}x the RSS of a file a quarter its size (goal ≤ ${GROWTH_GOAL}): ${ok ? 'goal met' : 'GOAL NOT MET'}\n`,
  );
  return ok;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-bench-credits-'));
  try {
    const files: Files = { reps: join(dir, 'reps.csv'), deals: join(dir, 'deals.csv'), small: join(dir, 'credits-quarter.csv'), large: join(dir, 'credits.csv') };
    await writeLines(files.reps, 'id,name,email', repLines());
    await writeLines(files.deals, 'id,rep,amount,currency,stage,closed_at', dealLines());
    const smallRows = await writeLines(files.small, 'deal,rep,share,type', creditLines(Math.ceil(CREDITS / 4)));
    const largeRows = await writeLines(files.large, 'deal,rep,share,type', creditLines(CREDITS));
    process.stdout.write(`bench:import:credits: ${largeRows.toLocaleString('en-US')} credit rows (and ${smallRows.toLocaleString('en-US')}) after ${DEALS.toLocaleString('en-US')} deals; measuring ${cli}\n`);
    let ok = true;
    if (sqliteWanted) ok = bench('sqlite', join(dir, 'bench.db'), files, smallRows, largeRows) && ok;
    if (pgWanted) {
      const { postgresUnavailable, startPostgres } = await import('../tests/support/postgres.js');
      if (postgresUnavailable) {
        process.stdout.write(`postgres: skipped, ${postgresUnavailable}\n`);
      } else {
        const cluster = await startPostgres();
        try {
          ok = bench('postgres', await cluster.createDatabase('bench'), files, smallRows, largeRows) && ok;
        } finally {
          cluster.stop();
        }
      }
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
