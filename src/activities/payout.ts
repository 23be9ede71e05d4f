// Activities of the payout workflow. The statement comes from the one statement function
// (src/payouts) over facts from the data layer and is recorded before anything is asked, so a
// retry or a restart works on the statement already on record, never on a recomputed one.
import { ApplicationFailure, log } from '@temporalio/activity';
import { type Db, transaction } from '../data/db.js';
import { gatherFacts } from '../data/facts.js';
import { findPayout, recordPayout } from '../data/ledger.js';
import { approvalEmailRecorded, earlierApprovalEmailRecorded, markFailed, refusedApprovalEmails } from '../data/outbox.js';
import { getRep, getRepByEmail } from '../data/reps.js';
import { decideStatement, getStatement, recordStatement, type StoredStatement } from '../data/statements.js';
import { computeStatement, needsApproval, type Statement } from '../payouts/statement.js';
import { ledgerLimitMessage, pastLedgerLimit } from '../payouts/ledger-limit.js';
import { grouped } from '../payouts/statement-text.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule, Recipient } from '../plan/schema.js';
import { signToken } from '../tokens/index.js';
import { type DecisionResult, workflowIds } from '../workflows/api.js';
import type { ActivityDeps } from './deps.js';
import { defaultFrom, deliver, type DeliveryOutcome, type OutgoingEmail } from './mail.js';
import { StepDelivery } from './step-delivery.js';
import { approverZone, payoutScope, payoutTemplate, type PayoutEmailKind, type RejectedBefore } from './payout-emails.js';
import { escapeHtml, renderTemplate, type TemplateScope } from '../templates/index.js';
import { requireSecret } from './sequence.js';
import { resolveRecipient } from './subjects.js';
import { emailKey } from '../data/email-key.js';
import { isKnownTimeZone } from '../workflows/calendar.js';

interface PayoutRef {
  rule: IncentiveRule;
  repId: string;
  period: string;
  workflowId: string;
  /** The plan the run belongs to, recorded on its statement and ledger row. */
  planHash?: string;
  /** Workflow time of the step, epoch ms: the Date of its emails. */
  at?: number;
}

export interface PreparedPayout {
  statement: Statement;
  needsApproval: boolean;
  decided: { decision: DecisionResult; reason: string | null } | null;
}

function prepared(stored: StoredStatement): PreparedPayout {
  const decided =
    stored.status === 'approved' || stored.status === 'rejected'
      ? {
          decision: { outcome: stored.status, decidedBy: stored.decidedBy ?? 'unknown', decidedAt: stored.decidedAt ?? '' },
          reason: stored.reason,
        }
      : null;
  return { statement: stored.statement, needsApproval: stored.status !== 'recorded', decided };
}

export { approverZone } from './payout-emails.js';

/**
 * The rejected statement an attempt follows, or null. Attempts between them whose run ended before
 * a decision (their statement still pending, or none recorded) are passed over: after a rejection,
 * a re-run terminated and started again asks about the same rejected statement.
 */
export async function rejectedBefore(db: Db, workflowId: string): Promise<StoredStatement | null> {
  for (let id = workflowIds.previousPayoutAttempt(workflowId); id !== null; id = workflowIds.previousPayoutAttempt(id)) {
    const previous = await getStatement(db, id);
    if (previous?.status === 'rejected') return previous;
    if (previous && previous.status !== 'pending') return null;
  }
  return null;
}

