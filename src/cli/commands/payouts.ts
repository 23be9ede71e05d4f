// `salesflow payouts run|export --period P`. `run` starts the payout workflows (the runtime's
// job); `export` prints the approved ledger as CSV for payroll.
import { parseArgsOnce } from '../parse-args.js';
import { type Config, ConfigError, loadConfig } from '../../config.js';
import { DataSourceError, openDatabase } from '../../data/db.js';
import type { Db } from '../../data/db.js';
import { ledgerCsv, ledgerPeriodCounts, type PeriodExport, periodExport } from '../../data/ledger.js';
import { parsePeriod, type Period } from '../../payouts/period.js';

const USAGE = `usage: salesflow payouts run --period 2026-Q1 [--rule NAME] [--rerun-rejected] [--restart-lost] [paths]
       salesflow payouts export --period 2026-Q1`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  let values: { period?: string; rule?: string; help?: boolean; 'rerun-rejected'?: boolean; 'restart-lost'?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgsOnce({
      args: rest,
      allowPositionals: true,
      options: {
        period: { type: 'string', short: 'p' },
        rule: { type: 'string', short: 'r' },
        help: { type: 'boolean', short: 'h' },
        // A rejected statement is asked again only when said so: a run for a new rep must not re-ask every rejecter.
        'rerun-rejected': { type: 'boolean' },
        // Temporal lost the runs of waiting statements (its data, retention): start them again knowingly.
        'restart-lost': { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`salesflow payouts: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (sub === '--help' || sub === '-h' || values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (sub !== 'run' && sub !== 'export') {
    process.stderr.write(`salesflow payouts: expected "run" or "export"${sub ? `, not "${sub}"` : ''}\n${USAGE}\n`);
    return 1;
  }
  if (!values.period) { process.stderr.write(`salesflow payouts ${sub}: --period is required\n${USAGE}\n`); return 1; }
  const period = parsePeriod(values.period);
  if (!period.ok) { process.stderr.write(`salesflow payouts ${sub}: --period ${period.message}\n`); return 1; }

  if (sub === 'run') {
    let runtime: { runPayouts(options: { period: string; rule?: string; paths: string[]; rerunRejected?: boolean; restartLost?: boolean }): Promise<number> };
    try {
      runtime = await import('../../runtime/payouts-run.js');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND') {
        process.stderr.write('salesflow payouts run: this build has no payout runtime (src/runtime/payouts-run.ts is missing)\n');
        return 1;
      }
      throw err;
    }
    return runtime.runPayouts({ period: period.period.label, rule: values.rule, paths: positionals, rerunRejected: values['rerun-rejected'] ?? false, restartLost: values['restart-lost'] ?? false });
  }

  if (positionals.length) {
    process.stderr.write(`salesflow payouts export: unexpected argument "${positionals[0]}"\n${USAGE}\n`);
    return 1;
  }
  if (values['rerun-rejected'] || values.rule || values['restart-lost']) {
    process.stderr.write(`salesflow payouts export: ${values.rule ? '--rule' : values['restart-lost'] ? '--restart-lost' : '--rerun-rejected'} is for \`payouts run\`; export takes only --period\n${USAGE}\n`);
    return 1;
  }
  let db;
  let config;
  try {
    config = loadConfig();
    db = await openDatabase(config.databasePath, { readonly: true });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DataSourceError) {
      process.stderr.write(`salesflow payouts export: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  try {
    const { entries, rewards, pending: undecided, rejected, statements } = await periodExport(db, period.period.label);
    const overlapping = await overlappingPeriods(db, period.period);
    process.stdout.write(ledgerCsv(entries, rewards));
    process.stderr.write(`${entries.length} approved payout${entries.length === 1 ? '' : 's'} for ${period.period.label}\n`);
    // A statement waits only while its run goes on: one whose run was terminated or failed in
    // Temporal can no longer be approved, and "still awaits approval" sent payroll to wait for it.
    const { pending, ended, unknown, elsewhere } = await sortUndecided(config, undecided);
    if (elsewhere) process.stderr.write(`note: ${elsewhere}\n`);
    if (ended.length > 0) {
      const named = ended.slice(0, 5).map((e) => `${e.rule} / ${e.rep} (${e.how})`).join(', ');
      process.stderr.write(
        `note: ${ended.length} statement${ended.length === 1 ? '' : 's'} of ${period.period.label} ${ended.length === 1 ? 'is' : 'are'} not in this export and ` +
          `can no longer be approved: ${ended.length === 1 ? 'its run' : 'their runs'} ended before a decision: ${named}${ended.length > 5 ? ` and ${ended.length - 5} more` : ''}; ` +
          `\`salesflow payouts run --period ${period.period.label}\` starts ${ended.length === 1 ? 'it' : 'each'} again while the rule's \`for reps\` still covers the rep\n`,
      );
    }
    if (unknown) process.stderr.write(`note: Temporal did not answer (${unknown}), so whether the runs of the statements still awaiting approval go on is not known\n`);
    // Payroll exporting while approvals are still out would otherwise get a short file and no word
    // of it: say on stderr (stdout stays the CSV) which statements are not in it yet.
    if (pending.length > 0) {
      const shown = pending.slice(0, 5).map((p) => `${p.rule} / ${p.rep}`).join(', ');
      const more = pending.length > 5 ? ` and ${pending.length - 5} more` : '';
      process.stderr.write(
        `note: ${pending.length} statement${pending.length === 1 ? '' : 's'} of ${period.period.label} still await${pending.length === 1 ? 's' : ''} ` +
          `approval and ${pending.length === 1 ? 'is' : 'are'} not in this export: ${shown}${more}\n`,
      );
      // Waiting on nobody: no approval email went out (no manager on record...), so chasing an
      // approver is no use; the rule's `otherwise` decides them when their window ends.
      const unasked = pending.filter((p) => !p.asked);
      if (unasked.length > 0) {
        const named = unasked.slice(0, 5).map((p) => `${p.rule} / ${p.rep}`).join(', ');
        process.stderr.write(
          `note: nobody was asked to approve ${unasked.length} of them (no approval email was sent; e.g. no manager on record): ` +
            `${named}${unasked.length > 5 ? ` and ${unasked.length - 5} more` : ''}; the rule's \`otherwise\` decides them when their approval window ends\n`,
        );
      }
    }
    // A rejected statement waits for the data to be corrected and `--rerun-rejected`: payroll
    // should know those reps' pay for the period is still open, not settled at nothing.
    if (rejected.length > 0) {
      const named = rejected.slice(0, 5).map((r) => `${r.rule} / ${r.rep}`).join(', ');
      process.stderr.write(
        `note: ${rejected.length} statement${rejected.length === 1 ? ' was' : 's were'} rejected and not run again, so not in this export: ` +
          `${named}${rejected.length > 5 ? ` and ${rejected.length - 5} more` : ''}; once the data is corrected, ` +
          `\`salesflow payouts run --period ${period.period.label} --rerun-rejected\` asks for approval again\n`,
      );
    }
    // A payout is listed under the period its rule pays for: monthly plans' payouts are not in a
    // quarter's export (nor a quarterly plan's in a month's). Payroll exporting one period while
    // plans pay by another got a short or empty file without a word.
    if (overlapping.length > 0) {
      process.stderr.write(
        `note: approved payouts of ${overlapping.map((o) => `${o.period} (${o.count})`).join(', ')} overlap ${period.period.label} ` +
          `but are not in this export: each payout is listed under the period its rule pays for; export ${overlapping.length === 1 ? 'it' : 'each'} with its own --period\n`,
      );
    }
    // An empty file for a period no payout run ever reached reads like "nothing owed": say it was never run.
    if (statements === 0 && overlapping.length === 0) {
      process.stderr.write(
        `note: no statement of ${period.period.label} is on record: neither the period-end schedule nor ` +
          `\`salesflow payouts run --period ${period.period.label}\` has run for it yet\n`,
      );
    }
    return 0;
  } finally {
    await db.close();
  }
}

type Undecided = PeriodExport['pending'][number];

/** Undecided statements whose run goes on (or is not known to have ended), and those whose run ended, with how and when. */
async function sortUndecided(config: Config, undecided: Undecided[]): Promise<{ pending: Undecided[]; ended: (Undecided & { how: string })[]; unknown: string | null; elsewhere?: string }> {
  if (undecided.length === 0) return { pending: [], ended: [], unknown: null };
  // Loaded only here: an export with nothing undecided needs no Temporal client at all.
  const { endedWords, payoutRunStatesFromConfig } = await import('../../runtime/payout-run-state.js');
  const read = await payoutRunStatesFromConfig(config, undecided.map((u) => u.workflowId));
  if (!read.ok) return { pending: undecided, ended: [], unknown: read.problem };
  const pending: Undecided[] = [];
  const ended: (Undecided & { how: string })[] = [];
  let unknown: string | null = null;
  for (const u of undecided) {
    const state = read.states.get(u.workflowId);
    if (state?.kind === 'ended' || state?.kind === 'gone') ended.push({ ...u, how: endedWords(state) });
    else pending.push(u);
    if (state?.kind === 'unknown') unknown = state.problem;
  }
  // None of the runs in this Temporal, not even ended ones: most likely another namespace or cluster
  // than the workers' (TEMPORAL_NAMESPACE, TEMPORAL_ADDRESS); "can no longer be approved" would be wrong.
  if (ended.length === undecided.length && ended.every((e) => read.states.get(e.workflowId)?.kind === 'gone')) {
    const { address, namespace } = config.temporal;
    return { pending: undecided, ended: [], unknown: null, elsewhere: `Temporal at ${address}, namespace "${namespace}", has none of their runs, not even ended ones: most likely not the namespace or cluster they were started in (TEMPORAL_NAMESPACE, TEMPORAL_ADDRESS: use the workers'), so whether they go on is not known` };
  }
  return { pending, ended, unknown };
}

/** Ledger periods other than `period` whose days overlap it (a month of the quarter, the year...). */
async function overlappingPeriods(db: Db, period: Period): Promise<{ period: string; count: number }[]> {
  return (await ledgerPeriodCounts(db)).filter(({ period: label }) => {
    if (label === period.label) return false;
    const other = parsePeriod(label);
    return other.ok && other.period.start <= period.end && period.start <= other.period.end;
  });
}
