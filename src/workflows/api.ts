// The public face of the workflows: inputs, signals, updates and queries, shared by the worker,
// the client side (event routing, payouts run, schedules) and the HTTP approval pages.
// Only @temporalio/workflow definitions and plain types here: safe to import from anywhere.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GoalRule, IncentiveRule, Recipient, Rule, SequenceRule } from '../plan/schema.js';
import type { DealRecord, LeadRecord, RepRecord } from '../plan/records.js';

export const TASK_QUEUE_DEFAULT = 'salesflow';

/**
 * How a crashed worker's activities are noticed: every regular activity heartbeats while it runs
 * (the worker does it for all of them, src/runtime/worker.ts), so one whose worker died is retried
 * elsewhere after `timeout` instead of after its whole start-to-close time (minutes).
 */
export const ACTIVITY_HEARTBEAT = { timeout: '20 seconds', everyMs: 4_000 } as const;

/** One run per (sequence, subject). Started by event routing or a sequence's schedule. */
export interface SequenceInput {
  rule: SequenceRule;
  subject: { kind: 'lead'; lead: LeadRecord } | { kind: 'deal'; deal: DealRecord } | { kind: 'rep'; rep: RepRecord };
  /** The event that started it (for the record), if any. */
  triggerEventId?: string;
  /**
   * The plan this run belongs to: the applied plan's hash (or, for a trial with rule paths, the hash
   * of those rules). For the record only; absent in runs started before plans were recorded.
   */
  planHash?: string;
  /**
   * Set for runs that repeat for one subject (a weekly scheduled sequence): part of each outbox
   * key, so this week's email is not mistaken for last week's. The schedule's local date.
   */
  occurrence?: string;
  /**
   * Scheduled runs: the instant (ISO) the first step may run, the declared time of day in the
   * rep's own zone. The run waits for it (a stop ends the wait). Absent: start at once.
   */
  startAt?: string;
  /** Set by continue-as-new only. */
  resume?: SequenceResume;
  /** Steps per run before continuing as new (bounds the history); default 200. */
  stepsPerRun?: number;
}

/**
 * One run per (goal, rep, period). The period is the rep's: local midnight to local midnight in
 * the rep's zone (the rule's without one). Started before it begins, the run waits; started after
 * checkpoints passed, it catches up once (see goal-timing.ts lateStart).
 */
export interface GoalInput {
  rule: GoalRule;
  repId: string;
  /** Period label: 2026-Q1, 2026-03, 2026-W09, 2026. */
  period: string;
  /**
   * The plan this run belongs to: the applied plan's hash (or, for a trial with rule paths, the hash
   * of those rules). For the record only; absent in runs started before plans were recorded.
   */
  planHash?: string;
  /** Set by continue-as-new only. */
  resume?: GoalResume;
  /** Checkpoints per run before continuing as new (bounds the history); default 25. */
  checkpointsPerRun?: number;
}

export interface GoalResume {
  /** Every checkpoint due at or before this instant (epoch ms) has run. */
  cursor: number;
  checkins: GoalCheckin[];
  /** The chain started with 'goal-local-periods' (wall-clock `at N%`, late-start catch-up). */
  localPeriods?: boolean;
  skipped?: SkippedCheckpoint[];
  /**
   * The zone the chain measures its period in, read when it started. Absent in runs continued by
   * an earlier salesflow: they read the rep's zone again (and a rep moved meanwhile could lose the
   * review, the period's end in the new zone lying before the cursor).
   */
  timezone?: string;
  /**
   * Chains started with 'goal-checkins-current-zone': the rep's zone as the last checkpoint read it
   * (`every` check-ins follow it once it differs from `timezone`), whether it ever differed, and
   * per `every` checkpoint the local date of its last run, in the zone it was due in.
   */
  checkinZone?: string;
  zoneMoved?: boolean;
  checkinDays?: Record<string, string>;
}

export interface GoalCheckin {
  checkpointId: string;
  /** Workflow time it ran, ISO. */
  at: string;
  /** When it was due, ISO (earlier than `at` when a late-started run caught it up). Runs from before 'goal-local-periods' lack it. */
  due?: string;
  /** False when the checkpoint's `when` condition did not hold (nothing sent). */
  conditionHeld: boolean;
  sentTo: string[];
  attainment: string | null;
}

/** A checkpoint of the period that was past when its run started, so never ran. */
export interface SkippedCheckpoint {
  checkpointId: string;
  /** When it was due, ISO. */
  due: string;
  /** `stale`: a check-in long past when the run started; `period-ended`: only the review goes out then. */
  reason: 'stale' | 'period-ended';
}

export interface GoalResult {
  period: string;
  checkins: GoalCheckin[];
  /** Checkpoints of the period that were past when the run started and so never ran (the latest 200). */
  skipped: SkippedCheckpoint[];
}

