import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import { expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectTemporal, TemporalConfigError, temporalConnectionOptions, TemporalUnreachableError } from '../../src/runtime/client.js';
import { freePort } from '../../src/temporal/index.js';
import { createWorker } from '../../src/runtime/worker.js';

test('a local server needs no TLS; Temporal Cloud with an API key gets TLS and the key', () => {
  expect(temporalConnectionOptions(loadConfig({}))).toEqual({ address: 'localhost:7233' });
  const cloud = loadConfig({ TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'acme.a1b2c', TEMPORAL_API_KEY: 'key-123' });
  expect(temporalConnectionOptions(cloud)).toEqual({ address: 'acme.a1b2c.tmprl.cloud:7233', apiKey: 'key-123', tls: true });
});

test('mTLS reads the certificate pair once; a missing file is named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-tls-'));
  fs.writeFileSync(path.join(dir, 'client.pem'), 'CERT');
  fs.writeFileSync(path.join(dir, 'client.key'), 'KEY');
  const config = loadConfig({ TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'), TEMPORAL_TLS_KEY: path.join(dir, 'client.key') });
  const options = temporalConnectionOptions(config);
  expect(options.tls).toEqual({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });

  const missing = loadConfig({ TEMPORAL_TLS_CERT: path.join(dir, 'nope.pem'), TEMPORAL_TLS_KEY: path.join(dir, 'client.key') });
  expect(() => temporalConnectionOptions(missing)).toThrow(TemporalConfigError);
  expect(() => temporalConnectionOptions(missing)).toThrow(/TEMPORAL_TLS_CERT=.*nope\.pem/);
  const half = loadConfig({ TEMPORAL_TLS_CERT: path.join(dir, 'client.pem') });
  expect(() => temporalConnectionOptions(half)).toThrow('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('nothing listening at TEMPORAL_ADDRESS is a clear error, not a hang', async () => {
  const port = await freePort();
  const started = Date.now();
  const failure = await connectTemporal(loadConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` })).catch((err: Error) => err);
  expect(failure).toBeInstanceOf(TemporalUnreachableError);
  expect((failure as Error).message).toContain(`cannot reach Temporal at 127.0.0.1:${port} (TEMPORAL_ADDRESS)`);
  expect(Date.now() - started).toBeLessThan(15_000);
});

// Was refused at start as "expected host:port" although the SDK connects to it: a cluster reached
// over IPv6 could not be named at all.
test('an IPv6 TEMPORAL_ADDRESS in brackets is taken, and nothing listening there is said as for any address', async () => {
  expect(() => loadConfig({ TEMPORAL_ADDRESS: '::1:7233' })).toThrow(/TEMPORAL_ADDRESS: expected host:port.*\[fd00::7\]:7233/);
  const port = await freePort();
  const config = loadConfig({ TEMPORAL_ADDRESS: `[::1]:${port}` });
  expect(config.temporal.address).toBe(`[::1]:${port}`);
  const failure = await connectTemporal(config).catch((err: Error) => err);
  expect(failure).toBeInstanceOf(TemporalUnreachableError);
  expect((failure as Error).message).toContain(`cannot reach Temporal at [::1]:${port} (TEMPORAL_ADDRESS)`);
});

// Were the native layer's words: `tonic::transport::Error(Transport, ConnectError(ConnectError("dns
// error", Custom { … })))` for a mistyped host, and a bare "transport error" for a port where
// something other than Temporal answers (its Web UI, PostgreSQL).
test('a host name that does not resolve, and a port that is not Temporal, are said in words', async () => {
  // The client (apply, events send, serve) and the worker's native connection alike.
  const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.invalid:7233', SALESFLOW_SECRET: 'client-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1' });
  for (const unresolved of [await connectTemporal(config).catch((err: Error) => err), await createWorker(config).catch((err: Error) => err)]) {
    expect((unresolved as Error).message).toMatch(/^cannot reach Temporal at temporal\.invalid:7233 \(TEMPORAL_ADDRESS\): the host name "temporal\.invalid" cannot be resolved\n/);
  }
  const http = await new Promise<import('node:http').Server>((resolve) => {
    const server = createServer((_req, res) => res.end('Temporal Web UI'));
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
  try {
    const port = (http.address() as { port: number }).port;
    const there = loadConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, SALESFLOW_SECRET: 'client-test-secret-0123456789', SMTP_URL: 'smtp://127.0.0.1:1' });
    const notTemporal = await createWorker(there).catch((err: Error) => err);
    expect((notTemporal as Error).message).toContain(`cannot reach Temporal at 127.0.0.1:${port} (TEMPORAL_ADDRESS): something answers there, but not as Temporal does: is that the Temporal frontend's gRPC port (7233 by default)`);
  } finally {
    http.close();
  }
});
