// `salesflow payouts run --period P [--rule NAME]`: what an incentive's period-end schedule does,
// now. One payout workflow per (rule, rep, period) with a deterministic id and REJECT_DUPLICATE, so
// running it twice (or after the schedule already did) never starts a second statement.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { findRepsWhere } from '../data/reps.js';
import { selectIncentives as chooseIncentives } from '../payouts/rule-selection.js';
import { parsePeriod, type Period } from '../payouts/period.js';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import type { IncentiveRule, Plan } from '../plan/schema.js';
import { localDate } from '../workflows/calendar.js';
import { type PayoutInput, workflowIds } from '../workflows/api.js';
import { openWithPlan } from './applied-plan.js';
import { fail, loadConfigChecked } from './session.js';

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
  const opened = await openWithPlan(config.value, options.paths);
  if (!opened.ok) return fail(opened.message);
  const { db, temporal, plan } = opened.value;
  try {
    if (plan.notice) process.stderr.write(`salesflow: ${plan.notice}\n`);
    const selection = selectIncentives(plan.plan, period, options.rule, options.now ?? new Date());
    if (!selection.ok) return fail(selection.message);
    for (const note of selection.skipped) process.stdout.write(`${note}\n`);
    const deps = { client: temporal.client, db: db, config: config.value, planHash: plan.plan.hash };
    const runs = await startPayouts(deps, selection.rules, period);
    process.stdout.write(describePayoutRuns(selection.rules, period, runs));
  } finally {
    await temporal.close();
    await db.close();
  }
  return 0;
}

export type IncentiveSelection =
  | { ok: true; rules: IncentiveRule[]; skipped: string[] }
  | { ok: false; message: string };

/** The incentives that pay for this period now; a clear refusal when none may run. */
export function selectIncentives(plan: Plan, period: Period, ruleName: string | undefined, now: Date): IncentiveSelection {
  // The same choice as `simulate --rule` and `test`: by name or id, case-insensitive, with "did you
  // mean" on a typo and "is a goal, not an incentive" for another kind of rule.
  const chosen = chooseIncentives(plan, ruleName);
  if (!chosen.ok) return chosen;
  const selected = chosen.rules;
  const rules: IncentiveRule[] = [];
  const skipped: string[] = [];
  for (const rule of selected) {
    const refusal = refuse(rule, period, now);
    if (refusal === null) rules.push(rule);
    else if (ruleName || refusal.fatal) return { ok: false, message: refusal.message };
    else skipped.push(`${rule.name}: skipped, ${refusal.message}`);
  }
  if (rules.length === 0) return { ok: false, message: `no incentive pays for ${period.label}:\n  ${skipped.join('\n  ')}` };
  return { ok: true, rules, skipped };
}

export interface PayoutRun {
  ruleId: string;
  repId: string;
  repName: string;
  workflowId: string;
  outcome: 'started' | 'already-run';
}

export interface PayoutDeps {
  client: Client;
  db: Db;
  config: Pick<Config, 'temporal'>;
  /** The plan the rules come from, recorded on each run, its statement and its ledger row. */
  planHash?: string;
}

/** One payout workflow per matching rep; a run that exists (running or finished) is left alone. */
export async function startPayouts(deps: PayoutDeps, rules: IncentiveRule[], period: Period): Promise<PayoutRun[]> {
  const runs: PayoutRun[] = [];
  for (const rule of rules) {
    for (const rep of await findRepsWhere(deps.db, rule.reps)) {
      const outcome = await startPayout(deps, rule, rep.id, period.label);
      runs.push({
        ruleId: rule.id, repId: rep.id, repName: rep.name,
        workflowId: workflowIds.payout(rule.id, rep.id, period.label),
        outcome: outcome === 'started' ? 'started' : 'already-run',
      });
    }
  }
  return runs;
}

export function describePayoutRuns(rules: IncentiveRule[], period: Period, runs: PayoutRun[]): string {
  const lines: string[] = [];
  for (const rule of rules) {
    const mine = runs.filter((r) => r.ruleId === rule.id);
    if (mine.length === 0) {
      lines.push(`${rule.name} ${period.label}: no rep matches the rule's "for reps"`);
      continue;
    }
    lines.push(`${rule.name} ${period.label}:`);
    for (const run of mine) {
      lines.push(`  ${run.outcome === 'started' ? 'started    ' : 'already run'}  ${run.repName} (${run.repId})  ${run.workflowId}`);
    }
  }
  const started = runs.filter((r) => r.outcome === 'started').length;
  lines.push(`${started} payout run(s) started, ${runs.length - started} already run`);
  return `${lines.join('\n')}\n`;
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

async function startPayout(deps: PayoutDeps, rule: IncentiveRule, repId: string, period: string): Promise<'started' | 'already'> {
  const input: PayoutInput = { rule, repId, period, ...(deps.planHash ? { planHash: deps.planHash } : {}) };
  try {
    await deps.client.workflow.start('payoutWorkflow', {
      workflowId: workflowIds.payout(rule.id, repId, period),
      taskQueue: deps.config.temporal.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: { ruleVersion: rule.version, startedBy: 'payouts run', ...(deps.planHash ? { planHash: deps.planHash } : {}) },
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already';
    throw err;
  }
}
