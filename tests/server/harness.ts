// A real server on a free port over a real SQLite file, for HTTP tests with plain fetch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import type { CrmMapping } from '../../src/connectors/mapping/types.js';
import type { Plan } from '../../src/plan/schema.js';
import { startServer, type DevOptions, type RouteEvent } from '../../src/server/index.js';
import { sequenceRule, step, template } from '../workflows/support/rules.js';

export const SECRET = 'test-secret-0123456789abcdef';

export interface Harness {
  url: string;
  db: Db;
  config: Config;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Fixed port (so PUBLIC_URL, the base of links in emails, can name it); default any free port. */
  port?: number;
  /** Defaults to a client that never connects (for routes that do not reach Temporal). */
  temporalClient?: Client;
  plan?: Plan | null;
  routeEvent?: RouteEvent;
  dev?: DevOptions;
  /** CRM mappings for the /webhooks routes: the plan carries them, as an applied plan would. */
  mappings?: CrmMapping[];
  clock?: () => number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'salesflow-server-'));
  const config = loadConfig({
    SALESFLOW_SECRET: SECRET,
    PORT: String(options.port ?? 0),
    DATABASE_URL: path.join(dir, 'salesflow.db'),
    PUBLIC_URL: `http://127.0.0.1:${options.port ?? 1}`,
    ...options.env,
  });
  const db = await openDatabase(config.databasePath);
  const plan = options.plan === undefined ? { formatVersion: 1 as const, hash: 'test', metrics: [], rules: [] } : options.plan;
  const server = await startServer({
    config,
    db,
    temporalClient: options.temporalClient ?? new Client(),
    plan: options.mappings ? { ...(plan ?? { formatVersion: 1, hash: 'test', metrics: [], rules: [] }), crm: options.mappings } : plan,
    routeEvent: options.routeEvent,
    dev: options.dev,
    clock: options.clock,
    hostname: '127.0.0.1',
  });
  return {
    url: server.url,
    db,
    config,
    close: async () => {
      await server.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The server with a Temporal client that cannot connect (a closed port, 1 s connect timeout) and
 * one webinar sequence in its plan: what a route does while Temporal is down.
 */
export async function startHarnessWithoutTemporal(): Promise<Harness> {
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 1000 });
  const rule = sequenceRule({ id: 'webinar', templates: [template('hi', 'Hi', 'Hi {{lead.name}}')], steps: [step.send('hi')] });
  const h = await startHarness({ temporalClient: new Client({ connection }), plan: { formatVersion: 1, hash: 'h', metrics: [], rules: [rule] } });
  return {
    ...h,
    close: async () => {
      await h.close();
      await connection.close().catch(() => {});
    },
  };
}
