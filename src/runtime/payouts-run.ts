// `salesflow payouts run --period P [--rule NAME]`: what an incentive's period-end schedule does,
// now. One payout workflow per (rule, rep, period) with a deterministic id and REJECT_DUPLICATE, so
// running it twice (or after the schedule already did) never starts a second statement.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { findRepsWhere } from '../data/reps.js';
import { parsePeriod, type Period } from '../payouts/period.js';
import type { IncentiveRule } from '../plan/schema.js';
import { localDate } from '../workflows/calendar.js';
import { type PayoutInput, workflowIds } from '../workflows/api.js';
import { connect, fail, loadConfigChecked, loadPlan, openData } from './session.js';

export interface PayoutsRunOptions {
  period: string;
  /** Rule name or id; all incentives when omitted. */
  rule?: string;
  paths: string[];
  /** The clock, for tests of "not ended yet". */
  now?: Date;
}

export async function runPayouts(options: PayoutsRunOptions): Promise<number> {
  const parsed = parsePeriod(options.period);
  if (!parsed.ok) return fail(`--period ${parsed.message}`);
  const period = parsed.period;
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const plan = await loadPlan(options.paths);
  if (!plan.ok) return fail(plan.message);

  const incentives = plan.value.rules.filter((r): r is IncentiveRule => r.kind === 'incentive');
  const selected = options.rule
    ? incentives.filter((r) => r.name === options.rule || r.id === options.rule)
    : incentives;
  if (selected.length === 0) {
    const known = incentives.map((r) => `"${r.name}"`).join(', ') || 'none';
    return fail(options.rule ? `no incentive named "${options.rule}" (incentives: ${known})` : 'the rules define no incentive');
  }

  const now = options.now ?? new Date();
  const runnable: IncentiveRule[] = [];
  for (const rule of selected) {
    const refusal = refuse(rule, period, now);
    if (refusal === null) runnable.push(rule);
    else if (options.rule || refusal.fatal) return fail(refusal.message);
    else process.stdout.write(`${rule.name}: skipped, ${refusal.message}\n`);
  }
  if (runnable.length === 0) return fail(`no incentive pays for ${period.label}`);

  const db = openData(config.value);
  if (!db.ok) return fail(db.message);
  const temporal = await connect(config.value);
  if (!temporal.ok) {
    db.value.close();
    return fail(temporal.message);
  }
  try {
    for (const rule of runnable) {
      const reps = findRepsWhere(db.value, rule.reps);
      if (reps.length === 0) {
        process.stdout.write(`${rule.name} ${period.label}: no rep matches the rule's "for reps"\n`);
        continue;
      }
      process.stdout.write(`${rule.name} ${period.label}:\n`);
      for (const rep of reps) {
        const outcome = await startPayout(temporal.value.client, config.value.temporal.taskQueue, rule, rep.id, period.label);
        const id = workflowIds.payout(rule.id, rep.id, period.label);
        const what = outcome === 'started' ? 'started    ' : 'already run';
        process.stdout.write(`  ${what}  ${rep.name} (${rep.id})  ${id}\n`);
      }
    }
  } finally {
    await temporal.value.close();
    db.value.close();
  }
  return 0;
}

type Refusal = { message: string; fatal: boolean };

/** Why a rule does not pay for this period now; null when it does. */
export function refuse(rule: IncentiveRule, period: Period, now: Date): Refusal | null {
  if (rule.period !== period.kind) {
    return { message: `"${rule.name}" pays per ${rule.period}, not per ${period.kind} (${period.label})`, fatal: false };
  }
  const { from, to } = rule.effective;
  if ((from && period.end < from) || (to && period.start > to)) {
    return { message: `"${rule.name}" is not in effect in ${period.label} (effective ${from ?? '…'} to ${to ?? '…'})`, fatal: false };
  }
  // The period closes at midnight in the rule's time zone, like the period-end schedule.
  const today = localDate(now.getTime(), rule.timezone);
  if (today <= period.end) {
    return {
      message: `${period.label} has not ended yet (its last day is ${period.end}, ${rule.timezone}); ` +
        'payouts run only for a closed period',
      fatal: true,
    };
  }
  return null;
}

async function startPayout(
  client: Client, taskQueue: string, rule: IncentiveRule, repId: string, period: string,
): Promise<'started' | 'already'> {
  const input: PayoutInput = { rule, repId, period };
  try {
    await client.workflow.start('payoutWorkflow', {
      workflowId: workflowIds.payout(rule.id, repId, period),
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: { ruleVersion: rule.version, startedBy: 'payouts run' },
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already';
    throw err;
  }
}
