// `salesflow apply [paths]`: make the Temporal schedule changes the rules imply; a second apply
// reports no changes. Workflows already running are never touched.
import { runSchedulesCommand } from '../../runtime/schedules-command.js';

export function run(args: string[]): Promise<number> {
  return runSchedulesCommand('apply', args);
}
