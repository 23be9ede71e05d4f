// `salesflow payouts run --period P [--rule NAME] [--rerun-rejected]`: what an incentive's
// period-end schedule does, now. One payout workflow per (rule, rep, period) with a deterministic id
// and REJECT_DUPLICATE, so running it twice (or after the schedule already did) never starts a
// second statement. A rejected statement is the one exception, and only when asked for: after the
// data is corrected, `--rerun-rejected` starts the next attempt (its own id, so two runs of the
// command at once still start it once), which computes a new statement and asks again. An approved
// statement is never run again, and the ledger's unique key would refuse a second payment anyway.
// A run that ended (terminated or failed in Temporal) before its statement was decided can never be
// decided: the next attempt is started for it without asking, and the output names the ended run.
import { type Client, isGrpcServiceError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { approvalEmailRecorded, refusedApprovalEmails } from '../data/outbox.js';
import { findRepsWhere } from '../data/reps.js';
import type { RepRecord } from '../plan/records.js';
import { nobodyToAsk, unaskedOutcome } from './nobody-to-ask.js';
import { unseenWarnings } from './unseen-warnings.js';
import { endedWords, payoutRunState, payoutRunStates, type PayoutRunState } from './payout-run-state.js';
import { getStatement, type StoredStatement, waitingStatements } from '../data/statements.js';
import { selectIncentives as chooseIncentives } from '../payouts/rule-selection.js';
import { parsePeriod, type Period } from '../payouts/period.js';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import type { IncentiveRule, Plan } from '../plan/schema.js';
import { localDate } from '../workflows/calendar.js';
import { type PayoutInput, payoutStatusQuery, workflowIds } from '../workflows/api.js';
import { openWithPlan } from './applied-plan.js';
import { otherTemporalMessage } from './applied-temporal.js';
import { type FormerName, formerNames } from '../renames/former-names.js';
import { fail, loadConfigChecked } from './session.js';

export interface PayoutsRunOptions {
  period: string;
  /** Rule name or id; all incentives when omitted. */
  rule?: string;
  paths: string[];
  /** The clock, for tests of "not ended yet". */
  now?: Date;
  /** Start a new attempt for each rejected statement (after the data was corrected). */
  rerunRejected?: boolean;
  /** Start again the waiting statements' runs even when this Temporal has none of them (its data lost). */
  restartLost?: boolean;
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
    const other = await otherTemporalMessage(db, temporal.client, config.value.temporal, 'payouts run');
    if (other) return fail(other);
    if (plan.notice) process.stderr.write(`salesflow: ${plan.notice}\n`);
    const selection = selectIncentives(plan.plan, period, options.rule, options.now ?? new Date());
    if (!selection.ok) return fail(selection.message);
    for (const note of selection.skipped) process.stdout.write(`${note}\n`);
    const deps = { client: temporal.client, db: db, config: config.value, planHash: plan.plan.hash };
    if (!options.restartLost) {
      const lacking = await waitingRunsTemporalLacks(deps, period.label, selection.rules);
      if (lacking) return fail(lackingMessage(lacking, period, config.value.temporal));
    }
    // Each rep's line is printed as its run is handled: a run for thousands of reps shows its
    // progress, and what was started before a failure is on screen.
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const report = { onRule: (rule: IncentiveRule, reps: number) => say(ruleHeading(rule, period, reps)), onRun: (run: PayoutRun) => say(runLine(run)) };
    let runs: PayoutRun[];
    try {
      runs = await startPayouts(deps, selection.rules, period, {
        rerunRejected: options.rerunRejected ?? false, formerNames: await formerNames(db, plan.plan), ...report,
      });
    } catch (err) {
      if (!(err instanceof PayoutsInterrupted)) throw err;
      // The runs started before the failure go on; the user must know that running the command
      // again starts only the rest.
      for (const line of closingLines(err.rules, period, err.runs, options.rule)) say(line);
      process.stderr.write(`${interruptedMessage(err, period, options)}\n`);
      if (!lostTemporal(err.cause)) throw err.cause;
      return 1;
    }
    for (const line of closingLines(selection.rules, period, runs, options.rule)) say(line);
    if (runs.some((r) => r.refused)) return 1;
  } finally {
    await temporal.close();
    await db.close();
  }
  return 0;
}

