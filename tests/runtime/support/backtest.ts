// A backtest as `salesflow backtest` runs one, for tests: the rules of a folder replayed over a
// window (inclusive days) against a data source opened read-only, which is closed afterwards.
import { openDatabase } from '../../../src/data/db.js';
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