/** One run per (incentive, rep, period): statement, approval, ledger, notice to the rep. */
export interface PayoutInput {
  rule: IncentiveRule;
  repId: string;
  period: string;
  /**
   * The plan this run belongs to: the applied plan's hash (or, for a trial with rule paths, the hash
   * of those rules). For the record only; absent in runs started before plans were recorded.
   */
  planHash?: string;
}

/** Started by schedules (and `payouts run`): fans out one child per matching rep. */
export interface DispatchInput {
  rule: Rule;
  action: 'goal-period-start' | 'incentive-period-end' | 'sequence-tick';
  /** Period label to run; omitted: derived from the workflow's start time (period just started/ended). */
  period?: string;
  /**
   * Sequence ticks: each rep's run starts at the declared time in the rep's own zone (the rule's
   * for reps without one) on the tick's date. Goal period starts: the period is the one that has
   * begun in EARLIEST_ZONE, and each rep's run waits for its own local midnight. Set by the
   * schedules apply makes, which fire when that time first comes anywhere (EARLIEST_ZONE). Absent
   * (schedules applied before): one tick, one period, in the rule's zone; runs start at once.
   */
  inRepZones?: boolean;
  /** The tick to act for (ISO), for a manual run; omitted: the schedule's nominal fire time, else now. */
  firedAt?: string;
  /**
   * Apply's start of a goal's period that has ended in EARLIEST_ZONE but is still under way further
   * west (a goal added on its last day there): only the reps in whose zone it has not ended at
   * `firedAt` get its run.
   */
  onlyWhereUnderWay?: boolean;
  /** Set by continue-as-new only: reps up to this id (in id order) were handled. */
  resume?: {
    afterRepId: string; period: string | null; occurrence: string | null; result: DispatchResult;
    /** A goal pass's period before `period`, still under way in some zones; `active`: its reps are being started. */
    previous?: { period: string; active: boolean };
  };
  /** Children started per run before continuing as new; default 500. */
  childrenPerRun?: number;
}

export interface StopRequest {
  eventType: string;
  eventId: string;
}

/** Ends a sequence at once, wherever it is waiting. */
export const stopSignal = defineSignal<[StopRequest]>('stop');

export interface Decision {
  /** Email the decision link was sent to; must be the current approver. */
  approver: string;
  /** Approval round the link belongs to (0 = first approver, 1.. escalations). */
  round: number;
  decision: 'approve' | 'reject';
  reason?: string;
}

export interface DecisionResult {
  outcome: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
}

/** A manager's decision. The validator refuses a wrong approver, a superseded round, or a second decision. */
export const decideUpdate = defineUpdate<DecisionResult, [Decision]>('decide');

export type PayoutPhase = 'computing' | 'recorded' | 'awaiting-approval' | 'approved' | 'rejected';

export interface PayoutStatus {
  phase: PayoutPhase;
  /** The statement as computed (see src/payouts), once computed. */
  statement: unknown;
  approver: string | null;
  round: number;
  /** ISO time when the current approver's window ends. */
  deadline: string | null;
  /**
   * The time zone the current approver reads the deadline in (theirs, else the rule's), as in
   * their email. Absent while no one is asked, and in runs started before it was added.
   */
  deadlineZone?: string;
  /**
   * The rule's time zone, in which approvers who are not reps read times (a decision's time once
   * the round's zone is gone). Query state only; absent from status read off the data source.
   */
  ruleZone?: string;
  decision: DecisionResult | null;
  /**
   * The reason recorded with the decision (null: none given), as the rep's and manager's emails
   * carry it. A second press with an edited reason changes nothing, and the page must say which
   * reason stands. Query state only; absent while undecided and in runs started before it was added.
   */
  reason?: string | null;
  /**
   * What happens at the deadline if nobody decides: the next round, or the rule's `otherwise`.
   * The approval page says so (an approver should know that silence pays out). Absent while no
   * round is open, and in runs started before it was added (query results are not in history).
   */
  afterDeadline?: 'escalated' | 'approved' | 'rejected';
  /**
   * Set while a run with nobody to ask in any round waits out the last window before `otherwise
   * approve` pays (why: "rep.manager is empty"), so whoever looks sees why no one was emailed.
   */
  nobodyToAsk?: string;
}

export const payoutStatusQuery = defineQuery<PayoutStatus>('payoutStatus');

/**
 * The next email a running sequence is holding back, and why: what the dev outbox lists as held.
 * Null while nothing is held (the run is sending, reading, or has nothing left to send).
 */