/**
 * The waiting (pending) statements of the period for these rules when Temporal has none of their
 * runs, not even an ended one; null when it has one, or there is none. That is the mark of another
 * namespace or cluster than the one the runs were started in (TEMPORAL_NAMESPACE or
 * TEMPORAL_ADDRESS differing from the workers'), where every run would look lost and be started
 * again, asking every approver a second time.
 */
export async function waitingRunsTemporalLacks(deps: Pick<PayoutDeps, 'client' | 'db'>, period: string, rules: IncentiveRule[]): Promise<string[] | null> {
  const ids = new Set(rules.map((r) => r.id));
  const waiting = (await waitingStatements(deps.db, period)).filter((s) => ids.has(s.statement.ruleId)).map((s) => s.workflowId);
  if (waiting.length === 0) return null;
  // Asked a batch at a time: in the usual case the first batch finds a run and the check ends there.
  for (let at = 0; at < waiting.length; at += STARTS_IN_FLIGHT) {
    const states = await payoutRunStates(deps.client, waiting.slice(at, at + STARTS_IN_FLIGHT));
    if ([...states.values()].some((state) => state.kind !== 'gone')) return null;
  }
  return waiting;
}

function lackingMessage(lacking: string[], period: Period, temporal: Pick<Config['temporal'], 'address' | 'namespace'>): string {
  const n = lacking.length;
  return `payouts run: ${n === 1 ? 'the statement' : `all ${n} statements`} of ${period.label} waiting for approval (${lacking.slice(0, 3).join(', ')}${n > 3 ? ', …' : ''}) ` +
    `${n === 1 ? 'has' : 'have'} no run in Temporal at ${temporal.address}, namespace "${temporal.namespace}", not even an ended one. ` +
    'Most likely this is not the cluster and namespace their runs were started in (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: use those of the workers and serve); ' +
    'starting them here would ask every approver again. Nothing was started. ' +
    `If this Temporal lost those runs (its data lost, or past its retention), \`salesflow payouts run --period ${period.label} --restart-lost\` ` +
    'starts each again: a new statement, asked for again (the ledger never pays a rep twice).';
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
  /** The run started, or the newest one there is. */
  workflowId: string;
  /** `started-again`: a new attempt after a rejection (`--rerun-rejected`). */
  outcome: 'started' | 'started-again' | 'already-run';
  /** For a run not started: the state of the newest attempt, as its statement records it. */
  state?: 'running' | 'recorded' | 'pending' | 'approved' | 'rejected';
  /** The rejection a new attempt follows, or that blocks one (rejected without `--rerun-rejected`). */
  rejected?: { by: string | null; reason: string | null };
  /** Who decided the newest attempt's statement (`otherwise`: the rule, as no one decided). */
  decidedBy?: string | null;
  /**
   * Why no approval email goes out (or went out) for this run: no round of the rule's approval
   * resolves to anyone but the rep. Set for runs started now and for runs still pending unasked.
   */
  nobodyToAsk?: string;
  /** Decided by `otherwise` without an approval email ever sent: nobody could be asked. */
  unasked?: boolean;
  /** Pending with no approval email on record yet, while the run is asking someone: the email is going out. */
  asking?: boolean;
  /** Pending with no approval email on record, and its run is over (failed, terminated): nothing will ask now. */
  endedUnasked?: boolean;
  /** Pending after its approval email went out, and its run is over (failed, terminated): no link can decide it now. */
  endedUndecided?: boolean;
  /** The warnings of a statement with nothing to pay, which no email carries (unseen-warnings.ts). */
  unseenWarnings?: string[];
  /** A run started now whose statement total payouts cannot record: why (the run stops without it). */
  refused?: string;
  /** The rule's former name when the run found was made under it (the rule was renamed since). */
  formerName?: string;
  /** For a run started again: the attempt before it, whose run ended (terminated, failed) before a decision. */
  ended?: EndedRun;
}

/** An attempt whose run closed with its statement undecided (or none recorded): no link can decide it. */
export interface EndedRun {
  workflowId: string;
  run: Extract<PayoutRunState, { kind: 'ended' | 'gone' }>;
  /** Whether it had recorded its statement (pending) before it ended. */
  statement: boolean;
}

