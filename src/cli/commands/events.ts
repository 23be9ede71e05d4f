// `salesflow events send FILE.json [paths]`: feed CRM events (one or an array) through the same
// routing as `POST /events`, by the applied plan in the data source (never by ./rules); rule paths
// route by those rules instead, as a trial, and the command says so.
import { describeRoute, routeEvent } from '../../runtime/events.js';
import { readEventFile } from '../../runtime/event-file.js';
import { otherTemporalMessage } from '../../runtime/applied-temporal.js';
import { openWithPlan } from '../../runtime/applied-plan.js';
import { fail, loadConfigChecked } from '../../runtime/session.js';

const USAGE = 'usage: salesflow events send FILE.json [rule paths]\n' +
  '  routed by the applied plan in DATABASE_URL; rule paths route by those rules instead (a trial, not the applied plan)\n';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const option = args.find((a) => a.startsWith('-'));
  if (option) {
    process.stderr.write(`salesflow events: unknown option ${option}\n${USAGE}`);
    return 1;
  }
  const [sub, file, ...paths] = args;
  if (sub !== 'send' || !file) {
    const why = sub === undefined ? 'expected a subcommand: send' : sub !== 'send' ? `unknown subcommand "${sub}": expected send` : 'events send needs a FILE.json';
    process.stderr.write(`salesflow events: ${why}\n${USAGE}`);
    return 1;
  }
  const read = readEventFile(file);
  if (!read.ok) {
    process.stderr.write(`${read.errors.join('\n')}\nno event was sent\n`);
    return 1;
  }
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const opened = await openWithPlan(config.value, paths);
  if (!opened.ok) return fail(opened.message);
  const { db, temporal, plan } = opened.value;
  // Before anything is recorded: in another Temporal than the plan's, runs would start unpolled
  // and the events be taken as seen.
  const other = await otherTemporalMessage(db, temporal.client, config.value.temporal, 'events send').catch(async (err: unknown) => {
    await temporal.close();
    await db.close();
    throw err;
  });
  if (other) {
    await temporal.close();
    await db.close();
    return fail(other);
  }
  if (plan.notice) process.stderr.write(`salesflow: ${plan.notice}\n`);
  const totals = { routed: 0, duplicates: 0, started: 0, stopped: 0 };
  try {
    for (const { event, absent } of read.events) {
      const result = await routeEvent(
        { client: temporal.client, db: db, plan: plan.plan, config: config.value },
        event,
        absent,
        { ordered: true },
      );
      process.stdout.write(`${describeRoute(result)}\n`);
      if (result.duplicate) totals.duplicates++;
      else totals.routed++;
      totals.started += result.started.length;
      totals.stopped += result.stopped.length;
    }
  } finally {
    await temporal.close();
    await db.close();
  }
  process.stdout.write(
    `${totals.routed} event(s) routed, ${totals.duplicates} duplicate(s); ` +
      `${totals.started} sequence run(s) started, ${totals.stopped} stopped\n`,
  );
  return 0;
}
