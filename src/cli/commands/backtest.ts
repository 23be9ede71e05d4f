// `salesflow backtest --from DATE --to DATE [--rule NAME] [--format table|json] [paths]`: what the
// rules would have done over a past window — every email (UTC and the recipient's local time) and
// every statement — replayed on the time-skipping server against a throwaway copy of the data
// source. Nothing is sent, recorded or paid. Run it on a rule change before merging.
import { parseArgsOnce } from '../parse-args.js';
import { DataSourceError, openDatabase, type Db } from '../../data/db.js';
import { noRuleNamed, rulesNamed } from '../../payouts/rule-selection.js';
import type { Plan } from '../../plan/schema.js';
import { parseWindow } from '../../runtime/backtest/window.js';
import { fail, loadConfigChecked } from '../../runtime/checked-config.js';
import { rulesOrDiagnostics } from '../../runtime/compile-rules.js';

const USAGE = 'usage: salesflow backtest --from 2026-07-01 --to 2026-09-30 [--rule NAME] [--format table|json] [paths]';

/** Exit status for a command line that cannot be run as given (bad dates, unknown rule). */
const USAGE_ERROR = 1;

/** The plan with only the named rule (by name or id, case-insensitive), or a message with a suggestion. */
export function selectRule(plan: Plan, name: string | undefined): { ok: true; plan: Plan } | { ok: false; message: string } {
  if (name === undefined) return { ok: true, plan };
  const rules = rulesNamed(plan.rules, name, true);
  if (rules.length) return { ok: true, plan: { ...plan, rules } };
  return { ok: false, message: `--rule: ${noRuleNamed(name, 'rule', plan.rules)}` };
}

export async function run(args: string[]): Promise<number> {
  let values: { from?: string; to?: string; rule?: string; format?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgsOnce({
      args,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        rule: { type: 'string', short: 'r' },
        format: { type: 'string', default: 'table' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`salesflow backtest: ${(err as Error).message}\n${USAGE}\n`);
    return USAGE_ERROR;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const window = parseWindow(values.from, values.to);
  if (!window.ok) { process.stderr.write(`salesflow backtest: ${window.message}\n${USAGE}\n`); return USAGE_ERROR; }
  if (values.format !== 'table' && values.format !== 'json') {
    process.stderr.write(`salesflow backtest: --format must be table or json, not "${values.format}"\n`);
    return USAGE_ERROR;
  }

  const checked = loadConfigChecked();
  if (!checked.ok) return fail(checked.message);
  const config = checked.value;
  const plan = await rulesOrDiagnostics(positionals);
  if (!plan) return 1;
  const selected = selectRule(plan, values.rule);
  if (!selected.ok) { process.stderr.write(`salesflow backtest: ${selected.message}\n`); return USAGE_ERROR; }

  let source: Db;
  try {
    source = await openDatabase(config.databasePath, { readonly: true });
  } catch (err) {
    if (err instanceof DataSourceError) { process.stderr.write(`salesflow backtest: ${err.message}\n`); return 1; }
    throw err;
  }
  // A long skip of server time trips grpc's keep-alive pings, which it then logs though it recovers.
  process.env.GRPC_VERBOSITY ??= 'NONE';
  // Temporal's own logging would bury the timeline (the test server's missing capabilities are
  // warned about at every start); errors still show.
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    // Ctrl-C is handled below (stop between steps, then tear down), not by shutting the worker down mid-step.
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const { runBacktest } = await import('../../runtime/backtest/run.js');
  const { timelineJson, timelineTable } = await import('../../runtime/backtest/timeline.js');
  const progress = progressLine();
  // Ctrl-C stops at the next step and tears the time-skipping server down, so no JVM is left behind.
  const interrupt = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nsalesflow backtest: interrupted; stopping the replay\n');
    interrupt.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await runBacktest({
      plan: selected.plan, source, window: window.window, publicUrl: config.publicUrl, onProgress: progress.update, signal: interrupt.signal,
    });
    progress.done();
    process.stdout.write(values.format === 'json' ? timelineJson(result.timeline) : timelineTable(result.timeline));
    for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
    return 0;
  } catch (err) {
    if (interrupt.signal.aborted) return 130;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    progress.done();
    await source.close();
  }
}

/** The replayed date on stderr while it runs, only on a terminal and only when the output goes elsewhere. */
function progressLine(): { update: (done: number, total: number, at: string) => void; done: () => void } {
  const stream = process.stderr;
  let shown = false;
  return {
    update(done, total, at) {
      if (!stream.isTTY || process.stdout.isTTY) return;
      shown = true;
      stream.write(`\rreplaying ${at.slice(0, 10)} (${done}/${total} steps)`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
