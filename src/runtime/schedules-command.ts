// The shared body of `salesflow plan` and `salesflow apply`. Apply records the compiled plan in the
// data source (the applied plan every process runs) before it changes the schedules, so a run a
// schedule starts always finds its rule in the applied plan, and an apply cut short converges when
// run again: the plan is already recorded, the schedules still differ. Two applies at once take
// turns (apply-lock.ts), so the plan recorded last is the one the schedules carry.
import { ServiceError } from '@temporalio/client';
import { type AppliedPlanInfo, latestAppliedPlan } from '../data/plans.js';
import { ApplyLockTimeout, withApplyLock } from './apply-lock.js';
import type { Plan } from '../plan/schema.js';
import { describeTemporal, recordApplyTarget, schedulesLeftBehind } from './applied-temporal.js';
import { dataSourceName, describeApplied, noAppliedPlanMessage, recordPlan, shortHash } from './applied-plan.js';
import { describeRuleChanges } from './rule-field-diff.js';
import { countMatchingReps } from './goal-period-start.js';
import { renderChanges, renderPeriodStarts } from './schedule-diff.js';
import { applySchedules, hasChanges, planSchedules } from './schedules.js';
import { connect, fail, loadConfigChecked, loadPlan, noDataSourceFile, openData } from './session.js';
import type { Db } from '../data/db.js';

export async function runSchedulesCommand(mode: 'plan' | 'apply', args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      `usage: salesflow ${mode} [rule paths]   (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, DATABASE_URL from the environment)\n`,
    );
    return 0;
  }
  const paths = args.filter((a) => !a.startsWith('-'));
  const unknown = args.filter((a) => a.startsWith('-'));
  if (unknown.length > 0) return fail(`${mode}: unknown option ${unknown[0]} (usage: salesflow ${mode} [paths])`);
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const plan = await loadPlan(paths);
  if (!plan.ok) return fail(plan.message);
  // `plan` only reads: a SQLite file that is not there holds no applied plan, and is said so rather
  // than created empty in whatever folder CI runs `plan` from (status and history do the same).
  const missingFile = mode === 'plan' && noDataSourceFile(config.value);
  const opened = missingFile ? null : await openData(config.value);
  if (opened && !opened.ok) return fail(opened.message);
  const data = opened?.value ?? null;
  const temporal = await connect(config.value);
  if (!temporal.ok) {
    await data?.close();
    return fail(temporal.message);
  }
  const where = `${config.value.temporal.address}, namespace ${config.value.temporal.namespace}`;
  // What was done when Temporal failed: the message then says whether the plan is recorded.
  let recordedAs: AppliedPlanInfo | null = null;
  const run = async () => {
    const changes = await planSchedules(temporal.value.client, plan.value, config.value.temporal.taskQueue);
    process.stdout.write(renderChanges(changes, where));
    // A folder with no rule file (a wrong path in CI, files moved away) is a plan without rules:
    // legal (it retires everything), but never what anyone means by accident, so it is said.
    if (plan.value.rules.length === 0) {
      process.stderr.write(
        `warning: ${paths.length > 0 ? paths.join(' ') : 'rules/'} declares no goal, incentive or sequence: ` +
          `this plan ${mode === 'apply' ? 'removes' : 'would remove'} every salesflow schedule, and later runs start no rule\n`,
      );
    }
    if (!data) {
      process.stdout.write(`Plan ${shortHash(plan.value.hash)}: ${noAppliedPlanMessage(config.value)}.\n`);
      return;
    }
    if (mode === 'plan') {
      process.stdout.write(await describePlanRecord(data, plan.value));
      return;
    }
    const { recorded, applied, gitWarning } = await recordPlan(data, plan.value, paths);
    recordedAs = applied;
    if (gitWarning && recorded) process.stderr.write(`warning: ${gitWarning}\n`);
    if (hasChanges(changes)) {
      const started = await countMatchingReps(data, plan.value, await applySchedules(temporal.value.client, changes, { now: new Date() }));
      process.stdout.write(
        `Apply complete: ${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed.\n`,
      );
      process.stdout.write(renderPeriodStarts(started));
    }
    // The schedules are in place here: `events send` and `serve` pointed at another Temporal refuse.
    const moved = await recordApplyTarget(data, temporal.value.client, config.value.temporal, applied.version);
    if (moved) {
      process.stderr.write(
        `note: the plan was applied to ${describeTemporal(moved)} before (${moved.appliedAt}); it is now recorded as applied to ` +
          `${describeTemporal(config.value.temporal)}: point the workers, serve and events send at this one` +
          `${await schedulesLeftBehind(temporal.value.client, moved, config.value.temporal)}\n`,
      );
    }
    process.stdout.write(
      recorded
        ? `Applied plan recorded in ${dataSourceName(config.value)}: ${describeApplied(applied)}.\n`
        : `Plan ${shortHash(applied.hash)} is already the applied plan (${describeApplied(applied)}); nothing recorded.\n`,
    );
  };
  try {
    // Applies take turns from reading the schedules to the last change (apply-lock.ts); plan reads only.
    if (mode === 'plan' || !data) await run();
    else {
      await withApplyLock(data, run, () => {
        process.stderr.write('salesflow apply: another apply is running on this data source; waiting for it to finish\n');
      });
    }
  } catch (err) {
    if (err instanceof ApplyLockTimeout) return fail(err.message);
    if (!(err instanceof ServiceError)) throw err;
    // Temporal went away or refused half way: say what is done and that running apply again finishes it.
    const reason = (err.cause?.message ?? err.message).replace(/\s*Resolution note:\s*$/, '').replace(/\s+/g, ' ');
    const failed = `Temporal (${where}) failed: ${reason}`;
    const again = `"salesflow ${mode}${paths.length ? ` ${paths.join(' ')}` : ''}"`;
    if (!recordedAs) return fail(`${mode}: ${failed}; nothing was recorded or changed: run ${again} again`);
    // Unreachable or busy: the same apply finishes the job. Anything else (a schedule Temporal
    // refuses, such as one over its payload size limit) fails again until its cause is fixed.
    const transient = [4, 14].includes(Number((err.cause as { code?: unknown } | undefined)?.code));
    return fail(
      `apply: ${failed} while changing the schedules, after the plan was recorded (${describeApplied(recordedAs)}): ` +
        'some schedules may still run the previous rules. ' +
        (transient
          ? `Run ${again} again to finish: it records nothing new and brings the schedules in line`
          : `Fix what Temporal refused and apply again; until then the schedules and the applied plan differ ("salesflow plan" lists what is left)`),
    );
  } finally {
    await temporal.value.close();
    await data?.close();
  }
  return 0;
}

async function describePlanRecord(db: Db, plan: Plan): Promise<string> {
  const head = await latestAppliedPlan(db);
  if (head?.hash === plan.hash) return `Plan ${shortHash(plan.hash)} is the applied plan (version ${head.version}).\n`;
  const now = head ? `the applied plan is ${shortHash(head.hash)}, version ${head.version}` : 'no plan is applied yet';
  const record = `Plan ${shortHash(plan.hash)} differs from the applied plan (${now}); apply records it as version ${(head?.version ?? 0) + 1}.\n`;
  return head ? record + describeRuleChanges(head.planJson, plan) : record;
}