export function payoutActivities(deps: ActivityDeps) {
  const { db } = deps;

  const repOf = async (ref: PayoutRef): Promise<RepRecord> => {
    const rep = await getRep(db, ref.repId);
    if (!rep) throw ApplicationFailure.nonRetryable(`rep "${ref.repId}" is not in the data source`, 'UnknownRep');
    return rep;
  };

  /** The outbox key of a payout email: one per run, round (or notice) and address. */
  const outboxKey = (workflowId: string, round: string, to: string) => `${workflowId}:${round}:${to.toLowerCase()}`;

  const email = (ref: PayoutRef, kind: PayoutEmailKind, round: string, to: string, scope: TemplateScope): OutgoingEmail => {
    const template = payoutTemplate(ref.rule, kind);
    const rendered = renderTemplate(template, scope);
    const approvalUrl = kind === 'approval' ? scope.approval?.url : null;
    // The approver decides only through the link (SPEC §5): a template of the team's own that
    // leaves `{{approval.url}}` out of its body still gets it, as sequences always get theirs.
    if (approvalUrl && !/\{\{\s*approval\.url\s*\}\}/.test(template.body)) {
      rendered.text = `${rendered.text.replace(/\s*$/, '')}\n\nApprove or reject: ${approvalUrl}\n`;
      rendered.html = `${rendered.html}<p>Approve or reject: <a href="${escapeHtml(approvalUrl)}">${escapeHtml(approvalUrl)}</a></p>\n`;
    }
    return {
      key: outboxKey(ref.workflowId, round, to),
      workflowId: ref.workflowId,
      ruleId: ref.rule.id,
      template: template.name,
      to,
      from: ref.rule.from ?? defaultFrom(deps.config.publicUrl),
      ...rendered,
      headers: {},
      date: new Date(ref.at ?? Date.now()),
      suppressible: false,
    };
  };
  const send = (ref: PayoutRef, kind: PayoutEmailKind, round: string, to: string, scope: TemplateScope) =>
    deliver(deps, email(ref, kind, round, to, scope));


  /** The rejected statement a re-run (`…:attempt-N`) follows; null for a first attempt. */
  const rejectedAttemptBefore = async (workflowId: string): Promise<RejectedBefore | null> => {
    const previous = await rejectedBefore(db, workflowId);
    if (!previous) return null;
    const { total, currency } = previous.statement;
    return { total, currency, by: previous.decidedBy, at: previous.decidedAt, reason: previous.reason };
  };

  return {
    /**
     * The statement on record for this run, computing and recording it first if there is none.
     * `decided`: an earlier run for the same id already decided it (a restarted run asks nobody again).
     */
    async preparePayout(ref: PayoutRef): Promise<PreparedPayout> {
      const stored = await getStatement(db, ref.workflowId);
      if (stored) return prepared(stored);
      const rep = await repOf(ref);
      const gathered = await gatherFacts(db, ref.rule, [rep], ref.period);
      if (!gathered.ok) throw ApplicationFailure.nonRetryable(gathered.message, 'PeriodNotPayable');
      const statement = computeStatement(ref.rule, rep, ref.period, gathered.facts.get(rep.id)!);
      // Retrying a write that can never succeed would hold the run (and its rep) forever.
      if (pastLedgerLimit(statement.total)) {
        const problem = ledgerLimitMessage(grouped(statement.total, statement.currency), statement.currency);
        throw ApplicationFailure.nonRetryable(`statement of rep ${rep.id} for ${ref.period} under "${ref.rule.name}": ${problem}; nothing was recorded`, 'AmountTooLarge');
      }
      const needs = needsApproval(statement);
      await recordStatement(db, ref.workflowId, statement, needs ? 'pending' : 'recorded', undefined, ref.planHash ?? null);
      // Read back: a concurrent attempt may have recorded first, and the record wins.
      return prepared((await getStatement(db, ref.workflowId))!);
    },

    /** Emails the round's approver a signed link that expires with the round; null approver: nobody to ask. */
    async requestApproval(
      input: PayoutRef & { round: number; to: Recipient; deadline: number; statement: Statement },
    ): Promise<{ approver: string | null; problem: string | null; timezone?: string }> {
      const rep = await repOf(input);
      const resolved = await resolveRecipient(db, input.to, { rep });
      if (!resolved.ok) {
        log.warn(`payout ${input.workflowId}: nobody to ask in round ${input.round}: ${resolved.reason}`);
        return { approver: null, problem: resolved.reason };
      }
      const approver = resolved.recipient.email.trim().toLowerCase();
      // Nobody approves their own pay: a rep who is their own manager (a VP or founder whose
      // manager field names themselves, or a CRM import mistake) would otherwise get the link.
      // The round is skipped like one with nobody to ask, so the escalation decides.
      if (emailKey(approver) === emailKey(rep.email)) {
        const problem = `the approver ${approver} is the rep being paid; nobody approves their own payout`;
        log.warn(`payout ${input.workflowId}: nobody to ask in round ${input.round}: ${problem}`);
        return { approver: null, problem };
      }
      const token = signToken(
        { purpose: 'approval', workflowId: input.workflowId, approver, round: input.round, exp: input.deadline },
        requireSecret(deps),
      );
      const approvalUrl = `${deps.config.publicUrl}/approvals/${token}`;
      // SPEC §5: times are in the recipient's own zone (an approver who is a rep), else the rule's.
      const timezone = approverZone(resolved.recipient.timezone, input.rule.timezone);
      const rejectedBefore = await rejectedAttemptBefore(input.workflowId);
      const earlierAsked = input.round > 0 && await earlierApprovalEmailRecorded(db, input.workflowId, input.round);
      const refusedTo = input.round > 0 && !earlierAsked ? await refusedApprovalEmails(db, input.workflowId) : [];
      const scope = payoutScope({
        rule: input.rule, rep, statement: input.statement, refusedTo,
        approval: { url: approvalUrl, approver, due: input.deadline, timezone, round: input.round, earlierAsked, ...(rejectedBefore ? { rejectedBefore } : {}) },
      });
      let outcome: DeliveryOutcome;
      try {
        outcome = await send(input, 'approval', `approval-${input.round}`, approver, scope);
      } catch (err) {
        // The relay turns it away for now (4xx, down) and the round's window has run out: the link
        // would arrive expired, so no later delivery asks anyone. Retrying on would hold the run in
        // this step for as long as the relay defers, with no escalation and no `otherwise`.
        if (Date.now() < input.deadline) throw err;
        const problem = `the mail server did not accept the approval email to ${approver} before the approval window ended (${(err as Error).message})`;
        await markFailed(db, outboxKey(input.workflowId, `approval-${input.round}`, approver), problem, true);
        log.warn(`payout ${input.workflowId}: nobody to ask in round ${input.round}: ${problem}`);
        return { approver: null, problem };
      }
      if (outcome === 'failed') {
        // The relay refused the email for good (no such mailbox): nobody holds a link, so waiting
        // out the window as if the approver had been asked only delays the escalation by days.
        const problem = `the mail server refused the approval email to ${approver}`;
        log.warn(`payout ${input.workflowId}: nobody to ask in round ${input.round}: ${problem}`);
        return { approver: null, problem };
      }
      return { approver, problem: null, timezone };
    },

    /** Ledger entry (approved; once per rule, version, rep, period) and the statement's decision. */
    async recordDecision(
      input: PayoutRef & { decision: DecisionResult; reason: string | null; statement: Statement },
    ): Promise<{ ledgerEntryCreated: boolean }> {
      const { rule, decision, statement } = input;
      // Ledger row and decision together: a crash between them leaves neither.
      return transaction(db, async (tx) => {
        let created = false;
        if (decision.outcome === 'approved') {
          const key = { ruleId: rule.id, ruleVersion: rule.version, rep: input.repId, period: input.period };
          await recordPayout(tx, {
            ...key, ruleName: rule.name, currency: statement.currency, amount: statement.total,
            approvedBy: decision.decidedBy, approvedAt: decision.decidedAt, workflowId: input.workflowId,
            planHash: input.planHash ?? null,
          });
          created = (await findPayout(tx, key))?.workflowId === input.workflowId;
        }
        await decideStatement(tx, input.workflowId, { status: decision.outcome, by: decision.decidedBy, reason: input.reason }, decision.decidedAt);
        return { ledgerEntryCreated: created };
      });
    },

    /** Approved: the rep gets the statement. Rejected: rep and manager are told. */
    async notifyPayoutOutcome(input: PayoutRef & { decision: DecisionResult; reason: string | null; statement: Statement }): Promise<void> {
      const rep = await repOf(input);
      const anyoneAsked = input.decision.decidedBy !== 'otherwise' || await approvalEmailRecorded(db, input.workflowId);
      const refusedTo = anyoneAsked ? [] : await refusedApprovalEmails(db, input.workflowId);
      const scope = payoutScope({ rule: input.rule, rep, statement: input.statement, decision: input.decision, reason: input.reason, anyoneAsked, refusedTo });
      if (input.decision.outcome === 'approved') {
        await send(input, 'statement', 'statement', rep.email, scope);
        return;
      }
      // A rep or manager the relay defers (a full mailbox) does not hold up the other's notice.
      const delivery = new StepDelivery(deps);
      for (const to of new Set([rep.email, ...(rep.manager ? [rep.manager] : [])].map((a) => a.toLowerCase()))) {
        // A manager who is a rep reads when it was rejected in their own zone, as on their approval page.
        const reader = emailKey(to) === emailKey(rep.email) ? null : await getRepByEmail(db, to);
        const own = reader?.timezone && isKnownTimeZone(reader.timezone)
          ? payoutScope({ rule: input.rule, rep, statement: input.statement, decision: input.decision, reason: input.reason, anyoneAsked, refusedTo, readerZone: reader.timezone })
          : scope;
        await delivery.deliver(email(input, 'rejected', 'rejected', to, own));
      }
      delivery.finish();
    },
  };
}
