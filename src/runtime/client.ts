// The one place that turns Config into a Temporal connection: local dev server, a self-hosted
// cluster with mTLS, or Temporal Cloud with an API key. The worker's NativeConnection takes the
// same options, so client and worker can never disagree about where Temporal is.
import { lookup } from 'node:dns/promises';
import fs from 'node:fs';
import { isIP } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow/tls-config.js';
import type { Config } from '../config.js';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/** Address, TLS and API key from Config; certificate files are read here, once. */
export function temporalConnectionOptions(config: Pick<Config, 'temporal'>): TemporalConnectionOptions {
  const { address, apiKey, tls } = config.temporal;
  const options: TemporalConnectionOptions = { address };
  if (apiKey) options.apiKey = apiKey;
  if (typeof tls === 'object' && tls !== null) {
    if (!tls.certFile || !tls.keyFile) {
      throw new TemporalConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
    }
    options.tls = { clientCertPair: { crt: readPem(tls.certFile, 'TEMPORAL_TLS_CERT'), key: readPem(tls.keyFile, 'TEMPORAL_TLS_KEY') } };
  } else if (tls) {
    options.tls = true;
  }
  return options;
}

export class TemporalConfigError extends Error {}

export interface TemporalClient {
  client: Client;
  connection: Connection;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

/** Connects to the configured Temporal; a clear error when nothing answers there. */
export async function connectTemporal(config: Pick<Config, 'temporal'>): Promise<TemporalClient> {
  const options = temporalConnectionOptions(config);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 5_000 });
  } catch (err) {
    throw new TemporalUnreachableError(unreachableMessage(options, await unresolvedHost(options.address) ?? err));
  }
  try {
    await requireNamespace(connection.workflowService, options.address, config.temporal.namespace);
  } catch (err) {
    await connection.close();
    throw err;
  }
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return {
    client,
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    close: () => connection.close(),
  };
}

export class TemporalUnreachableError extends Error {}

/**
 * The client's connection only says "Failed to connect before the deadline" for a host name that
 * does not resolve; looked up here so the message can say so. Null when it resolves (or is an IP).
 */
export async function unresolvedHost(address: string): Promise<Error | null> {
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) return null;
  return lookup(host).then(() => null, (err: Error) => new Error(`dns error: ${err.message}`));
}

/**
 * Why no connection was made, for people: the address, the connection error without the native
 * layer's debug dump, and, when TLS is on, that a server without TLS (a local dev server with a
 * Cloud API key left in the environment) never answers a TLS handshake.
 */
export function unreachableMessage(options: TemporalConnectionOptions, err: unknown): string {
  const raw = (err as Error).message;
  const host = options.address.replace(/:\d+$/, '');
  // The native layer's own words (a Rust debug dump) for the two usual mistakes, said as what to check.
  const said = /message: "([^"]+)"/.exec(raw)?.[1] ?? raw;
  const reason = /dns error|failed to lookup address|Name or service not known|nodename nor servname/i.test(raw)
    ? `the host name "${host}" cannot be resolved`
    : /^transport error$|h2 protocol error/i.test(said.trim())
      ? 'something answers there, but not as Temporal does: is that the Temporal frontend\'s gRPC port (7233 by default), not its Web UI or another service?'
      : said;
  const tls = options.apiKey ? 'TEMPORAL_API_KEY' : options.tls ? (typeof options.tls === 'object' ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS=true') : null;
  return `cannot reach Temporal at ${options.address} (TEMPORAL_ADDRESS): ${reason}\n` +
    (tls ? `TLS is on (${tls}): a server without TLS, such as a local dev server, does not answer it.\n` : '') +
    'start one with `salesflow dev`, or point TEMPORAL_ADDRESS at your cluster.';
}

/** gRPC's NOT_FOUND, as Temporal answers for a namespace it does not have. */
const NOT_FOUND = 5;

/**
 * Refuses a namespace the cluster does not have, at start: every call would fail with it (a stack
 * trace from apply, an event recorded but not routed, a worker polling nothing). Any other answer
 * (a Cloud API key not allowed to describe namespaces) is left to the calls that follow.
 */
export async function requireNamespace(
  service: { describeNamespace(request: { namespace: string }): Promise<unknown> }, address: string, namespace: string,
): Promise<void> {
  try {
    await service.describeNamespace({ namespace });
  } catch (err) {
    if ((err as { code?: unknown }).code !== NOT_FOUND) return;
    throw new TemporalConfigError(
      `Temporal at ${address} has no namespace "${namespace}" (TEMPORAL_NAMESPACE): ` +
        'set TEMPORAL_NAMESPACE to one it has, or create it (temporal operator namespace create).',
    );
  }
}

function readPem(file: string, variable: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new TemporalConfigError(`${variable}=${file}: ${(err as Error).message}`);
  }
}
