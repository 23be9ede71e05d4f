// The approval pages: the decision form, the result after a decision, and every way a link can be
// unusable (forged, expired, decided, superseded). Each says in one sentence what happened and
// whether anything changed.
import type { DecisionResult, PayoutStatus } from '../../workflows/api.js';
import { dec, displayMoney } from '../../money/index.js';
import { zonedDateTime } from '../../workflows/calendar.js';
import { sameTotal } from '../../activities/payout-emails.js';
import { html, type SafeHtml } from './html.js';
import { notice, page } from './layout.js';
import { statementSection } from './statement.js';

const section = 'Payout approval';

/** The total and currency of a statement as the run reports it (unknown shape: nothing when absent). */
function statementTotal(statement: unknown): { total: string; currency: string } {
  const s = statement as { total?: unknown; currency?: unknown } | null;
  return { total: typeof s?.total === 'string' ? s.total : 'NaN', currency: typeof s?.currency === 'string' ? s.currency : '' };
}

/** An instant in the approver's zone with the zone named (UTC for runs that did not record one). */
function when(iso: string | null, zone = 'UTC'): string {
  if (!iso) return 'unknown time';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : zonedDateTime(ms, zone);
}

/** Who decided, in words: an approver's address, or the rule itself. */
function decider(result: DecisionResult): SafeHtml {
  if (result.decidedBy === 'otherwise') return html`the rule's <strong>otherwise</strong> step, as no one decided in time,`;
  if (result.decidedBy === 'auto') return html`the rule itself (it asks no approval)`;
  return html`<strong>${result.decidedBy}</strong>`;
}

/** What silence leads to: an approver must know when not deciding pays the statement as it stands. */
function afterDeadline(status: PayoutStatus): SafeHtml {
  switch (status.afterDeadline) {
    case 'escalated': return html`the request goes to the next approver`;
    case 'approved': return html`<strong>the payout is approved as it stands</strong> (the rule says <code>otherwise approve</code>)`;
    case 'rejected': return html`<strong>the payout is rejected</strong> (the rule says <code>otherwise reject</code>)`;
    default: return html`the request moves on`;
  }
}

/** The rejected statement a re-run replaces (`payouts run --rerun-rejected`). */
export interface ReplacedStatement {
  by: string | null;
  at: string | null;
  reason: string | null;
  total: string;
  currency: string;
}

/** Who rejected the statement a re-run replaces: an approver, or the rule itself (as its email says). */
function rejecter(replaces: ReplacedStatement): SafeHtml {
  if (replaces.by === 'otherwise') return html`the rule's <code>otherwise reject</code> (no decision in time)`;
  return html`<strong>${replaces.by ?? 'unknown'}</strong>`;
}

/**
 * `escalated`: for a later round, whether someone was asked in an earlier one (the approver is
 * told why the request is theirs, as their email says); undefined for the first round.
 */
export function approvalForm(status: PayoutStatus, approver: string, replaces?: ReplacedStatement, escalated?: { earlierAsked: boolean; refusedTo?: string[] }): SafeHtml {
  return page(
    { title: 'Approve payout', section },
    html`<h1>Your approval is needed</h1>
<p>This statement was sent to <strong>${approver}</strong> for approval.${status.deadline ? html` Please decide before <strong>${when(status.deadline, status.deadlineZone)}</strong>; after that this link stops working and ${afterDeadline(status)}.` : ''}</p>
${escalated ? html`<p class="escalated">${escalated.earlierAsked
    ? 'It was escalated to you: no one decided it within the earlier approval window.'
    : escalated.refusedTo?.length
      ? `It comes to you because the mail server refused the approval email to ${escalated.refusedTo.join(', ')}.`
      : 'It comes to you because no earlier approver could be asked (e.g. no manager on record).'}</p>` : ''}
${replaces ? html`<p class="replaces">It was computed again after an earlier statement for the same period (total ${displayMoney(dec(replaces.total), replaces.currency)}) was rejected by ${rejecter(replaces)} at ${when(replaces.at, status.deadlineZone)}${replaces.reason ? html`: “${replaces.reason}”` : replaces.by === 'otherwise' ? '' : ' (no reason given)'}.${sameTotal(replaces, statementTotal(status.statement)) ? ' The new total is the same as the rejected one.' : ''}</p>` : ''}
${statementSection(status.statement)}
<section class="card" aria-labelledby="decide-heading">
<h2 id="decide-heading">Your decision</h2>
<form class="decide" method="post">
<div>
<label for="reason">Reason <span class="hint">(optional; sent to the rep and their manager if you reject)</span></label>
<textarea id="reason" name="reason" maxlength="2000"></textarea>
</div>
<div class="actions">
<button type="submit" name="decision" value="approve" class="approve">Approve payout</button>
<button type="submit" name="decision" value="reject" class="reject">Reject</button>
</div>
<p class="hint">Only pressing a button decides; opening this page changes nothing.</p>
</form>
</section>`,
  );
}

