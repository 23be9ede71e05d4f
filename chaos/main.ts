// `npm run chaos`: the product as three `salesflow worker` processes plus `salesflow serve` on one
// data source, under 500 sequences with waits and 100 payout approvals, while a random worker is
// killed with SIGKILL every few seconds (and restarted), the Temporal server is killed and
// restarted once and the database restarted once. Then every expected email and ledger row is
// checked. The last line is the verdict; the exit status is 1 on any loss or duplicate.
//   --sequences N (500)  --payouts N (100)  --kills N (10)  --kill-every SECONDS (4)
//   --workers N (3)  --wait-minutes N (1)  --timeout SECONDS (900)  --keep (keep the scratch folder)
//   --database postgres|sqlite (postgres, the default: a throwaway PostgreSQL cluster; sqlite: one file all processes open)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type DataSource, postgresDataSource, postgresUnavailable, sqliteDataSource } from './data-source.js';
import { chaosLine, run } from './run.js';
import { clean } from './tally.js';

const { values } = parseArgs({
  options: {
    sequences: { type: 'string', default: '500' },
    payouts: { type: 'string', default: '100' },
    kills: { type: 'string', default: '10' },
    'kill-every': { type: 'string', default: '4' },
    workers: { type: 'string', default: '3' },
    'wait-minutes': { type: 'string', default: '1' },
    timeout: { type: 'string', default: '900' },
    keep: { type: 'boolean', default: false },
    database: { type: 'string', default: 'postgres' },
  },
});
const count = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`chaos: --${name} must be a whole number >= ${min} (got ${String(values[name])})\n`);
    process.exit(2);
  }
  return n;
};

// npm runs scripts from the package root: bin/, dist/ and .cache/temporal are found from there.
const root = process.cwd();
if (!fs.existsSync(path.join(root, 'bin', 'salesflow')) || !fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('chaos: run it from the salesflow checkout after `npm run build` (npm run chaos does both)\n');
  process.exit(2);
}
const cachedCli = path.join(root, '.cache', 'temporal', 'bin', 'temporal');
if (!process.env.TEMPORAL_CLI_PATH && fs.existsSync(cachedCli)) process.env.TEMPORAL_CLI_PATH = cachedCli;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-chaos-'));
const log = (line: string) => process.stdout.write(`${line}\n`);
let data: DataSource | undefined;
let code = 1;
// The PostgreSQL cluster is stopped synchronously, so also when the harness dies unexpectedly.
process.once('exit', () => { void data?.stop(); });
// Ctrl-C: exit through the 'exit' handlers, which stop every process the run started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
try {
  if (values.database === 'postgres') {
    if (postgresUnavailable) throw new Error(`--database postgres: ${postgresUnavailable} (or run with --database sqlite)`);
    data = await postgresDataSource();
  } else if (values.database === 'sqlite') {
    data = sqliteDataSource(path.join(dir, 'data'));
  } else {
    throw new Error(`--database must be postgres or sqlite (got ${values.database})`);
  }
  const result = await run({
    root, dir, data, log,
    workers: count('workers', 1),
    size: { sequences: count('sequences', 0), payouts: count('payouts', 0), waitMinutes: count('wait-minutes', 0) },
    // --kills 0: the same run without any chaos (a baseline to compare with).
    chaos: count('kills', 0) === 0 ? undefined : { kills: count('kills', 0), killEveryMs: count('kill-every', 1) * 1000, restartTemporal: true, restartDatabase: true },
    timeoutMs: count('timeout', 10) * 1000,
  });
  log(`${result.kills} workers killed with SIGKILL and restarted`);
  code = clean(result.tally) ? 0 : 1;
  if (result.tally.emailsDuplicated > 0) {
    log(`${result.tally.sameMessageDuplicates} of the ${result.tally.emailsDuplicated} duplicated emails carry their first copy's Message-ID: ` +
      'a worker killed after the SMTP server accepted the message and before it recorded that; its retry sent it again');
  }
  log(chaosLine(result.tally));
} catch (err) {
  log(`chaos: the run failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await data?.stop();
  if (values.keep) log(`scratch folder kept: ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