export interface HeldSend {
  /** Template of the next email; `a or b` when an `if` after the wait decides. */
  template: string;
  /** Addresses when known; otherwise how the rule names the recipient (`lead.owner`). */
  to: string[];
  /** ISO instant it may go out at the earliest. */
  at: string;
  /** `quiet hours`, `wait 2 days`, `wait 3 business days`, or `scheduled` (a scheduled run's start time). */
  reason: string;
  /**
   * Set when `to` holds names rather than addresses (after a wait the run has not looked anyone up
   * yet): the recipients as the rule gives them and the run's subject, so the outbox can show the
   * addresses the send would use now, as the sent list does. Answering stays free of I/O.
   */
  named?: { recipients: Recipient[]; subject: SequenceInput['subject'] };
}

/** Answered from the run's memory: a query adds nothing to the history, so it is replay-safe. */
export const heldSendQuery = defineQuery<HeldSend | null>('heldSend');

export const workflowIds = {
  sequence: (ruleId: string, subjectKind: string, subjectId: string) => `seq:${ruleId}:${subjectKind}:${subjectId}`,
  goal: (ruleId: string, repId: string, period: string) => `goal:${ruleId}:${repId}:${period}`,
  /**
   * Attempt 1 is the period's run (the schedule's and the first `payouts run`'s); a rejected
   * statement asked again with `payouts run --rerun-rejected` gets attempt 2, 3, … Each attempt has
   * its own statement; the ledger key (rule, version, rep, period) still pays at most one of them.
   */
  payout: (ruleId: string, repId: string, period: string, attempt = 1) =>
    attempt === 1 ? `payout:${ruleId}:${repId}:${period}` : `payout:${ruleId}:${repId}:${period}:attempt-${attempt}`,
  /** The attempt a re-run payout follows (the rejected one); null for a first attempt. */
  previousPayoutAttempt: (workflowId: string): string | null => {
    const match = /^(payout:.+):attempt-(\d+)$/.exec(workflowId);
    if (!match) return null;
    const attempt = Number(match[2]);
    return attempt <= 2 ? match[1] : `${match[1]}:attempt-${attempt - 1}`;
  },
  /** The attempt that follows this one (after a rejection, or a run that ended before its decision). */
  nextPayoutAttempt: (workflowId: string): string => {
    const match = /^(payout:.+):attempt-(\d+)$/.exec(workflowId);
    return match ? `${match[1]}:attempt-${Number(match[2]) + 1}` : `${workflowId}:attempt-2`;
  },
  /**
   * The dispatch `apply` starts for the period under way of a goal that is new or whose period kind
   * changed (the schedule's own dispatches are `dispatch:<rule id>:goal-period-start-<fire time>`).
   * One per goal and period, so two applies at once start it once.
   */
  goalPeriodStart: (ruleId: string, period: string) => `dispatch:${ruleId}:goal-period-start:${period}`,
  /** A scheduled sequence's run for one rep and one tick (its local date): one per tick, never two. */
  sequenceTick: (ruleId: string, repId: string, date: string) => `seq:${ruleId}:rep:${repId}:${date}`,
};

/** Where a sequence run carries on after continue-as-new. */
export interface SequenceResume {
  /** Index into the flattened steps (see src/workflows/program.ts). */
  position: number;
  sends: SentEmail[];
}

export interface SentEmail {
  sendId: string;
  to: string;
  /** Workflow time of the send, ISO. */
  at: string;
  /**
   * `failed`: refused for good by the mail relay (recorded in the outbox with the reason).
   * `skipped`: nobody to send to when it was due (the field is empty, the rep is not in the data
   * source or has left); `to` is the address named when the step began, `reason` says why.
   * `deferred`: the relay has not taken it yet and it is being retried beside the later steps
   * (only while the run runs: a finished run has each one sent or failed with the reason).
   */
  outcome: 'sent' | 'already-sent' | 'suppressed' | 'failed' | 'skipped' | 'deferred';
  /** Why a send was skipped (`rep.manager is empty`) or failed without a refusal (given up while deferred). */
  reason?: string;
}

export interface SequenceResult {
  outcome: 'completed' | 'stopped';
  stoppedBy: StopRequest | null;
  sends: SentEmail[];
}

export interface PayoutResult {
  phase: PayoutPhase;
  statement: unknown;
  decision: DecisionResult | null;
  /** Reason given with a rejection, if any. */
  reason: string | null;
  /** True when this run wrote the ledger entry (false: nothing to pay, rejected, or already there). */
  ledgerEntryCreated: boolean;
}

/** What a dispatch started and what already existed (one run per rule, rep and period, never two). */
export interface DispatchResult {
  action: DispatchInput['action'];
  period: string | null;
  /** Workflow ids started (the first 1,000; see the counts for all). */
  started: string[];
  /** Workflow ids that already existed, so were not started again (the first 1,000). */
  skipped: string[];
  startedCount: number;
  skippedCount: number;
  /** Why nothing was started, when the rule does not apply (e.g. outside its effective dates). */
  note: string | null;
}