/** The reason on record with a decision (what the rep and manager were sent); nothing when unknown. */
function recordedReason(reason: string | null | undefined): SafeHtml | string {
  if (reason === undefined) return '';
  return reason === null ? html`<p>No reason was given with it.</p>` : html`<p>Reason on record: “${reason}”</p>`;
}

/**
 * `zone`: the reader's (the link's approver), as their deadline was shown; UTC when unknown.
 * `recorded`: on a replay, the reason the decision was recorded with (a second press may carry an
 * edited reason that was not taken).
 */
export function decidedPage(result: DecisionResult, statement: unknown, replay: boolean, reason?: string, zone?: string, recorded?: string | null): SafeHtml {
  const approved = result.outcome === 'approved';
  return page(
    { title: approved ? 'Payout approved' : 'Payout rejected', section },
    html`${notice(
      approved ? 'success' : 'info',
      approved ? 'Payout approved' : 'Payout rejected',
      html`<p>${approved ? 'Approved' : 'Rejected'} by ${decider(result)} at ${when(result.decidedAt, zone)}.
${approved ? 'The payout is recorded in the ledger once and the rep is emailed the statement.' : 'Nothing is paid for this statement. The rep and their manager are told; once the data is corrected, sales ops can run it again (salesflow payouts run --rerun-rejected), which asks for approval again with a new email.'}</p>
${reason && !replay ? html`<p>Your reason: “${reason}”</p>` : ''}
${replay ? html`<p>This decision had already been recorded; submitting again changed nothing.</p>${recordedReason(recorded)}` : ''}`,
    )}
${statement === undefined || statement === null ? '' : statementSection(statement)}`,
  );
}

/**
 * `reason`: the one recorded with the decision, when known (undefined: not known here).
 * `computedAgain`: a rejected statement sales ops have run again since (`--rerun-rejected`): the
 * approver is told a newer email asks about the new statement, or they take "rejected" as the end.
 */
export function alreadyDecidedPage(result: DecisionResult, statement: unknown, zone?: string, reason?: string | null, computedAgain = false): SafeHtml {
  // The rule's `otherwise` decides without a reason of anyone's: "no reason was given" would mislead.
  const shownReason = result.decidedBy === 'otherwise' || result.decidedBy === 'auto' ? undefined : reason;
  return page(
    { title: 'Already decided', section },
    html`${notice(
      'warning',
      `This payout was already ${result.outcome}`,
      html`<p>${result.outcome === 'approved' ? 'Approved' : 'Rejected'} by ${decider(result)} at ${when(result.decidedAt, zone)}. A payout is decided once; this link changed nothing.</p>
${recordedReason(shownReason)}
${computedAgain && result.outcome === 'rejected' ? html`<p>The statement has been computed again since: a newer approval email has the link to the new one.</p>` : ''}`,
    )}
${statementSection(statement)}`,
  );
}