export interface PayoutDeps {
  client: Client;
  db: Db;
  config: Pick<Config, 'temporal'>;
  /** The plan the rules come from, recorded on each run, its statement and its ledger row. */
  planHash?: string;
}

/**
 * Temporal or the data source stopped answering part-way through `payouts run`. `runs` are the
 * reps handled before (their runs go on), `rules` the rules reached; `at` is where it stopped.
 */
export class PayoutsInterrupted extends Error {
  constructor(
    readonly runs: PayoutRun[],
    readonly rules: IncentiveRule[],
    readonly at: { rule: IncentiveRule; rep: RepRecord | null; repsLeft: number },
    override readonly cause: unknown,
  ) {
    super(`payouts run stopped at ${at.rule.name}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'PayoutsInterrupted';
  }
}

/**
 * One payout workflow per matching rep; a run that exists (running or finished) is left alone,
 * unless its statement was rejected and `rerunRejected` asks for the next attempt. A failure
 * part-way throws PayoutsInterrupted with the runs started before it.
 */
export async function startPayouts(
  deps: PayoutDeps, rules: IncentiveRule[], period: Period,
  options: {
    rerunRejected?: boolean; formerNames?: Map<string, FormerName[]>; onRule?: (rule: IncentiveRule, reps: number) => void; onRun?: (run: PayoutRun) => void;
    /** How many reps are handled at once (STARTS_IN_FLIGHT); the output keeps rep order whatever it is. */
    concurrency?: number;
  } = {},
): Promise<PayoutRun[]> {
  const runs: PayoutRun[] = [];
  for (const [index, rule] of rules.entries()) {
    let reps: RepRecord[];
    try {
      reps = await findRepsWhere(deps.db, rule.reps);
    } catch (err) {
      // A rule none of whose reps was reached is left out of the report, which would say no rep matches it.
      throw new PayoutsInterrupted(runs, rules.slice(0, index), { rule, rep: null, repsLeft: 0 }, err);
    }
    options.onRule?.(rule, reps.length);
    const former = options.formerNames?.get(rule.id) ?? [];
    const rerunRejected = options.rerunRejected ?? false;
    const handle = async (rep: RepRecord): Promise<PayoutRun> => {
      const earlier = former.length > 0 ? await runUnderFormerName(deps, rule, former, rep.id, period.label) : null;
      // A rejection under the old name is run again under the new one when asked, as any rejection.
      let outcome: AttemptOutcome;
      if (earlier && 'outcome' in earlier && !(rerunRejected && earlier.state === 'rejected')) outcome = earlier;
      else {
        outcome = await startAttempts(deps, rule, rep.id, period.label, rerunRejected);
        // Its run under the former name ended undecided: this first run under the new name follows it.
        if (earlier && !('outcome' in earlier) && outcome.outcome === 'started') outcome = { ...outcome, outcome: 'started-again', ended: earlier.ended };
      }
      const run: PayoutRun = { ruleId: rule.id, repId: rep.id, repName: oneLine(rep.name), ...outcome };
      return { ...run, ...await whoIsAsked(deps, rule, rep, run) };
    };
    const handled = await handleInRepOrder(reps, handle, options.concurrency ?? STARTS_IN_FLIGHT, (run) => options.onRun?.(run));
    const mine = handled.runs;
    if (handled.failed) {
      const { at, error } = handled.failed;
      throw new PayoutsInterrupted([...runs, ...mine], rules.slice(0, index + 1), { rule, rep: reps[at], repsLeft: reps.length - mine.length }, error);
    }
    try {
      const unseen = await unseenWarnings(deps.db, rule, reps, period.label, mine);
      runs.push(...mine.map((run) => {
        const warnings = unseen.warnings.get(run.workflowId);
        const refused = unseen.refused.get(run.workflowId);
        return { ...run, ...(warnings ? { unseenWarnings: warnings } : {}), ...(refused ? { refused } : {}) };
      }));
    } catch (err) {
      throw new PayoutsInterrupted([...runs, ...mine], rules.slice(0, index + 1), { rule, rep: null, repsLeft: 0 }, err);
    }
  }
  return runs;
}

/**
 * How many reps' runs `payouts run` starts at once. One after another, each start waits a round
 * trip to Temporal and its database (~66 ms on a dev server): 10,000 reps took 11 minutes.
 */
export const STARTS_IN_FLIGHT = 16;

/**
 * Handles each rep, up to `concurrency` at once, and hands each result to `onRun` in rep order as
 * soon as every rep before it is done (so the printed lines read as before, only sooner). The first
 * rep goes alone: a Temporal that is down fails once, not `concurrency` times. After a failure no
 * new rep is begun; those in flight finish, and every rep handled is returned (and handed to
 * `onRun`), in rep order, since its run goes on; `failed` names the first rep, in rep order, that
 * failed.
 */
async function handleInRepOrder(
  reps: RepRecord[], handle: (rep: RepRecord) => Promise<PayoutRun>, concurrency: number, onRun: (run: PayoutRun) => void,
): Promise<{ runs: PayoutRun[]; failed: { at: number; error: unknown } | null }> {
  const results: (PayoutRun | undefined)[] = new Array(reps.length);
  const failures = new Map<number, unknown>();
  let next = 0;
  let shown = 0;
  const showReady = () => {
    while (shown < reps.length && results[shown]) onRun(results[shown++]!);
  };
  const one = async (at: number) => {
    try {
      results[at] = await handle(reps[at]);
      showReady();
    } catch (err) {
      failures.set(at, err);
    }
  };
  const lane = async () => {
    while (failures.size === 0 && next < reps.length) await one(next++);
  };
  if (reps.length > 0) await one(next++);
  if (failures.size === 0 && next < reps.length) await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, reps.length - next)) }, lane));
  if (failures.size === 0) return { runs: results as PayoutRun[], failed: null };
  // Reps handled after the one that failed were started too: listed after the gap, still in rep order.
  for (let at = shown; at < reps.length; at++) if (results[at]) onRun(results[at]!);
  const first = Math.min(...failures.keys());
  return { runs: results.filter((r): r is PayoutRun => r !== undefined), failed: { at: first, error: failures.get(first) } };
}

/** A Temporal call that failed on the server or the connection (down, restarting, unreachable). */
function lostTemporal(err: unknown): boolean {
  return err instanceof ServiceError || isGrpcServiceError(err) || isGrpcServiceError((err as { cause?: unknown })?.cause);
}

/** Where `payouts run` stopped, why, and that running it again is safe and starts only the rest. */
export function interruptedMessage(err: PayoutsInterrupted, period: Period, options: { rule?: string; rerunRejected?: boolean } = {}): string {
  const { rule, rep, repsLeft } = err.at;
  const started = err.runs.filter((r) => r.outcome !== 'already-run').length;
  const where = rep ? `at ${rule.name} / ${oneLine(rep.name)} (${rep.id}), with ${repsLeft} rep(s) of that rule not handled yet` : `at ${rule.name}`;
  const again = `salesflow payouts run --period ${period.label}${options.rule ? ` --rule ${JSON.stringify(options.rule)}` : ''}${options.rerunRejected ? ' --rerun-rejected' : ''}`;
  const temporal = lostTemporal(err.cause);
  // The client's own message ("Failed to start Workflow") says nothing of why; gRPC's does.
  const detail = [err.cause, (err.cause as { cause?: unknown })?.cause].map((e) => (e as Error)?.message).filter(Boolean).join(': ');
  const why = temporal ? `: Temporal did not answer (${detail})` : ' (the cause follows)';
  return `salesflow payouts run: stopped ${where}${why}. ` +
    `The ${started} run(s) listed as started go on; once ${temporal ? 'Temporal answers' : 'the cause is fixed'}, ` +
    `run \`${again}\` again: it starts the rest and never a rep's run twice.`;
}

/**
 * Nobody to ask is otherwise seen only on the worker's log: a run started now (or still pending
 * without any approval email) says why, and one `otherwise` decided says it was never looked at.
 */
async function whoIsAsked(deps: PayoutDeps, rule: IncentiveRule, rep: RepRecord, run: PayoutRun): Promise<Pick<PayoutRun, 'nobodyToAsk' | 'unasked' | 'asking' | 'endedUnasked' | 'endedUndecided'>> {
  const { db } = deps;
  if (!rule.approval) return {};
  if (run.outcome !== 'already-run') {
    const reason = await nobodyToAsk(db, rule, rep);
    // The attempt this one follows: was its rejection by `otherwise` one nobody could be asked about?
    const previous = run.outcome === 'started-again' && run.rejected?.by === 'otherwise' ? workflowIds.previousPayoutAttempt(run.workflowId) : null;
    return { ...(reason ? { nobodyToAsk: reason } : {}), ...(previous ? { unasked: !await approvalEmailRecorded(db, previous) } : {}) };
  }
  if (run.state === 'pending' && !await approvalEmailRecorded(db, run.workflowId)) {
    const refused = await refusedApprovalEmails(db, run.workflowId);
    if (refused.length > 0) return { nobodyToAsk: `the mail server refused the approval email to ${[...new Set(refused)].join(', ')}` };
    const reason = await nobodyToAsk(db, rule, rep);
    if (reason) return { nobodyToAsk: reason };
    // Someone resolves, and the run is between recording its statement and recording the email
    // (a second `payouts run`, or the schedule, moments after the first): not "nobody to ask".
    // Warning then that `otherwise` decides unseen sent sales ops chasing managers who had them.
    const now = await askingNow(deps.client, run.workflowId);
    if (now === 'asking') return { asking: true };
    if (now === 'ended') return { endedUnasked: true };
    return { nobodyToAsk: 'no approval email was sent so far' };
  }
  // Asked, and the run is gone (an operator terminated it): "waiting for approval" would send sales
  // ops chasing a manager whose link can no longer decide anything.
  if (run.state === 'pending' && await isEnded(deps, run.workflowId)) return { endedUndecided: true };
  if ((run.state === 'approved' || run.state === 'rejected') && run.decidedBy === 'otherwise') {
    return { unasked: !await approvalEmailRecorded(db, run.workflowId) };
  }
  return {};
}

/** How long `payouts run` waits on a run's answer (no worker up: Temporal holds a query open). */
const ASKING_QUERY_MS = 5000;

/**
 * 'asking': the run is computing its statement or sending the approval email of its round now:
 * its state says a round is open with no approver on record and no "nobody to ask" (the workflow
 * sets the approver only once the email is recorded). 'ended': the run is over (failed or
 * terminated) with its statement still pending, so no one will be asked (a closed run still
 * answers queries with its last state, which read as "asking"). Else, or unknown: 'other'.
 */
async function askingNow(client: Client, workflowId: string): Promise<'asking' | 'ended' | 'other'> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    if ((await handle.describe()).status.name !== 'RUNNING') return 'ended';
    const status = await client.withDeadline(Date.now() + ASKING_QUERY_MS, () => handle.query(payoutStatusQuery));
    return status.phase === 'computing' || (status.phase === 'awaiting-approval' && status.approver === null && !status.nobodyToAsk) ? 'asking' : 'other';
  } catch {
    return 'other';
  }
}

