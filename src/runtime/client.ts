// The one place that turns Config into a Temporal connection: local dev server, a self-hosted
// cluster with mTLS, or Temporal Cloud with an API key. The worker's NativeConnection takes the
// same options, so client and worker can never disagree about where Temporal is.
import fs from 'node:fs';
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
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${options.address} (TEMPORAL_ADDRESS): ${(err as Error).message}\n` +
        'start one with `salesflow dev`, or point TEMPORAL_ADDRESS at your cluster.',
    );
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

function readPem(file: string, variable: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new TemporalConfigError(`${variable}=${file}: ${(err as Error).message}`);
  }
}
