// `salesflow serve [rule paths]`: the HTTP server (events webhook, CRM webhooks, approval pages,
// unsubscribe) against the configured Temporal and data source. Events are routed, and CRM webhooks
// translated, by the applied plan in the data source (its rules and its CRM mappings), looked up per
// request, so a later `salesflow apply` takes effect without a restart and nothing depends on the
// folder serve starts in. Rule paths route by those rules and the mappings beside them instead (a
// trial), and serve says so. Another Temporal than the one the plan was applied to is refused at
// start, and, recorded by an apply while serve runs, answered 503 for events and not ready. Runs until SIGINT/SIGTERM, then closes the listener, the Temporal
// connection and the database, in that order.
import { HubSpotApi, hubSpotZoneWarning } from '../../connectors/hubspot.js';
import { findMapping } from '../../connectors/mapping/load.js';
import {
  AppliedPlanSource, dataSourceName, describeApplied, describeCrmMappings, openWithPlan, shortHash,
} from '../../runtime/applied-plan.js';
import { AppliedTemporalWatch } from '../../runtime/applied-temporal.js';
import { fail, loadConfigChecked } from '../../runtime/session.js';
import { startServer } from '../../server/index.js';

const USAGE = 'usage: salesflow serve [rule paths]   (PORT, PUBLIC_URL, SALESFLOW_SECRET, TEMPORAL_ADDRESS, DATABASE_URL from the environment)\n' +
  '  without rule paths, events are routed by the plan `salesflow apply` recorded in DATABASE_URL\n';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  // serve takes rule paths only; an option would otherwise be read as a path (or go unnoticed).
  const option = args.find((a) => a.startsWith('-'));
  if (option) {
    process.stderr.write(`salesflow serve: unknown option ${option} (the port is PORT in the environment)\n${USAGE}`);
    return 1;
  }
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  if (!config.value.secret) {
    return fail('SALESFLOW_SECRET is not set: it signs approval and unsubscribe links and checks webhook signatures (at least 16 characters)');
  }
  const opened = await openWithPlan(config.value, args);
  if (!opened.ok) return fail(opened.message);
  const { db, temporal, plan } = opened.value;
  const closeAll = async () => {
    await temporal.close();
    await db.close();
  };
  // Refused at start, as a namespace the cluster does not have is: events would start runs no
  // worker polls, and approval pages would find none of the runs.
  const watch = new AppliedTemporalWatch(db, temporal.client, config.value.temporal);
  const other = await watch.otherMessage('serve').catch(async (err: unknown) => {
    await closeAll();
    throw err;
  });
  if (other) {
    await closeAll();
    return fail(other);
  }
  if (plan.notice) process.stderr.write(`salesflow serve: ${plan.notice}\n`);
  const log = (line: string) => process.stdout.write(`salesflow serve: ${line}\n`);
  const applied = plan.applied
    ? new AppliedPlanSource(db, config.value, (info, previous, newPlan) => {
      log(`now routing by the newly applied plan ${shortHash(info.hash)} (was ${shortHash(previous.hash)}): ${describeApplied(info)}`);
      log(describeCrmMappings(newPlan));
    })
    : null;
  // Primes the source with the plan just read, so the first event does not read it again.
  if (applied) await applied.current();
  // An apply elsewhere may move the plan to another Temporal while serve runs (without a new plan
  // version): checked again per event and by /readyz, and said once each time it changes.
  let refusing: string | null = null;
  const otherTemporal = async () => {
    const reason = await watch.servingMessage();
    if (reason !== refusing) log(reason ? `not taking events: ${reason}` : 'taking events again: the plan is applied to this Temporal');
    refusing = reason;
    return reason;
  };

  let server;
  try {
    server = await startServer({
      config: config.value, db, temporalClient: temporal.client, plan: plan.plan, otherTemporal,
      ...(applied ? { currentPlan: async () => (await applied.current()).plan } : {}),
    });
  } catch (err) {
    await closeAll();
    return fail(`cannot listen on port ${config.value.port}: ${(err as Error).message}`);
  }
  const source = plan.applied
    ? `the applied plan (${describeApplied(plan.applied)}; a new apply is picked up without a restart)`
    : `plan ${shortHash(plan.plan.hash)} from ${args.join(' ')} (NOT the applied plan)`;
  process.stdout.write(
    `salesflow serve: listening on ${server.url} (public URL ${config.value.publicUrl}); ` +
      `Temporal ${config.value.temporal.address}/${config.value.temporal.namespace}; ` +
      `routing by ${source}; data ${dataSourceName(config.value)}\n` +
      `salesflow serve: ${describeCrmMappings(plan.plan)}\n`,
  );
  // Said once at start, without holding it up: the API may be slow or out of reach.
  const hubspot = config.value.crm?.hubspot;
  if (hubspot?.appSecret && hubspot.apiToken) {
    const mapping = findMapping(plan.plan.crm ?? [], 'hubspot')!;
    void hubSpotZoneWarning(new HubSpotApi(hubspot.apiUrl, hubspot.apiToken), mapping, Date.now())
      .then((warning) => { if (warning) process.stderr.write(`salesflow serve: warning: ${warning}\n`); })
      .catch(() => undefined);
  }

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('salesflow serve: shutting down\n');
  await server.close();
  await closeAll();
  return 0;
}
