// The one table of what templates can name, per rule kind (SPEC §6). The checker rejects any other
// placeholder; the runtime fills exactly these. Entity groups carry every field of the catalog.
import { entityFields, type EntityName } from '../plan/catalog.js';

export type TemplateScopeKind = 'goal' | 'incentive' | 'sequence:lead' | 'sequence:deal' | 'sequence:rep';

/** Non-entity groups and what each field holds when the email is rendered. */
export const templateGroups = {
  goal: {
    name: 'the goal rule name',
    metric: 'the measured metric name',
    period: 'week, month, quarter or year',
  },
  progress: {
    period: 'the period label, e.g. 2026-Q1',
    period_start: 'first day of the period (YYYY-MM-DD)',
    period_end: 'last day of the period (YYYY-MM-DD)',
    measure: 'the measure so far, e.g. "48,000.00 EUR" or "7"',
    target: 'the target, e.g. "120,000.00 EUR"',
    attainment: 'measure ÷ target as a percent, rounded down to two decimals (more when the condition needs them), e.g. "39.99%"',
    remaining: 'target minus measure, never below zero',
    days_left: "days of the period still ahead when the email goes out, that day included, in the rep's zone (7 on a week's Monday, 0 in the review)",
    warnings: "deals left out of a money goal's figures for another currency than the target's, one per line (empty when none)",
  },
  incentive: {
    name: 'the incentive rule name',
    period: 'week, month, quarter or year',
  },
  statement: {
    period: 'the period label, e.g. 2026-Q1',
    currency: 'the statement currency',
    measure: 'the measure, e.g. "160,000.00 USD"',
    target: 'the target',
    attainment: 'attainment as a percent',
    lines: 'every statement line with how it was computed, one per line',
    rewards: 'the non-monetary rewards earned, comma separated ("none" when none)',
    capped: 'the amount cut by the cap, e.g. "2,000.00 USD" ("0.00 USD" when not capped)',
    total: 'the total to pay, e.g. "15,500.00 USD"',
    warnings: 'warnings such as deals left out for another currency (empty when none)',
  },
  approval: {
    url: 'the approval page link (approve/reject there)',
    approver: 'the email of who is asked',
    due: "when the request escalates or falls to `otherwise`, in the approver's time zone (theirs when they are a rep, else the rule's), zone named: `2026-04-06 11:00 Europe/Berlin`",
    escalated: 'for a request escalated to this approver: why it is theirs (no one decided in the earlier window, or no earlier approver could be asked), as a sentence; empty for the first approver',
    after_deadline: 'what happens without a decision by `approval.due`, as a clause: "this request goes to the next approver", "the payout is approved as it stands (the rule says `otherwise approve`)" or "the payout is rejected (the rule says `otherwise reject`)"',
    decision: 'approved or rejected (in the decision emails)',
    decided_by: "who decided (in the decision emails): the approver's address, or \"the rule's `otherwise`\" when no one did",
    decided_at: "when it was decided (in the decision emails), in the reader's time zone (a manager who is a rep reads theirs; the rep theirs, else the rule's), zone named: `2026-04-03 10:15 Europe/Berlin`",
    decided: 'the decision as a clause to follow "was" (in the decision emails): "approved by mia@acme.example on 2026-04-03 10:15 Europe/Berlin", "approved automatically on … (the rule asks no one to approve it)", "approved on … by the rule\'s `otherwise approve`: nobody decided within the approval window"',
    reason: 'the reason given with a rejection; "none given" when the approver gave none, and why when the rule\'s `otherwise` rejected it (nobody decided within the window, nobody could be asked); empty in other emails',
    rejected_before: "for a statement computed again after a rejection (`payouts run --rerun-rejected`): what was rejected before (its total, by whom, when in the approver's time zone, why), as a sentence; empty otherwise",
  },
  sequence: {
    name: 'the sequence rule name',
  },
  unsubscribe: {
    url: 'the one-click unsubscribe link',
  },
} as const;

type Group = keyof typeof templateGroups;

/** Which groups each kind of rule has; entity groups are the subject's records. */
export const templateScopes: Record<TemplateScopeKind, { entities: EntityName[]; groups: Group[]; description: string }> = {
  goal: { entities: ['rep'], groups: ['goal', 'progress'], description: 'a goal (rep, goal, progress)' },
  incentive: { entities: ['rep'], groups: ['incentive', 'statement', 'approval'], description: 'an incentive (rep, incentive, statement, approval)' },
  'sequence:lead': { entities: ['lead', 'rep'], groups: ['sequence', 'unsubscribe'], description: 'a sequence about a lead (lead, rep = its owner, sequence, unsubscribe)' },
  'sequence:deal': { entities: ['deal', 'rep'], groups: ['sequence', 'unsubscribe'], description: 'a sequence about a deal (deal, rep = its owner, sequence, unsubscribe)' },
  'sequence:rep': { entities: ['rep'], groups: ['sequence', 'unsubscribe'], description: 'a scheduled sequence for reps (rep, sequence, unsubscribe)' },
};

const pathCache = new Map<TemplateScopeKind, Set<string>>();

/** Every placeholder path available to templates of this kind, e.g. "lead.name", "statement.total". */
export function scopePaths(kind: TemplateScopeKind): ReadonlySet<string> {
  let paths = pathCache.get(kind);
  if (!paths) {
    const scope = templateScopes[kind];
    paths = new Set([
      ...scope.entities.flatMap((e) => Object.keys(entityFields[e]).map((f) => `${e}.${f}`)),
      ...scope.groups.flatMap((g) => Object.keys(templateGroups[g]).map((f) => `${g}.${f}`)),
    ]);
    pathCache.set(kind, paths);
  }
  return paths;
}

/** The values a renderer is given: group → field → text (null renders as empty). */
export type TemplateScope = Partial<Record<string, Record<string, string | null | undefined>>>;