type AttemptOutcome = Pick<PayoutRun, 'workflowId' | 'outcome' | 'state' | 'rejected' | 'decidedBy' | 'formerName' | 'ended'>;

/**
 * The newest run of this rep and period under one of the rule's former names (its statement's
 * state), or null when there is none: then the rule runs under its name as usual. A rep run under
 * the old name is never run again under the new one, or they would be asked for and paid twice.
 */
async function runUnderFormerName(
  deps: PayoutDeps, rule: IncentiveRule, former: FormerName[], repId: string, period: string,
): Promise<AttemptOutcome | { ended: EndedRun } | null> {
  // Run under the new name already (a rejection re-run after the rename): that run is the one that stands.
  const own = workflowIds.payout(rule.id, repId, period, 1);
  if (await getStatement(deps.db, own) || await runExists(deps, own)) return null;
  for (const { id, name } of former) {
    let newest: { workflowId: string; stored: StoredStatement } | null = null;
    for (let attempt = 1; ; attempt++) {
      const workflowId = workflowIds.payout(id, repId, period, attempt);
      const stored = await getStatement(deps.db, workflowId);
      if (!stored) break;
      newest = { workflowId, stored };
    }
    if (newest) {
      const { workflowId, stored } = newest;
      if (stored.status === 'pending') {
        // Ended before a decision: nobody was paid under the old name, so the rep is run under the new one.
        const state = await payoutRunState(deps.client, workflowId);
        if (state.kind !== 'running') return { ended: { workflowId, run: state, statement: true } };
      }
      const rejected = stored.status === 'rejected' ? { rejected: { by: stored.decidedBy, reason: stored.reason } } : {};
      return { workflowId, outcome: 'already-run', state: stored.status, decidedBy: stored.decidedBy, formerName: name, ...rejected };
    }
    // Started under the old name and still computing its statement (or ended without one).
    const first = workflowIds.payout(id, repId, period, 1);
    if (await runExists(deps, first)) {
      const state = await payoutRunState(deps.client, first);
      if (state.kind !== 'running') return { ended: { workflowId: first, run: state, statement: false } };
      return { workflowId: first, outcome: 'already-run', state: 'running', formerName: name };
    }
  }
  return null;
}

