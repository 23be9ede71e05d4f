// What every client-side command needs before it can act: validated config, the checked plan, the
// data source and a Temporal connection. Problems the user can fix come back as messages.
import { type Config, ConfigError, loadConfig } from '../config.js';
import { existsSync } from 'node:fs';
import { type Db, openDatabase, DataSourceError } from '../data/db.js';
import { parseDataSource } from '../data/source.js';
import type { Plan } from '../plan/schema.js';
import { compileRules } from './compile-rules.js';
import { connectTemporal, type TemporalClient, TemporalConfigError, TemporalUnreachableError } from './client.js';

export { DEFAULT_RULE_PATHS } from './compile-rules.js';
export { fail, loadConfigChecked } from './checked-config.js';

export type Loaded<T> = { ok: true; value: T } | { ok: false; message: string };

export async function loadPlan(paths: string[]): Promise<Loaded<Plan>> {
  const { formatDiagnostics } = await import('../dsl/index.js');
  const result = await compileRules(paths);
  if (!result.plan) {
    const text = formatDiagnostics(result.diagnostics, 'text');
    // The sentence first: callers prefix the message with `salesflow: `, and each diagnostic must
    // start its line with `path:line:col` for editors and CI to pick it up (SPEC §7).
    return { ok: false, message: `rules or CRM mappings have errors; fix them first (salesflow check):\n${text.trimEnd()}` };
  }
  return { ok: true, value: result.plan };
}


/**
 * Whether the data source is a SQLite file that does not exist (yet). Commands that only read
 * (status, history) say there is nothing there instead of creating an empty database in whatever
 * folder they were run from, which the next run from there would then read as the real one.
 */
export function noDataSourceFile(config: Config): boolean {
  const parsed = parseDataSource(config.databasePath);
  return parsed.ok && parsed.source.kind === 'sqlite' && parsed.source.path !== ':memory:' && !existsSync(parsed.source.path);
}

export async function openData(config: Config): Promise<Loaded<Db>> {
  try {
    return { ok: true, value: await openDatabase(config.databasePath) };
  } catch (err) {
    if (err instanceof DataSourceError) return { ok: false, message: err.message };
    throw err;
  }
}

export async function connect(config: Config): Promise<Loaded<TemporalClient>> {
  try {
    return { ok: true, value: await connectTemporal(config) };
  } catch (err) {
    if (err instanceof TemporalUnreachableError || err instanceof TemporalConfigError) {
      return { ok: false, message: err.message };
    }
    throw err;
  }
}
