// Where the Temporal server binaries come from. Nothing else in salesflow knows: it asks here.
// Order: an explicit override (env), the project cache filled by scripts/install-temporal.mjs,
// a `temporal` on PATH (CLI only), and last the SDK's own download (needs internet).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EphemeralServerExecutable } from '@temporalio/testing';

export type ServerExecutable = EphemeralServerExecutable;

export interface BinaryEnv {
  TEMPORAL_CLI_PATH?: string;
  TEMPORAL_TEST_SERVER_PATH?: string;
  PATH?: string;
}

/** The package root: this file is `src/temporal/binaries.ts` or `dist/temporal/binaries.js`. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Binaries installed by `node scripts/install-temporal.mjs`. */
export const cachedBinaries = {
  cli: path.join(projectRoot, '.cache', 'temporal', 'bin', 'temporal'),
  testServer: path.join(projectRoot, '.cache', 'temporal', 'bin', 'temporal-test-server'),
} as const;

export class MissingBinaryError extends Error {}

/** The Temporal CLI, whose `server start-dev` is the dev server. */
export function resolveCliExecutable(env: BinaryEnv = process.env): ServerExecutable {
  if (env.TEMPORAL_CLI_PATH) return existing(env.TEMPORAL_CLI_PATH, 'TEMPORAL_CLI_PATH');
  if (isExecutable(cachedBinaries.cli)) return { type: 'existing-path', path: cachedBinaries.cli };
  const onPath = findOnPath('temporal', env.PATH);
  if (onPath) return { type: 'existing-path', path: onPath };
  return { type: 'cached-download' };
}

/** The Java time-skipping test server (a wrapper script around the JVM). */
export function resolveTestServerExecutable(env: BinaryEnv = process.env): ServerExecutable {
  if (env.TEMPORAL_TEST_SERVER_PATH) return existing(env.TEMPORAL_TEST_SERVER_PATH, 'TEMPORAL_TEST_SERVER_PATH');
  if (isExecutable(cachedBinaries.testServer)) return { type: 'existing-path', path: cachedBinaries.testServer };
  return { type: 'cached-download' };
}

/**
 * Like `resolveCliExecutable`, but first runs the install script when nothing is found, so a fresh
 * `npm install && npx salesflow dev` works offline (progress goes to stderr; stdout stays clean).
 */
export async function ensureCliExecutable(env: BinaryEnv = process.env): Promise<ServerExecutable> {
  const found = resolveCliExecutable(env);
  if (found.type === 'existing-path') return found;
  await runInstallScript('cli');
  return resolveCliExecutable(env);
}

export async function ensureTestServerExecutable(env: BinaryEnv = process.env): Promise<ServerExecutable> {
  const found = resolveTestServerExecutable(env);
  if (found.type === 'existing-path') return found;
  await runInstallScript('test-server');
  return resolveTestServerExecutable(env);
}

/**
 * A path we can spawn ourselves (the SDK's download happens inside its native core, so a
 * `cached-download` fallback is of no use to a plain child process).
 */
export async function requireCliPath(env: BinaryEnv = process.env): Promise<string> {
  const exe = await ensureCliExecutable(env);
  if (exe.type === 'existing-path') return exe.path;
  throw new MissingBinaryError(
    'Temporal CLI not found: run `node scripts/install-temporal.mjs` (needs Go >= 1.25), ' +
      'or set TEMPORAL_CLI_PATH to a `temporal` binary.',
  );
}

const installScript = path.join(projectRoot, 'scripts', 'install-temporal.mjs');

async function runInstallScript(part: 'cli' | 'test-server'): Promise<void> {
  if (!fs.existsSync(installScript)) return;
  const child = spawn(process.execPath, [installScript, `--only=${part}`], { stdio: ['ignore', 2, 2] });
  await new Promise((resolve) => child.once('exit', resolve));
}

function existing(file: string, variable: string): ServerExecutable {
  if (!isExecutable(file)) throw new MissingBinaryError(`${variable}=${file} is not an executable file`);
  return { type: 'existing-path', path: path.resolve(file) };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string, searchPath = ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}