/**
 * Walks the attempts in order: the first that starts, or the newest one that stands. An attempt
 * whose run ended (terminated, failed) before a decision is followed by the next one at once: no
 * link can decide it, and waiting on it would leave the rep unpaid for good. The next attempt is
 * its own statement, computed anew, and the ledger's key still pays the rep once.
 */
async function startAttempts(deps: PayoutDeps, rule: IncentiveRule, repId: string, period: string, rerunRejected: boolean): Promise<AttemptOutcome> {
  let previous: StoredStatement | null = null;
  let previousOutcome: AttemptOutcome | null = null;
  let ended: EndedRun | null = null;
  for (let attempt = 1; ; attempt++) {
    const workflowId = workflowIds.payout(rule.id, repId, period, attempt);
    // A statement stored for this attempt decides, not Temporal alone: once a finished run is past
    // the namespace's retention, Temporal would start its id again and ask for approval twice.
    const recorded = await getStatement(deps.db, workflowId);
    if (!recorded && (attempt === 1 || rerunRejected || ended)) {
      if (await startPayout(deps, rule, repId, period, workflowId) === 'started') {
        if (attempt === 1) return { workflowId, outcome: 'started' };
        if (ended) return { workflowId, outcome: 'started-again', ended };
        return { workflowId, outcome: 'started-again', rejected: { by: previous!.decidedBy, reason: previous!.reason } };
      }
    }
    const stored = recorded ?? await getStatement(deps.db, workflowId);
    // Without the flag a later attempt is only looked at: one asked for before (a re-run now
    // waiting or approved) is the one that stands, not the rejection it followed.
    if (attempt > 1 && !rerunRejected && !ended && !stored && !(await runExists(deps, workflowId))) return previousOutcome!;
    if (!stored || stored.status === 'pending') {
      // No statement: the run is still computing it, or it ended without one (its history says why).
      const state = await payoutRunState(deps.client, workflowId);
      if (state.kind === 'running') return { workflowId, outcome: 'already-run', state: stored ? 'pending' : 'running' };
      ended = { workflowId, run: state, statement: stored !== null };
      continue;
    }
    ended = null;
    const rejected = { by: stored.decidedBy, reason: stored.reason };
    if (stored.status !== 'rejected') return { workflowId, outcome: 'already-run', state: stored.status, decidedBy: stored.decidedBy };
    previous = stored;
    previousOutcome = { workflowId, outcome: 'already-run', state: 'rejected', rejected, decidedBy: stored.decidedBy };
  }
}

