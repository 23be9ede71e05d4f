// GET /readyz against real parts: a spawned Temporal dev server, a real SQLite file and a throwaway
// PostgreSQL cluster. Ready while both answer; 503 naming the one that is down (and within a few
// seconds, so a load balancer's probe does not time out first); /healthz stays 200 throughout.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { type Harness, startHarness, startHarnessWithoutTemporal } from './harness.js';

async function probe(url: string): Promise<{ status: number; body: Record<string, unknown>; cacheControl: string | null; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${url}/readyz`);
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body, cacheControl: res.headers.get('cache-control'), ms: Date.now() - started };
}

describe('GET /readyz', () => {
  let temporal: DevServerProcess;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    temporal = await spawnDevServer({ dbFile: null });
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection, namespace: temporal.namespace });
  }, 60_000);

  afterAll(async () => {
    await connection?.close().catch(() => {});
    await temporal?.stop();
  });

  it('is ready with SQLite and a running Temporal, answers HEAD, and refuses other methods like /healthz', async () => {
    const h = await startHarness({ temporalClient: client });
    try {
      const ready = await probe(h.url);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
      expect(ready.cacheControl).toBe('no-store');

      const head = await fetch(`${h.url}/readyz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');

      for (const method of ['POST', 'DELETE']) {
        const res = await fetch(`${h.url}/readyz`, { method });
        expect([method, res.status, res.headers.get('allow')]).toEqual([method, 405, 'GET, HEAD']);
      }
    } finally {
      await h.close();
    }
  });

  it.skipIf(postgresUnavailable !== null)('with PostgreSQL stopped is 503 naming the database, without its password, while /healthz stays 200', async () => {
    const pg: TestPostgres = await startPostgres();
    let stopped = false;
    // Trust auth ignores the password, so it can be in the URL to show it never reaches the answer.
    const url = (await pg.createDatabase('readyz')).replace('postgres@', 'postgres:s3cret-pw@');
    const h = await startHarness({ temporalClient: client, env: { DATABASE_URL: url } });
    try {
      expect((await probe(h.url)).body).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
      pg.stop();
      stopped = true;
      const down = await probe(h.url);
      expect(down.status).toBe(503);
      expect(down.cacheControl).toBe('no-store');
      expect(down.body).toMatchObject({ status: 'not_ready', checks: { database: 'failed', temporal: 'ok' } });
      const reasons = down.body.reasons as Record<string, string>;
      expect(Object.keys(reasons)).toEqual(['database']);
      expect(reasons.database).toContain(`127.0.0.1:${pg.port}`);
      expect(JSON.stringify(down.body)).not.toContain('s3cret-pw');
      expect(down.ms).toBeLessThan(5_000);
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    } finally {
      await h.close().catch(() => {});
      if (!stopped) pg.stop();
    }
  }, 120_000);

  it('with Temporal on a closed port is 503 naming temporal within a few seconds', async () => {
    const h = await startHarnessWithoutTemporal();
    try {
      const down = await probe(h.url);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'not_ready', checks: { database: 'ok', temporal: 'failed' } });
      expect(Object.keys(down.body.reasons as object)).toEqual(['temporal']);
      expect(down.ms).toBeLessThan(5_000);
    } finally {
      await h.close();
    }
  });

  // Last: it stops the shared dev server.
  it('is 503 naming temporal once the dev server it was ready with stops, within a few seconds; /healthz stays 200', async () => {
    const h = await startHarness({ temporalClient: client });
    try {
      expect((await probe(h.url)).status).toBe(200);
      await temporal.stop();
      const down = await probe(h.url);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'not_ready', checks: { database: 'ok', temporal: 'failed' } });
      expect((down.body.reasons as Record<string, string>).temporal).toMatch(/^Temporal at \S+: \S/);
      expect(down.ms).toBeLessThan(5_000);
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    } finally {
      await h.close();
    }
  }, 60_000);
});
