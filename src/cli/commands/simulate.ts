// `salesflow simulate --period 2026-Q1 [--rule NAME] [--format table|json] [paths]`: incentive
// statements from the data source, without sending or paying anything (the file is opened
// read-only). Table for people, the SPEC §8 JSON shape for scripts.
import { parseArgsOnce } from '../parse-args.js';
import { DataSourceError, openDatabase, type Db } from '../../data/db.js';
import { eachStatementForPeriod } from '../../data/period-statements.js';
import { parsePeriod } from '../../payouts/period.js';
import { statementBlock, statementJson, Totals } from '../../payouts/render.js';
import { selectIncentives } from '../../payouts/rule-selection.js';
import type { Statement } from '../../payouts/statement.js';
import type { Plan } from '../../plan/schema.js';
import { fail, loadConfigChecked } from '../../runtime/checked-config.js';
import { rulesOrDiagnostics } from '../../runtime/compile-rules.js';

const USAGE = 'usage: salesflow simulate --period 2026-Q1 [--rule NAME] [--format table|json] [paths]';

export interface SimulateOptions {
  period: string;
  rule?: string;
  onProgress?: (rule: string, done: number, total: number) => void;
}

export type Simulation =
  | { ok: true; statements: Statement[]; notes: string[] }
  | { ok: false; message: string };

export type SimulationRun =
  | { ok: true; count: number; notes: string[] }
  | { ok: false; message: string };

/** Statements of every selected incentive for the period, collected; the part of the command tests call directly. */
export async function simulate(plan: Plan, db: Db, options: SimulateOptions): Promise<Simulation> {
  const statements: Statement[] = [];
  const run = await simulateEach(plan, db, options, (s) => { statements.push(s); });
  return run.ok ? { ok: true, statements, notes: run.notes } : run;
}

/**
 * Statements of every selected incentive for the period, each handed to `each` as it is computed
 * and not kept (the command writes it out), rule by rule in plan order, reps in id order.
 * A failure is returned before that rule's first statement: with `--rule` nothing has been handed
 * over yet; otherwise the rule is skipped with a note.
 */
export async function simulateEach(plan: Plan, db: Db, options: SimulateOptions, each: (s: Statement) => void): Promise<SimulationRun> {
  const parsed = parsePeriod(options.period);
  if (!parsed.ok) return { ok: false, message: `--period ${parsed.message}` };
  const selection = selectIncentives(plan, options.rule);
  if (!selection.ok) return selection;
  const notes: string[] = [];
  let count = 0;
  for (const rule of selection.rules) {
    if (rule.period !== parsed.period.kind && options.rule === undefined) {
      notes.push(`skipped "${rule.name}": it is paid per ${rule.period}, ${parsed.period.label} is a ${parsed.period.kind}`);
      continue;
    }
    const result = await eachStatementForPeriod(db, rule, parsed.period.label, each, {
      onProgress: options.onProgress && ((done, total) => options.onProgress!(rule.name, done, total)),
    });
    if (!result.ok) {
      if (options.rule !== undefined) return result;
      notes.push(`skipped "${rule.name}": ${result.message}`);
      continue;
    }
    count += result.count;
  }
  if (count === 0 && notes.length > 0 && selection.rules.length === notes.length) {
    return { ok: false, message: `no incentive applies to ${parsed.period.label}:\n  ${notes.join('\n  ')}` };
  }
  return { ok: true, count, notes };
}

/** Output gathered into chunks of about 64 KB before each write, instead of one write per statement or one string of all. */
class Chunked {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly write: (text: string) => void) {}
  push(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 65536) this.flush();
  }
  flush(): void {
    if (this.parts.length) this.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

/** Warnings echoed on stderr after JSON output: the first ones in full, then a count. */
const STDERR_WARNINGS = 200;

/**
 * The writer of one output format: statements go out as they come, so the output of 100k reps is
 * never held whole. JSON is the SPEC §8 array, laid out as `JSON.stringify(list, null, 2)` would,
 * each statement with its `warnings`. Anything for stderr waits until the output has ended with a
 * whole line: written while it streams, a warning would land in the middle of an output line on
 * a terminal showing both.
 */
export function statementWriter(
  format: 'table' | 'json',
  write: (text: string) => void,
  measureIsMoney: (s: Statement) => boolean,
  writeError: (text: string) => void = (text) => { process.stderr.write(text); },
) {
  const out = new Chunked(write);
  const totals = new Totals();
  let first = true;
  const warnings: string[] = [];
  let moreWarnings = 0;
  return {
    statement(s: Statement): void {
      totals.add(s);
      if (format === 'table') {
        out.push(statementBlock(s, measureIsMoney(s)));
        return;
      }
      for (const w of s.warnings) {
        if (warnings.length < STDERR_WARNINGS) warnings.push(`warning: ${s.rule} ${s.rep}: ${w}\n`);
        else moreWarnings++;
      }
      out.push(`${first ? '[\n  ' : ',\n  '}${JSON.stringify(statementJson(s), null, 2).replace(/\n/g, '\n  ')}`);
      first = false;
    },
    end(): void {
      if (format === 'table') out.push(`${totals.line()}\n`);
      else out.push(first ? '[]\n' : '\n]\n');
      out.flush();
      if (warnings.length) writeError(`${warnings.join('')}${moreWarnings ? `warning: ... and ${moreWarnings} more (see "warnings" in the JSON)\n` : ''}`);
    },
  };
}

/**
 * A progress bar on stderr, only when it is a terminal, the statements go elsewhere (a file or a
 * pipe: on a terminal they show progress themselves) and there is enough work to wait for.
 */
function progressBar(): { update: SimulateOptions['onProgress']; done: () => void } {
  const stream = process.stderr;
  let shown = false;
  return {
    update(rule, done, total) {
      if (!stream.isTTY || process.stdout.isTTY || total < 2000) return;
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
    ({ values, positionals } = parseArgsOnce({
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

  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const { databasePath } = config.value;

  const plan = await rulesOrDiagnostics(positionals);
  if (!plan) return 1;

  let db: Db;
  try {
    db = await openDatabase(databasePath, { readonly: true });
  } catch (err) {
    if (err instanceof DataSourceError) { process.stderr.write(`salesflow simulate: ${err.message}\n`); return 1; }
    throw err;
  }
  const moneyMeasure = new Map(plan.rules.map((r) => [r.name, r.kind === 'incentive' && r.measure.type === 'money']));
  const writer = statementWriter(values.format, (text) => process.stdout.write(text), (s) => moneyMeasure.get(s.rule) ?? true);
  const bar = progressBar();
  let result: SimulationRun;
  try {
    result = await simulateEach(plan, db, { period: values.period, rule: values.rule, onProgress: bar.update }, (s) => writer.statement(s));
  } finally {
    bar.done();
    await db.close();
  }
  if (!result.ok) { process.stderr.write(`salesflow simulate: ${result.message}\n`); return 1; }
  writer.end();
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
  return 0;
}