const stateWords: Record<NonNullable<PayoutRun['state']>, string> = {
  running: 'still running',
  recorded: 'recorded, nothing to pay',
  pending: 'waiting for approval',
  approved: 'approved and paid; never run again',
  rejected: 'rejected',
};

/**
 * Each rep's run is one line of the report: a reason typed over several lines in the approval
 * form, or a rep name with a line break (a quoted CSV cell may hold one), would split it.
 */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function rejection(r: NonNullable<PayoutRun['rejected']>, unasked?: boolean): string {
  if (r.by === 'otherwise' && !r.reason) {
    return `rejected by the rule's \`otherwise reject\`: ${unasked ? 'nobody could be asked' : 'no one decided in time'}`;
  }
  // On one line: a reason typed in the approval form's text box often runs over several, and each
  // rep's run is one line of this output.
  const reason = r.reason === null ? null : oneLine(r.reason);
  return `rejected by ${r.by ?? 'unknown'}${reason ? `: "${reason}"` : ' (no reason given)'}`;
}

/** The attempt a run started again follows: which run, how and when it ended, and whether anything was decided. */
function endedRunWords(ended: EndedRun): string {
  const what = ended.statement ? 'before a decision' : 'before recording a statement';
  return `the last run, ${ended.workflowId}, ended ${what} (${endedWords(ended.run)}), so no approval link can decide it; its history in Temporal says why`;
}

