// The emails of a payout run (approval request, statement to the rep, rejection notice) and the
// `incentive` template scope of src/templates. The plan carries these templates for every
// incentive (the folder's own or the defaults); the defaults here only cover plans built by hand.
import { dec, displayMoney } from '../money/index.js';
import type { Statement } from '../payouts/statement.js';
import { creditedListScope, measureMoney, statementBasis } from '../payouts/render.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule, Template } from '../plan/schema.js';
import { defaultTemplateTexts, incentiveTemplateNames, parseTemplate, type TemplateScope } from '../templates/index.js';
import type { DecisionResult } from '../workflows/api.js';
import { isKnownTimeZone, zonedDateTime } from '../workflows/calendar.js';
import { entityGroup } from './scope.js';

export type PayoutEmailKind = keyof typeof incentiveTemplateNames;

export function payoutTemplate(rule: IncentiveRule, kind: PayoutEmailKind): Template {
  const name = incentiveTemplateNames[kind];
  return rule.templates[name] ?? parseTemplate(name, defaultTemplateTexts[name]).template;
}

/** The rejected statement a re-run follows, as the data source recorded its decision. */
export interface RejectedBefore {
  total: string;
  currency: string;
  by: string | null;
  /** ISO instant of the rejection. */
  at: string | null;
  reason: string | null;
}

export interface PayoutScopeInput {
  rule: IncentiveRule;
  rep: RepRecord;
  statement: Statement;
  /**
   * `timezone`: the approver's, in which `due` is shown (UTC when absent). `rejectedBefore`: the
   * rejected statement this one was computed again after (`payouts run --rerun-rejected`).
   */
  approval?: { url: string; approver: string; due: number; timezone?: string; rejectedBefore?: RejectedBefore; round?: number; earlierAsked?: boolean };
  decision?: DecisionResult;
  reason?: string | null;
  /** False when no round had anyone to ask (no approver address): `otherwise` decided at once. */
  anyoneAsked?: boolean;
  /** Approvers whose email the mail server refused for good (so they were not asked either). */
  refusedTo?: string[];
  /** The zone the decision's time is shown in: the recipient's (a manager who is a rep); else the rep's, else the rule's. */
  readerZone?: string;
}

/** The zone an approver reads their deadline in: their own when known and valid, else the rule's, else UTC. */
export function approverZone(own: string | null, ruleZone: string | undefined): string {
  for (const zone of [own, ruleZone]) if (zone && isKnownTimeZone(zone)) return zone;
  return 'UTC';
}

function money(amount: string, currency: string): string {
  return displayMoney(dec(amount), currency);
}

export function payoutScope(input: PayoutScopeInput): TemplateScope {
  const { statement: s, rule } = input;
  const isMoney = rule.measure.type === 'money';
  const unit = rule.measure.type === 'percent' ? '%' : '';
  const readerZone = input.readerZone ?? approverZone(input.rep.timezone, rule.timezone);
  const cut = s.lines.filter((l) => l.kind === 'cap').reduce((sum, l) => sum.plus(dec(l.amount).abs()), dec(0));
  return {
    rep: entityGroup('rep', input.rep),
    incentive: { name: rule.name, period: rule.period },
    statement: {
      period: s.period,
      currency: s.currency,
      measure: s.measure === null ? 'unknown' : isMoney ? measureMoney(s.measure, s.currency) : `${s.measure}${unit}`,
      target: isMoney ? money(s.target, s.currency) : `${s.target}${unit}`,
      attainment: s.attainment === null ? 'unknown' : `${s.attainment}%`,
      lines: statementLines(s),
      rewards: s.rewards.length ? s.rewards.join(', ') : 'none',
      capped: money(cut.toFixed(), s.currency),
      total: money(s.total, s.currency),
      warnings: s.warnings.join('\n'),
    },
    approval: {
      url: input.approval?.url ?? null,
      approver: input.approval?.approver ?? null,
      due: input.approval ? zonedDateTime(input.approval.due, input.approval.timezone ?? 'UTC') : null,
      decision: input.decision?.outcome ?? null,
      // The rep and their manager are told who to talk to (an escalation's VP, not the manager).
      decided_by: !input.decision ? null : input.decision.decidedBy === 'otherwise' ? "the rule's `otherwise`" : input.decision.decidedBy,
      decided_at: input.decision ? decidedAt(input.decision, readerZone) : null,
      decided: input.decision ? decidedText(input.decision, readerZone, input.anyoneAsked ?? true) : null,
      reason: input.reason ?? rejectionWithoutReason(input.decision, input.anyoneAsked ?? true, input.refusedTo ?? []),
      // The VP an escalation reaches is told why it is theirs now, not handed it as if first asked.
      escalated: !input.approval?.round ? null : input.approval.earlierAsked
        ? 'This request was escalated to you: no one decided it within the earlier approval window.'
        : input.refusedTo?.length
          ? `This request comes to you because the mail server refused the approval email to ${[...new Set(input.refusedTo)].join(', ')}.`
          : 'This request comes to you because no earlier approver could be asked (e.g. no manager on record).',
      after_deadline: input.approval ? afterDeadline(rule, input.approval.round ?? 0) : null,
      rejected_before: input.approval?.rejectedBefore ? rejectedBeforeText(input.approval.rejectedBefore, input.approval.timezone ?? 'UTC', s) : null,
    },
  };
}

