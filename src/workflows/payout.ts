// One run per (incentive, rep, period): compute and record the statement, ask for approval by
// email with escalation, then record the payout once in the ledger and tell the rep — or, on a
// rejection, tell rep and manager. Decisions arrive as an Update whose validator turns away the
// wrong approver, a superseded round and a second decision, so a refused click leaves no trace.
import { allHandlersFinished, condition, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  ACTIVITY_HEARTBEAT,
  decideUpdate,
  payoutStatusQuery,
  type Decision,
  type DecisionResult,
  type PayoutInput,
  type PayoutResult,
  type PayoutStatus,
} from './api.js';
import { addDuration } from './calendar.js';

const { preparePayout, requestApproval, recordDecision, notifyPayoutOutcome } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT.timeout,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * With nobody to ask in any round (no manager on record, and no escalation that resolves),
 * `otherwise approve` used to pay at once: sooner than any statement an approver sees, and with
 * no one having looked. Since this patch the last round's window runs out first, as for a silent
 * approver. Runs recorded before it (no marker) keep deciding at once when replayed.
 */
export const NOBODY_TO_ASK_WAITS = 'payout-nobody-to-ask-waits';

export async function payoutWorkflow(input: PayoutInput): Promise<PayoutResult> {
  const { rule, repId, period, planHash } = input;
  const workflowId = workflowInfo().workflowId;
  // `ruleZone` is query state only (no command), so histories replay as before.
  const status: PayoutStatus = { phase: 'computing', statement: null, approver: null, round: 0, deadline: null, decision: null, ruleZone: rule.timezone };
  let reason: string | null = null;

  setHandler(payoutStatusQuery, () => status);
  setHandler(
    decideUpdate,
    (decision: Decision): DecisionResult => {
      const result: DecisionResult = {
        outcome: decision.decision === 'approve' ? 'approved' : 'rejected',
        decidedBy: decision.approver.trim().toLowerCase(),
        decidedAt: new Date().toISOString(),
      };
      status.decision = result;
      reason = decision.reason?.trim() || null;
      // Query state only (no command), so histories replay as before.
      status.reason = reason;
      return result;
    },
    { validator: (decision: Decision) => validateDecision(status, decision) },
  );

  const prepared = await preparePayout({ rule, repId, period, workflowId, planHash });
  status.statement = prepared.statement;
  if (!prepared.needsApproval) {
    status.phase = 'recorded';
    return { phase: 'recorded', statement: prepared.statement, decision: null, reason: null, ledgerEntryCreated: false };
  }

  if (prepared.decided) {
    status.decision = prepared.decided.decision;
    reason = prepared.decided.reason;
    status.reason = reason;
  } else if (!rule.approval) {
    status.decision = { outcome: 'approved', decidedBy: 'auto', decidedAt: new Date().toISOString() };
  } else {
    const rounds = [{ to: rule.approval.approver, within: rule.approval.within }, ...rule.approval.escalations];
    let anyoneAsked = false;
    for (let round = 0; round < rounds.length && !status.decision; round++) {
      const deadline = addDuration(Date.now(), rounds[round].within, rule.timezone);
      // A new round supersedes the old link at once, before the new email goes out.
      status.round = round;
      status.deadline = new Date(deadline).toISOString();
      status.approver = null;
      delete status.deadlineZone;
      status.phase = 'awaiting-approval';
      // Only the query's view changes here (no command), so histories replay as before.
      status.afterDeadline = round < rounds.length - 1 ? 'escalated' : rule.approval.otherwise === 'approve' ? 'approved' : 'rejected';
      const asked = await requestApproval({ rule, repId, period, workflowId, at: Date.now(), round, to: rounds[round].to, deadline, statement: prepared.statement });
      if (!asked.approver) {
        // A round with nobody to ask moves on to the escalation at once; only the last, when no
        // one was asked at all, holds an `otherwise approve` payment until its window ends.
        const last = round === rounds.length - 1;
        if (last && !anyoneAsked && rule.approval.otherwise === 'approve' && patched(NOBODY_TO_ASK_WAITS)) {
          status.nobodyToAsk = asked.problem ?? 'nobody to ask';
          await sleep(Math.max(1, deadline - Date.now()));
        }
        continue;
      }
      anyoneAsked = true;
      status.approver = asked.approver;
      // Query state only, from the activity's result (absent in older histories): replays as before.
      status.deadlineZone = asked.timezone ?? rule.timezone;
      await condition(() => status.decision !== null, Math.max(1, deadline - Date.now()));
    }
    status.approver = null;
    status.deadline = null;
    delete status.afterDeadline;
    delete status.deadlineZone;
    delete status.nobodyToAsk;
    status.decision ??= {
      outcome: rule.approval.otherwise === 'approve' ? 'approved' : 'rejected',
      decidedBy: 'otherwise',
      decidedAt: new Date().toISOString(),
    };
  }

  const decision = status.decision;
  // Late clicks are refused from here on: the phase is no longer awaiting a decision.
  status.phase = decision.outcome;
  const recorded = await recordDecision({ rule, repId, period, workflowId, planHash, decision, reason, statement: prepared.statement });
  await notifyPayoutOutcome({ rule, repId, period, workflowId, at: Date.now(), decision, reason, statement: prepared.statement });
  await condition(allHandlersFinished);
  return { phase: decision.outcome, statement: prepared.statement, decision, reason, ledgerEntryCreated: recorded.ledgerEntryCreated };
}

/** Throws (refusing the update, which leaves no history) unless this decision may be taken now. */
export function validateDecision(status: PayoutStatus, decision: Decision): void {
  if (typeof decision?.approver !== 'string' || typeof decision.round !== 'number') throw new Error('malformed decision');
  if (status.decision || status.phase === 'approved' || status.phase === 'rejected') {
    throw new Error('this payout has already been decided');
  }
  if (status.phase !== 'awaiting-approval') throw new Error('this payout is not waiting for a decision');
  if (decision.round < status.round) throw new Error('this link was superseded: the approval was escalated');
  if (decision.round !== status.round) throw new Error('this link is not for the current approval round');
  // No link was sent in this round, so none can decide it (the window runs out to `otherwise`).
  if (status.nobodyToAsk) throw new Error('nobody was asked in this approval round');
  // No approver on record yet: the round's email is going out (or went out and its activity is
  // being retried after a worker crash). A decision for this round can only come from a link in
  // that email, signed for the approver being asked, so it is taken rather than turned away.
  if (status.approver !== null && decision.approver.trim().toLowerCase() !== status.approver) {
    throw new Error('this link is not for the current approver');
  }
  if (decision.decision !== 'approve' && decision.decision !== 'reject') throw new Error('decision must be approve or reject');
}
