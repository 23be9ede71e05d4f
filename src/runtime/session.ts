// What every client-side command needs before it can act: validated config, the checked plan, the
// data source and a Temporal connection. Problems the user can fix come back as messages.
import { type Config, ConfigError, loadConfig } from '../config.js';
import { type Db, openDatabase, DataSourceError } from '../data/db.js';
import type { Plan } from '../plan/schema.js';
import { connectTemporal, type TemporalClient, TemporalConfigError, TemporalUnreachableError } from './client.js';

export const DEFAULT_RULE_PATHS = ['rules/'];

export type Loaded<T> = { ok: true; value: T } | { ok: false; message: string };

export async function loadPlan(paths: string[]): Promise<Loaded<Plan>> {
  // Loaded on use: commands that only talk to Temporal do not pay for the parser.
  const { formatDiagnostics, loadRules } = await import('../dsl/index.js');
  const result = await loadRules(paths.length > 0 ? paths : DEFAULT_RULE_PATHS);
  if (!result.plan) {
    const text = formatDiagnostics(result.diagnostics, 'text');
    return { ok: false, message: `${text.trimEnd()}\nrules have errors; fix them first (salesflow check)` };
  }
  return { ok: true, value: result.plan };
}

export function loadConfigChecked(env: NodeJS.ProcessEnv = process.env): Loaded<Config> {
  try {
    return { ok: true, value: loadConfig(env) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, message: err.message };
    throw err;
  }
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

/** Writes a failed load to stderr as `salesflow: message`; the command then exits 1. */
export function fail(message: string): number {
  process.stderr.write(`salesflow: ${message}\n`);
  return 1;
}