/** What became of each rep's run, and for a rejected statement how to ask again. */
function runNote(run: PayoutRun): string {
  const note = ownNote(run);
  if (!run.formerName) return note;
  const state = note.replace(/^ {2}\((.*)\)$/, '$1');
  return `  (run under the rule's former name "${run.formerName}"${state ? `: ${state}` : ''}; not run again under its new name)`;
}

function ownNote(run: PayoutRun): string {
  const unasked = run.nobodyToAsk ? `nobody to ask: ${run.nobodyToAsk}` : '';
  if (run.outcome === 'started-again' && run.ended) return `  (a new statement; ${endedRunWords(run.ended)}${unasked ? `; ${unasked}` : ''})`;
  if (run.outcome === 'started-again') return `  (a new statement; the last was ${rejection(run.rejected!, run.unasked)}${unasked ? `; ${unasked}` : ''})`;
  if (run.outcome === 'started') return unasked ? `  (${unasked})` : '';
  if (!run.state) return '';
  if (run.state === 'pending' && run.nobodyToAsk) return `  (waiting for approval, but nobody was asked: ${run.nobodyToAsk})`;
  if (run.state === 'pending' && run.asking) return '  (waiting for approval; the approval email is being sent)';
  if (run.state === 'pending' && run.endedUnasked) return '  (waiting for approval, but its run ended before anyone was asked; its history in Temporal says why)';
  if (run.state === 'pending' && run.endedUndecided) return '  (waiting for approval, but its run ended before a decision, so no approval link can decide it; its history in Temporal says why)';
  if (run.state === 'approved' && run.unasked) return "  (approved by the rule's `otherwise approve` without anyone's approval: nobody could be asked; paid, never run again)";
  return `  (${run.state === 'rejected' && run.rejected ? rejection(run.rejected, run.unasked) : stateWords[run.state]})`;
}

/** The closing warning: which reps' statements no one will see before `otherwise` decides them. */
function nobodyToAskWarning(rules: IncentiveRule[], runs: PayoutRun[]): string[] {
  const lines: string[] = [];
  for (const rule of rules) {
    const unasked = runs.filter((r) => r.ruleId === rule.id && r.nobodyToAsk);
    if (unasked.length === 0) continue;
    lines.push(
      `warning: ${rule.name}: nobody to ask for approval for ${unasked.length} rep(s), so no approval email goes out; ` +
      `if a statement has anything to pay, ${unaskedOutcome(rule)}:`,
    );
    for (const run of unasked) lines.push(`  ${run.repName} (${run.repId}): ${run.nobodyToAsk}`);
  }
  if (lines.length > 0) {
    lines.push(
      'Give these reps a manager (salesflow import --kind reps) or the rule an `escalate to` that resolves; ' +
      'a run already started does not ask again when the data changes.',
    );
  }
  return lines;
}

/** The closing warning: statements with nothing to pay whose warnings no email carries. */
function unseenWarningLines(rules: IncentiveRule[], runs: PayoutRun[]): string[] {
  const lines: string[] = [];
  for (const rule of rules) {
    const warned = runs.filter((r) => r.ruleId === rule.id && r.unseenWarnings);
    if (warned.length === 0) continue;
    lines.push(
      `warning: ${rule.name}: ${warned.length} statement(s) with nothing to pay carry warnings; ` +
      'a statement with nothing to pay is recorded without asking anyone, so no email tells anyone of these:',
    );
    for (const run of warned) {
      for (const warning of run.unseenWarnings!) lines.push(`  ${run.repName} (${run.repId}): ${warning}`);
    }
  }
  return lines;
}

