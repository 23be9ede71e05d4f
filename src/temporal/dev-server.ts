// The Temporal CLI dev server (`temporal server start-dev`): a full server on one SQLite file.
// Two ways to run it: embedded through the SDK (what `salesflow dev` uses), or as a child process
// we own, so tests can stop it and start a new one on the same file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { type SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';
// CommonJS package: Node's ESM loader cannot see its named exports, so the value comes via default.
import protos, { type temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type BinaryEnv, ensureCliExecutable, requireCliPath } from './binaries.js';
import { freePort } from './ports.js';

export const DEFAULT_DEV_DB_FILE = path.join('var', 'temporal.db');

export interface DevServerOptions {
  /** SQLite file the server persists to (parent folders are created); `null` keeps state in memory. */
  dbFile?: string | null;
  /** gRPC frontend port; a free one when omitted. */
  port?: number;
  ip?: string;
  /** Web UI; on by default for the embedded server, off for spawned ones. */
  ui?: boolean;
  uiPort?: number;
  namespace?: string;
  /** Registered on start, also when the namespace already exists in a reused db file. */
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  env?: BinaryEnv;
  /** How a free port is chosen when `port`/`uiPort` are omitted (tests pass their own). */
  pickPort?: (ip: string) => Promise<number>;
}

/**
 * A port that was free when it was picked may be taken before the server binds it (another test
 * file, or the server's own internal services, picking at the same moment). When we picked the
 * ports, a start that fails is retried on new ones this many times in all.
 */
const START_ATTEMPTS = 4;

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  dbFile?: string;
  /** Client, connection and native connection (for workers) to this server. */
  testEnv: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/** Default: persisted to `var/temporal.db` under the current directory, with the Web UI. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const resolved = await resolveOptions({ ui: true, dbFile: DEFAULT_DEV_DB_FILE, ...options });
  const testEnv = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: await ensureCliExecutable(options.env),
      dbFilename: resolved.dbFile,
      ip: resolved.ip,
      port: resolved.port,
      ui: resolved.uiPort !== undefined,
      uiPort: resolved.uiPort,
      namespace: resolved.namespace,
      log: { format: 'pretty', level: resolved.logLevel },
    },
  });
  await ensureSearchAttributes(testEnv.connection, resolved.namespace, resolved.searchAttributes);
  return {
    address: testEnv.address,
    namespace: resolved.namespace,
    uiUrl: resolved.uiUrl,
    dbFile: resolved.dbFile,
    testEnv,
    stop: () => testEnv.teardown(),
  };
}

export interface DevServerProcess {
  address: string;
  namespace: string;
  port: number;
  uiUrl?: string;
  dbFile?: string;
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash, as far as the server can tell. */
  kill(): Promise<void>;
}

/** Starts the dev server as our own child process and resolves once its namespace answers. */
export async function spawnDevServer(options: DevServerOptions = {}): Promise<DevServerProcess> {
  return withPortRetry(options, () => spawnDevServerOnce(options));
}

/** Retries a start on new ports, but only when we chose them: a port the caller named is kept. */
async function withPortRetry<T>(options: DevServerOptions, start: () => Promise<T>): Promise<T> {
  const ourPorts = options.port === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!ourPorts || attempt >= START_ATTEMPTS || !/address already in use|EADDRINUSE/i.test(String(err))) throw err;
    }
  }
}

async function spawnDevServerOnce(options: DevServerOptions): Promise<DevServerProcess> {
  const resolved = await resolveOptions({ ui: false, ...options });
  const args = ['server', 'start-dev', '--ip', resolved.ip, '--port', String(resolved.port),
    '--namespace', resolved.namespace, '--log-format', 'pretty', '--log-level', resolved.logLevel];
  if (resolved.dbFile) args.push('--db-filename', resolved.dbFile);
  args.push(...(resolved.uiPort !== undefined ? ['--ui-port', String(resolved.uiPort)] : ['--headless']));
  for (const key of resolved.searchAttributes) {
    args.push('--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`);
  }

  const child = spawn(await requireCliPath(options.env), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputTail();
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const isRunning = () => child.exitCode === null && child.signalCode === null;

  const terminate = async (signal: NodeJS.Signals, graceMs: number) => {
    if (isRunning()) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killOnExit);
  };

  const address = `${resolved.ip}:${resolved.port}`;
  try {
    await waitUntilServing(address, resolved.namespace, isRunning, 30_000);
    const connection = await Connection.connect({ address });
    try {
      await ensureSearchAttributes(connection, resolved.namespace, resolved.searchAttributes);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await terminate('SIGKILL', 0);
    throw new Error(`Temporal dev server did not start: ${(err as Error).message}\n${output.text()}`);
  }

  return {
    address,
    namespace: resolved.namespace,
    port: resolved.port,
    uiUrl: resolved.uiUrl,
    dbFile: resolved.dbFile,
    pid: child.pid!,
    stop: (graceMs = 10_000) => terminate('SIGTERM', graceMs),
    kill: () => terminate('SIGKILL', 0),
  };
}

/**
 * `--search-attribute` only applies when the dev server creates a namespace, so with a reused db
 * file new attributes are added through the operator API.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: SearchAttributeKey<SearchAttributeType>[],
): Promise<void> {
  if (keys.length === 0) return;
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = keys.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  const { IndexedValueType } = protos.temporal.api.enums.v1;
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of missing) {
    searchAttributes[key.name] = IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}` as keyof typeof IndexedValueType];
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}

interface ResolvedOptions {
  dbFile?: string;
  ip: string;
  port: number;
  uiPort?: number;
  uiUrl?: string;
  namespace: string;
  searchAttributes: SearchAttributeKey<SearchAttributeType>[];
  logLevel: string;
}

async function resolveOptions(options: DevServerOptions): Promise<ResolvedOptions> {
  const ip = options.ip ?? '127.0.0.1';
  let dbFile: string | undefined;
  if (options.dbFile) {
    dbFile = path.resolve(options.dbFile);
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  }
  const pick = options.pickPort ?? freePort;
  const uiPort = options.ui || options.uiPort !== undefined ? (options.uiPort ?? (await pick(ip))) : undefined;
  return {
    dbFile,
    ip,
    port: options.port ?? (await pick(ip)),
    uiPort,
    uiUrl: uiPort !== undefined ? `http://${ip}:${uiPort}` : undefined,
    namespace: options.namespace ?? 'default',
    searchAttributes: options.searchAttributes ?? [],
    logLevel: options.logLevel ?? 'warn',
  };
}

async function waitUntilServing(address: string, namespace: string, isRunning: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isRunning()) throw new Error('the process exited');
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000 });
      // A deadline: something else listening on the port (it was taken) may accept and never answer.
      await connection.withDeadline(Date.now() + 2_000, () => connection!.workflowService.describeNamespace({ namespace }));
      return;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await connection?.close().catch(() => {});
    }
  }
  throw new Error(`no answer on ${address} within ${timeoutMs} ms (${String(lastError)})`);
}

/** The last few KB the server printed, to explain a failed start. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(chunk: Buffer) {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > 16_384 && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text() {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
