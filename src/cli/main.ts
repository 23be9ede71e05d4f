// Entry point of the `salesflow` command. Each command lives in its own module under commands/
// and is loaded only when used, so `salesflow check` does not pay for Temporal's start-up.

type CommandModule = { run(args: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  check: { summary: 'parse and check rules and templates', load: () => import('./commands/check.js') },
  fmt: { summary: 'format rule files canonically (--check to only report)', load: () => import('./commands/fmt.js') },
  compile: { summary: 'print the compiled plan as JSON', load: () => import('./commands/compile.js') },
  plan: { summary: 'show the Temporal schedule changes the rules imply', load: () => import('./commands/plan.js') },
  apply: { summary: 'record the rules as the applied plan and make the schedule changes they imply', load: () => import('./commands/apply.js') },
  status: { summary: 'the applied plan, and what the working copy\'s rules would change', load: () => import('./commands/status.js') },
  history: { summary: 'the plans applied so far, newest first, and what each changed', load: () => import('./commands/history.js') },
  simulate: { summary: 'compute incentive statements without sending or paying', load: () => import('./commands/simulate.js') },
  backtest: { summary: 'replay a past window: every email and statement the rules would have made', load: () => import('./commands/backtest.js') },
  worker: { summary: 'run the Temporal worker', load: () => import('./commands/worker.js') },
  serve: { summary: 'run the HTTP server (events, approvals, unsubscribe)', load: () => import('./commands/serve.js') },
  dev: { summary: 'run everything on one machine with demo data', load: () => import('./commands/dev.js') },
  events: { summary: 'events send FILE.json: feed a CRM event', load: () => import('./commands/events.js') },
  crm: { summary: 'crm rejected | retry [--source NAME]: CRM changes webhooks could not translate; take them again', load: () => import('./commands/crm.js') },
  import: { summary: 'import --kind reps|deals|leads|credits|rates FILE.csv, or --source CRM FILE.csv (a CRM export)', load: () => import('./commands/import.js') },
  payouts: { summary: 'payouts run|export --period P', load: () => import('./commands/payouts.js') },
  test: { summary: 'run rule test cases', load: () => import('./commands/test.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: salesflow <command> [options] [paths]\n\ncommands:\n${lines.join('\n')}\n`;
}

/**
 * `salesflow test | head`: once the reader has gone, a write fails with EPIPE, which Node raises as
 * an unhandled 'error' event (a stack trace). Like a C tool killed by SIGPIPE, stop quietly with
 * 128 + 13, which shells and `set -o pipefail` read the same way.
 */
let watchingPipes = false;
function stopQuietlyWhenTheReaderIsGone(): void {
  if (watchingPipes) return; // main() runs many times in one process in tests
  watchingPipes = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(141);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  stopQuietlyWhenTheReaderIsGone();
  const [name, ...rest] = argv;
  // `salesflow help import` is `salesflow import --help`, as git and npm do it.
  if (name === 'help' && rest[0]) {
    if (Object.hasOwn(commands, rest[0])) return (await commands[rest[0]].load()).run(['--help']);
    process.stderr.write(`salesflow: unknown command "${rest[0]}"\n\n${usage()}`);
    return 1;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  // Own entries only: `salesflow constructor` found Object's constructor and died with a TypeError.
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`salesflow: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    const problem = userProblem(err);
    if (problem === null) throw err;
    process.stderr.write(`salesflow ${name}: ${problem}\n`);
    return 1;
  }
}

/**
 * Errors a user can meet in any command that writes the data source, said in words instead of a
 * stack trace: a data source that cannot be used, a SQLite file another process keeps locked past
 * the busy timeout (a long import holds it for its whole file), a PostgreSQL connection lost
 * mid-command. Anything else is a bug.
 */
function userProblem(err: unknown): string | null {
  if (err instanceof Error && err.name === 'DataSourceError') return err.message;
  const code = String((err as { code?: unknown })?.code ?? '');
  if (/^SQLITE_BUSY/.test(code)) {
    return 'the data source is locked by another process writing it (an import of a large file?); try again when it is done';
  }
  // PostgreSQL went away mid-command (restart, failover, network): SQLSTATE class 08 (connection
  // exception) or 57P0x (shut down), or the socket itself. The open transaction was rolled back.
  if (/^(08|57P0)/.test(code) || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code) || /^Connection terminated/.test((err as Error)?.message ?? '')) {
    return `lost the connection to the data source (${(err as Error).message}); what this command had not committed was rolled back: run it again`;
  }
  // What a production role's limits refuse: a read-only user writing (42501), a read-only session
  // (25006: a replica, default_transaction_read_only), a statement_timeout
  // set on the role or database (57014), the server's connection limit (53300).
  const message = (err as Error)?.message ?? '';
  if (code === '42501') {
    return `the PostgreSQL user in DATABASE_URL may not do this (${message}); what this command had not committed was rolled back. ` +
      'status, history, simulate and payouts export only read (SELECT); import, apply, events, payouts run, worker and serve also write (INSERT, UPDATE, DELETE on salesflow\'s tables)';
  }
  if (code === '25006') {
    return `the PostgreSQL connection only reads (${message}): DATABASE_URL points at a read replica, or default_transaction_read_only is on for this user or database; ` +
      'nothing was written. status, history, simulate and payouts export only read; import, apply, events, payouts run, worker and serve need the primary and a user that may write';
  }
  if (code === '57014') {
    return `PostgreSQL cancelled a statement (${message}); what this command had not committed was rolled back. ` +
      'A statement_timeout set for this user or database (SHOW statement_timeout) is shorter than this command needs: raise it for salesflow\'s user (ALTER ROLE … SET statement_timeout = \'15min\', or 0) and run it again';
  }
  if (code === '53300') {
    return `the PostgreSQL server refuses more connections (${message}): raise max_connections or run fewer salesflow processes (docs/operations.md: each worker opens up to 17, each serve up to 10)`;
  }
  return null;
}