/** When the statement was decided, in the reader's zone, zone named. */
function decidedAt(decision: DecisionResult, zone: string): string {
  const at = Date.parse(decision.decidedAt);
  return Number.isNaN(at) ? 'an unknown time' : zonedDateTime(at, zone);
}

/**
 * The decision as the rep reads it after "was": who decided and when, so a statement emailed after
 * approval says it was approved (a bare statement read like a draft), and the rule deciding reads
 * as the rule, not as an approver named "auto" or "otherwise".
 */
function decidedText(decision: DecisionResult, zone: string, anyoneAsked: boolean): string {
  const at = decidedAt(decision, zone);
  if (decision.decidedBy === 'auto') return `${decision.outcome} automatically on ${at} (the rule asks no one to approve it)`;
  if (decision.decidedBy !== 'otherwise') return `${decision.outcome} by ${decision.decidedBy} on ${at}`;
  // A rejection's `approval.reason` already says why nobody decided; an approval has no reason.
  if (decision.outcome === 'rejected') return `rejected on ${at} by the rule's \`otherwise reject\``;
  const why = anyoneAsked ? 'nobody decided within the approval window' : 'nobody could be asked to approve it';
  return `approved on ${at} by the rule's \`otherwise approve\`: ${why}`;
}

/**
 * The whole statement as text lines: money lines with how they were computed, then rewards and
 * warnings, so whoever approves or receives it sees everything it contains.
 */
function statementLines(s: Statement): string {
  const basis = statementBasis(s);
  const lines = [
    ...(basis.proration ? [`- Prorated: ${basis.proration}`] : []),
    ...basis.credited.map((c) => `- Credited: ${c}`),
    ...(creditedListScope(s) ? [`- Credited deals: ${creditedListScope(s)}`] : []),
  ];
  lines.push(...s.lines.map((l) => {
    const amount = money(l.amount, s.currency);
    // Descriptions usually end with their amount already ("8% of ... = 8,000.00 USD").
    return l.description.includes(amount) ? `- ${l.description}` : `- ${l.description}: ${amount}`;
  }));
  for (const reward of s.rewards) lines.push(`- Reward: ${reward}`);
  for (const warning of s.warnings) lines.push(`- Note: ${warning}`);
  return lines.length ? lines.join('\n') : 'Nothing to pay.';
}

/**
 * What silence leads to, as the approval page says it: "moves on" left an approver under
 * `otherwise approve` not knowing that not deciding pays the statement as it stands.
 */
function afterDeadline(rule: IncentiveRule, round: number): string {
  if (rule.approval && round < rule.approval.escalations.length) return 'this request goes to the next approver';
  return rule.approval?.otherwise === 'approve'
    ? 'the payout is approved as it stands (the rule says `otherwise approve`)'
    : 'the payout is rejected (the rule says `otherwise reject`)';
}

/**
 * Said in the email itself: an approver asked again must not approve the new total without
 * knowing what was turned down before (the approval page says the same).
 */
function rejectedBeforeText(r: RejectedBefore, zone: string, now: { total: string; currency: string }): string {
  const by = r.by === 'otherwise' ? "the rule's `otherwise reject` (no decision in time)" : r.by ?? 'unknown';
  const at = r.at && !Number.isNaN(Date.parse(r.at)) ? zonedDateTime(Date.parse(r.at), zone) : 'an unknown time';
  return `This statement was computed again after an earlier statement for the same period ` +
    `(total ${money(r.total, r.currency)}) was rejected by ${by} at ${at}. ` +
    `Reason given: ${r.reason ? `"${r.reason}"` : 'none'}.` +
    (sameTotal(r, now) ? ' The new total is the same as the rejected one.' : '');
}

/** Whether a re-run came to the total that was rejected (the data may not have been corrected). */
export function sameTotal(a: { total: string; currency: string }, b: { total: string; currency: string }): boolean {
  return a.currency === b.currency && dec(a.total).eq(dec(b.total));
}

function rejectionWithoutReason(decision: DecisionResult | undefined, anyoneAsked: boolean, refusedTo: string[]): string | null {
  if (decision?.outcome !== 'rejected') return null;
  if (decision.decidedBy !== 'otherwise') return 'none given';
  // Said apart, because the fix differs: chase the approver, give the rep a manager address, or
  // correct an address the mail server does not know.
  if (anyoneAsked) return "nobody decided within the approval window, so the rule's `otherwise reject` rejected it";
  if (refusedTo.length > 0) {
    return `nobody could be asked (the mail server refused the approval email to ${[...new Set(refusedTo)].join(', ')}), so the rule's \`otherwise reject\` rejected it`;
  }
  return "nobody could be asked (the rule's approver has no email address for this rep, e.g. no manager on record), so the rule's `otherwise reject` rejected it";
}
