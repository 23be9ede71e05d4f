// One `serve`-like process for tests/server/webhooks-several-serve.test.ts: the built server (dist/)
// on its own data source handle (DATABASE_URL) and its own free port, with the CRM mappings of a
// rules folder in its plan, as `serve` has them from the applied plan. Its plan has no sequences,
// so routing an event touches only the database and its Temporal client never connects. Prints
// {"url": ...} once listening; stops on SIGTERM.
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { loadConfig } from '../../dist/config.js';
import { loadMappings } from '../../dist/connectors/mapping/load.js';
import { openDatabase } from '../../dist/data/db.js';
import { startServer } from '../../dist/server/index.js';

const [fixtures] = process.argv.slice(2);
const config = loadConfig(process.env);
const db = await openDatabase(config.databasePath);
const { mappings } = loadMappings([join(fixtures, 'rules')], fixtures);
const server = await startServer({
  config,
  db,
  temporalClient: new Client(),
  plan: { formatVersion: 1, hash: 'several-serve', metrics: [], rules: [], crm: mappings },
  hostname: '127.0.0.1',
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once('SIGTERM', async () => {
  await server.close();
  await db.close();
  process.exit(0);
});
