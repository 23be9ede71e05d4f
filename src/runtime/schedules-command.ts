// The shared body of `salesflow plan` and `salesflow apply [--yes]`.
import { renderChanges } from './schedule-diff.js';
import { applySchedules, hasChanges, planSchedules } from './schedules.js';
import { connect, fail, loadConfigChecked, loadPlan } from './session.js';

export async function runSchedulesCommand(mode: 'plan' | 'apply', args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: salesflow ${mode} [rule paths]   (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE from the environment)\n`);
    return 0;
  }
  const paths = args.filter((a) => !a.startsWith('-'));
  const unknown = args.filter((a) => a.startsWith('-'));
  if (unknown.length > 0) return fail(`${mode}: unknown option ${unknown[0]} (usage: salesflow ${mode} [paths])`);
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const plan = await loadPlan(paths);
  if (!plan.ok) return fail(plan.message);
  const temporal = await connect(config.value);
  if (!temporal.ok) return fail(temporal.message);
  const where = `${config.value.temporal.address}, namespace ${config.value.temporal.namespace}`;
  try {
    const changes = await planSchedules(temporal.value.client, plan.value, config.value.temporal.taskQueue);
    process.stdout.write(renderChanges(changes, where));
    if (mode === 'apply' && hasChanges(changes)) {
      await applySchedules(temporal.value.client, changes);
      process.stdout.write(
        `Apply complete: ${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed.\n`,
      );
    }
  } finally {
    await temporal.value.close();
  }
  return 0;
}
