// `salesflow serve [rule paths]`: the HTTP server (events webhook, approval pages, unsubscribe)
// against the configured Temporal and data source. Runs until SIGINT/SIGTERM, then closes the
// listener, the Temporal connection and the database, in that order.
import { formatDiagnostics } from '../../dsl/index.js';
import { loadMappings } from '../../connectors/mapping/load.js';
import { fail, loadConfigChecked, loadPlan, openDataAndTemporal } from '../../runtime/session.js';
import { startServer } from '../../server/index.js';

const USAGE = 'usage: salesflow serve [rule paths]   (PORT, PUBLIC_URL, SALESFLOW_SECRET, TEMPORAL_ADDRESS, DATABASE_URL from the environment)\n';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  if (!config.value.secret) {
    return fail('SALESFLOW_SECRET is not set: it signs approval and unsubscribe links and checks webhook signatures (at least 16 characters)');
  }
  const plan = await loadPlan(args);
  if (!plan.ok) return fail(plan.message);
  const crm = loadMappings(args);
  if (crm.diagnostics.some((d) => d.severity === 'error')) {
    return fail(`${formatDiagnostics(crm.diagnostics, 'text').trimEnd()}\nCRM mappings have errors; fix them first (salesflow check)`);
  }
  const opened = await openDataAndTemporal(config.value);
  if (!opened.ok) return fail(opened.message);
  const { db, temporal } = opened.value;

  let server;
  try {
    server = await startServer({ config: config.value, db: db, temporalClient: temporal.client, plan: plan.value, mappings: crm.mappings });
  } catch (err) {
    await temporal.close();
    await db.close();
    return fail(`cannot listen on port ${config.value.port}: ${(err as Error).message}`);
  }
  process.stdout.write(
    `salesflow serve: listening on ${server.url} (public URL ${config.value.publicUrl}); ` +
      `Temporal ${config.value.temporal.address}/${config.value.temporal.namespace}; ` +
      `${plan.value.rules.length} rule(s); data ${config.value.databasePath}\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('salesflow serve: shutting down\n');
  await server.close();
  await temporal.close();
  await db.close();
  return 0;
}
