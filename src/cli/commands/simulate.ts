// `salesflow simulate --period 2026-Q1 [--rule NAME] [--format table|json] [paths]`: incentive
// statements from the data source, without sending or paying anything (the file is opened
// read-only). Table for people, the SPEC §8 JSON shape for scripts.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config.js';
import { DataSourceError, openDatabase, type Db } from '../../data/db.js';
import { statementsForPeriod } from '../../data/period-statements.js';
import { parsePeriod } from '../../payouts/period.js';
import { statementJson, statementTable, totalsLine } from '../../payouts/render.js';
import { selectIncentives } from '../../payouts/rule-selection.js';
import type { Statement } from '../../payouts/statement.js';
import type { Plan } from '../../plan/schema.js';

const USAGE = 'usage: salesflow simulate --period 2026-Q1 [--rule NAME] [--format table|json] [paths]';

export interface SimulateOptions {
  period: string;
  rule?: string;
  onProgress?: (rule: string, done: number, total: number) => void;
}

export type Simulation =
  | { ok: true; statements: Statement[]; notes: string[] }
  | { ok: false; message: string };

/** Statements of every selected incentive for the period; the part of the command tests call directly. */
export function simulate(plan: Plan, db: Db, options: SimulateOptions): Simulation {
  const parsed = parsePeriod(options.period);
  if (!parsed.ok) return { ok: false, message: `--period ${parsed.message}` };
  const selection = selectIncentives(plan, options.rule);
  if (!selection.ok) return selection;
  const notes: string[] = [];
  const statements: Statement[] = [];
  for (const rule of selection.rules) {
    if (rule.period !== parsed.period.kind && options.rule === undefined) {
      notes.push(`skipped "${rule.name}": it is paid per ${rule.period}, ${parsed.period.label} is a ${parsed.period.kind}`);
      continue;
    }
    const result = statementsForPeriod(db, rule, parsed.period.label, {
      onProgress: options.onProgress && ((done, total) => options.onProgress!(rule.name, done, total)),
    });
    if (!result.ok) {
      if (options.rule !== undefined) return result;
      notes.push(`skipped "${rule.name}": ${result.message}`);
      continue;
    }
    statements.push(...result.statements);
  }
  if (statements.length === 0 && notes.length > 0 && selection.rules.length === notes.length) {
    return { ok: false, message: `no incentive applies to ${parsed.period.label}:\n  ${notes.join('\n  ')}` };
  }
  return { ok: true, statements, notes };
}

/** A progress bar on stderr, only when it is a terminal and there is enough work to wait for. */
function progressBar(): { update: SimulateOptions['onProgress']; done: () => void } {
  const stream = process.stderr;
  let shown = false;
  return {
    update(rule, done, total) {
      if (!stream.isTTY || total < 2000) return;
      shown = true;
      const width = 30;
      const filled = Math.round((done / total) * width);
      stream.write(`\r${rule.slice(0, 30)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} reps`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}

export async function run(args: string[]): Promise<number> {
  let values: { period?: string; rule?: string; format?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        period: { type: 'string', short: 'p' },
        rule: { type: 'string', short: 'r' },
        format: { type: 'string', default: 'table' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`salesflow simulate: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (!values.period) { process.stderr.write(`salesflow simulate: --period is required\n${USAGE}\n`); return 1; }
  if (values.format !== 'table' && values.format !== 'json') {
    process.stderr.write(`salesflow simulate: --format must be table or json, not "${values.format}"\n`);
    return 1;
  }
  const period = parsePeriod(values.period);
  if (!period.ok) { process.stderr.write(`salesflow simulate: --period ${period.message}\n`); return 1; }

  let databasePath: string;
  try {
    databasePath = loadConfig().databasePath;
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`salesflow: ${err.message}\n`); return 1; }
    throw err;
  }

  const { loadRules, formatDiagnostics } = await import('../../dsl/index.js');
  const compiled = await loadRules(positionals.length ? positionals : ['rules/']);
  if (!compiled.plan) {
    process.stderr.write(formatDiagnostics(compiled.diagnostics, 'text'));
    return 1;
  }

  let db: Db;
  try {
    db = openDatabase(databasePath, { readonly: true });
  } catch (err) {
    if (err instanceof DataSourceError) { process.stderr.write(`salesflow simulate: ${err.message}\n`); return 1; }
    throw err;
  }
  const bar = progressBar();
  let result: Simulation;
  try {
    result = simulate(compiled.plan, db, { period: values.period, rule: values.rule, onProgress: bar.update });
  } finally {
    bar.done();
    db.close();
  }
  if (!result.ok) { process.stderr.write(`salesflow simulate: ${result.message}\n`); return 1; }
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);

  if (values.format === 'json') {
    for (const s of result.statements) for (const w of s.warnings) process.stderr.write(`warning: ${s.rule} ${s.rep}: ${w}\n`);
    process.stdout.write(`${JSON.stringify(result.statements.map(statementJson), null, 2)}\n`);
    return 0;
  }
  const moneyMeasure = new Map(compiled.plan.rules.map((r) => [r.name, r.kind === 'incentive' && r.measure.type === 'money']));
  process.stdout.write(statementTable(result.statements, (s) => moneyMeasure.get(s.rule) ?? true));
  process.stdout.write(`${totalsLine(result.statements)}\n`);
  return 0;
}
