// A backtest as `salesflow backtest` runs one, for tests: the rules of a folder replayed over a
// window (inclusive days) against a data source opened read-only, which is closed afterwards; and
// the scratch project such a test replays.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../src/data/db.js';
import { formatProblem, importCsv } from '../../../src/data/import.js';
import { loadRules } from '../../../src/dsl/index.js';
import { runBacktest, type BacktestResult } from '../../../src/runtime/backtest/run.js';
import { parseWindow } from '../../../src/runtime/backtest/window.js';

export async function backtestFolder(rulesDir: string, dbPath: string, from: string, to: string): Promise<BacktestResult> {
  const compiled = await loadRules([rulesDir]);
  if (!compiled.plan) throw new Error(JSON.stringify(compiled.diagnostics));
  const window = parseWindow(from, to);
  if (!window.ok) throw new Error(window.message);
  const source = await openDatabase(dbPath, { readonly: true });
  try {
    return await runBacktest({ plan: compiled.plan, source, window: window.window, publicUrl: 'http://salesflow.test' });
  } finally {
    await source.close();
  }
}

/**
 * A scratch project for a goal backtest: `goals.rules` holding `rules`, one template per entry of
 * `templates` (name → subject), and a SQLite file with `reps` and `deals` (CSV lines after the
 * header) imported.
 */
export async function goalProject(
  name: string, rules: string, templates: Record<string, string>, reps: string[], deals: string[] = [],
): Promise<{ dir: string; rulesDir: string; dbPath: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `salesflow-${name}-`));
  const rulesDir = path.join(dir, 'rules');
  fs.mkdirSync(path.join(rulesDir, 'templates'), { recursive: true });
  fs.writeFileSync(path.join(rulesDir, 'goals.rules'), rules);
  for (const [template, subject] of Object.entries(templates)) {
    fs.writeFileSync(path.join(rulesDir, 'templates', `${template}.md`), `subject: ${subject}\n---\nx\n`);
  }
  const dbPath = path.join(dir, 'salesflow.db');
  const db = await openDatabase(dbPath);
  try {
    const files = [
      ['reps', ['id,name,email,team,role,region,manager,timezone,start_date', ...reps]],
      ['deals', deals.length ? ['id,rep,name,amount,currency,stage,product,type,source,closed_at,contact', ...deals] : []],
    ] as const;
    for (const [kind, lines] of files) {
      if (!lines.length) continue;
      const imported = await importCsv(db, kind, lines.join('\n'), `${kind}.csv`);
      if (!imported.ok) throw new Error(imported.problems.map(formatProblem).join('\n'));
    }
  } finally {
    await db.close();
  }
  return { dir, rulesDir, dbPath };
}
