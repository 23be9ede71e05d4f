// The configuration as a command checks it before anything else, and how a command reports a
// problem the user can fix. Its own module, free of Temporal and the data source, so commands
// that need neither (simulate, test) start small.
import { type Config, ConfigError, loadConfig } from '../config.js';
import type { Loaded } from './session.js';

export function loadConfigChecked(env: NodeJS.ProcessEnv = process.env): Loaded<Config> {
  try {
    return { ok: true, value: loadConfig(env) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, message: err.message };
    throw err;
  }
}

/** Writes a failed load to stderr as `salesflow: message`; the command then exits 1. */
export function fail(message: string): number {
  process.stderr.write(`salesflow: ${message}\n`);
  return 1;
}