export function supersededPage(status: PayoutStatus, approver: string): SafeHtml {
  const to = status.approver;
  // An escalation that names the same person (a rep whose manager is the VP escalated to) asks
  // them again with a new link: "escalated to <you>" alone read like a mistake.
  if (to && to.toLowerCase() === approver.toLowerCase()) {
    return page(
      { title: 'Approval moved on', section },
      notice(
        'warning',
        'This approval link is no longer valid',
        html`<p>The first approval window ended without a decision and the request was escalated, which asks <strong>${approver}</strong> again. A newer email to you has the link that decides now. This link changed nothing.</p>`,
      ),
    );
  }
  return page(
    { title: 'Approval moved on', section },
    notice(
      'warning',
      'This approval link is no longer valid',
      html`<p>The approval window for <strong>${approver}</strong> ended without a decision, so the request was escalated${to ? html` to <strong>${to}</strong>` : ''}. This link changed nothing.</p>`,
    ),
  );
}

export function notAwaitingPage(status: PayoutStatus): SafeHtml {
  const detail =
    status.phase === 'computing'
      ? 'The statement is still being computed. Try the link again in a minute.'
      : 'This statement has nothing to pay, so no approval is needed. It is recorded as it is.';
  return page({ title: 'Nothing to decide', section }, notice('info', 'Nothing to decide here', html`<p>${detail}</p>`));
}

/**
 * A decision form this page could not take, on a link still waiting for a decision: what is wrong
 * with it, so whoever sent it (a browser extension, a script, a mail client) knows what to change.
 */
export function badFormPage(problem: SafeHtml | string): SafeHtml {
  const title = 'The decision form was not understood';
  return page(
    { title, section },
    notice('error', title, html`<p>${problem} Nothing was changed. Open the link from the email and press Approve or Reject.</p>`),
  );
}

export type LinkProblem = 'forged' | 'expired' | 'not-found' | 'cross-site' | 'too-large' | 'unavailable' | 'unconfirmed' | 'run-ended' | 'run-restarted';

const problems: Record<LinkProblem, { title: string; text: string }> = {
  forged: { title: 'This link is not valid', text: 'The link is damaged or was not issued by salesflow. Nothing was changed. Use the link from the original email, or ask sales ops to resend it.' },
  expired: { title: 'This link has expired', text: 'Approval links work for a limited time. Nothing was changed. Ask sales ops for a new link if the payout still needs a decision.' },
  'not-found': { title: 'Payout not found', text: 'The payout this link belongs to no longer exists. Nothing was changed. If it still needs your decision, tell sales ops: "salesflow payouts run" for its period starts it again, with a new email and link.' },
  'cross-site': { title: 'Decision refused', text: 'The decision was sent from another website, so it was refused. Nothing was changed. Open the link from the email and press the button on this site.' },
  'too-large': { title: 'The form is too large', text: 'The decision form was larger than a reason of 2,000 characters needs, so it was not read. Nothing was changed. Go back, shorten the reason and press Approve or Reject again.' },
  unavailable: { title: 'Please try again shortly', text: 'salesflow could not reach its workflow engine. Nothing was changed. Try again in a minute.' },
  'run-restarted': { title: 'This payout was started again', text: 'Its run was stopped before anyone decided, and sales ops have started the payout again since: a newer email has the link that decides it now. This link changed nothing.' },
  'run-ended': { title: 'This payout can no longer be decided here', text: 'Its run was stopped before anyone decided (for example, ended by an operator in Temporal), so no link can decide it now. Nothing was changed. Tell sales ops: the run\'s history in Temporal says why it ended, and "salesflow payouts run" starts it again, with a new email and link to whoever is asked then.' },
  unconfirmed: { title: 'Your decision is not confirmed yet', text: 'salesflow could not confirm your decision in time: it may be recorded in a moment, or not at all. Open this link again in a minute to see. Pressing the button again is safe: a payout is never decided twice.' },
};

export function linkProblemPage(problem: LinkProblem, pageSection = section): SafeHtml {
  const p = problems[problem];
  return page({ title: p.title, section: pageSection }, notice('error', p.title, html`<p>${p.text}</p>`));
}
