// `salesflow apply [paths]`: record the compiled rules as the applied plan in the data source (the
// plan serve, events send and payouts run use) and make the Temporal schedule changes they imply;
// a second apply records nothing and reports no changes. Workflows already running are never touched.
import { runSchedulesCommand } from '../../runtime/schedules-command.js';

export function run(args: string[]): Promise<number> {
  return runSchedulesCommand('apply', args);
}
