// `salesflow plan [paths]`: show the Temporal schedule changes the rules imply; changes nothing.
import { runSchedulesCommand } from '../../runtime/schedules-command.js';

export function run(args: string[]): Promise<number> {
  return runSchedulesCommand('plan', args);
}