/** The closing error: runs that stop without recording their statement, its total being too large. */
function refusedLines(rules: IncentiveRule[], runs: PayoutRun[]): string[] {
  const lines: string[] = [];
  for (const rule of rules) {
    const refused = runs.filter((r) => r.ruleId === rule.id && r.refused);
    if (refused.length === 0) continue;
    lines.push(`error: ${rule.name}: ${refused.length} run(s) stop without recording a statement, nothing paid or asked:`);
    for (const run of refused) lines.push(`  ${run.repName} (${run.repId}): ${run.refused}`);
  }
  return lines;
}

/** A rule's heading in the report: its name and period, or that no rep matches it. */
export function ruleHeading(rule: IncentiveRule, period: Period, reps: number): string {
  return reps === 0 ? `${rule.name} ${period.label}: no rep matches the rule's "for reps"` : `${rule.name} ${period.label}:`;
}

const outcomeLabel = { started: 'started    ', 'started-again': 'started again', 'already-run': 'already run' } as const;

/** One rep's line: what became of its run. */
export function runLine(run: PayoutRun): string {
  return `  ${outcomeLabel[run.outcome]}  ${run.repName} (${run.repId})  ${run.workflowId}${runNote(run)}`;
}

/** The lines after every rep's: the counts, then the warnings and what to do about rejections. */
export function closingLines(rules: IncentiveRule[], period: Period, runs: PayoutRun[], ruleName?: string): string[] {
  const lines: string[] = [];
  const started = runs.filter((r) => r.outcome !== 'already-run').length;
  lines.push(`${started} payout run(s) started, ${runs.length - started} already run`);
  const restarted = runs.filter((r) => r.ended).length;
  if (restarted > 0) {
    lines.push(`${restarted} of them follow${restarted === 1 ? 's' : ''} a run that ended (terminated or failed in Temporal) without a decision: each computes its statement anew and asks for approval again`);
  }
  lines.push(...nobodyToAskWarning(rules, runs));
  lines.push(...unseenWarningLines(rules, runs));
  lines.push(...refusedLines(rules, runs));
  const rejected = runs.filter((r) => r.outcome === 'already-run' && r.state === 'rejected').length;
  if (rejected > 0) {
    const rule = ruleName ? ` --rule ${JSON.stringify(ruleName)}` : '';
    lines.push(
      `${rejected} rejected statement(s) were not run again. Once the data is corrected, ` +
      `\`salesflow payouts run --period ${period.label}${rule} --rerun-rejected\` computes each anew and asks for approval again.`,
    );
  }
  return lines;
}

/** The whole report at once (what `payouts run` prints line by line as it goes). */
export function describePayoutRuns(rules: IncentiveRule[], period: Period, runs: PayoutRun[], ruleName?: string): string {
  const lines: string[] = [];
  for (const rule of rules) {
    const mine = runs.filter((r) => r.ruleId === rule.id);
    lines.push(ruleHeading(rule, period, mine.length));
    lines.push(...mine.map(runLine));
  }
  lines.push(...closingLines(rules, period, runs, ruleName));
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

/** Whether Temporal has a run with this id (running or closed within its retention). */
async function runExists(deps: PayoutDeps, workflowId: string): Promise<boolean> {
  try {
    await deps.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Whether Temporal has the run and it has closed; false when it runs, is unknown, or Temporal does not say. */
async function isEnded(deps: PayoutDeps, workflowId: string): Promise<boolean> {
  const description = await deps.client.workflow.getHandle(workflowId).describe().catch(() => null);
  return description !== null && description.status.name !== 'RUNNING';
}

async function startPayout(deps: PayoutDeps, rule: IncentiveRule, repId: string, period: string, workflowId: string): Promise<'started' | 'already'> {
  const input: PayoutInput = { rule, repId, period, ...(deps.planHash ? { planHash: deps.planHash } : {}) };
  try {
    await deps.client.workflow.start('payoutWorkflow', {
      workflowId,
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
