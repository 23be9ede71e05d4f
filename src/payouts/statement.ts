// The one statement function (SPEC §5): commission bands, bonuses, spiffs, cap and rewards of an
// incentive rule for one rep and period, from facts the data layer gathered. Pure and exact:
// `simulate`, `salesflow test` and the payout workflow's activity all call this, so they can
// never disagree. Each money line is rounded once, half-up, to the currency's minor unit; the total
// is the sum of the rounded lines (and of the cap cut).
import { z } from 'zod';
import { Decimal, ZERO } from '../money/index.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';
import type { StatementFacts } from './facts.js';
import { CreditedDeal } from './facts.js';
import { computeStatementFixed } from './statement-fixed.js';

export const LineKind = z.enum(['commission', 'bonus', 'spiff', 'cap']);
export type LineKind = z.infer<typeof LineKind>;

const amountText = z.string().regex(/^-?\d+(\.\d+)?$/);

export const StatementLine = z.object({
  kind: LineKind,
  /** How the line was computed: measure, band, rate, amount. */
  description: z.string(),
  /** Decimal string in major units with the currency's minor digits: "15500.00". */
  amount: amountText,
});
export type StatementLine = z.infer<typeof StatementLine>;

export const Statement = z.object({
  rule: z.string(),
  ruleId: z.string(),
  ruleVersion: z.string(),
  rep: z.string(),
  repName: z.string(),
  period: z.string(),
  currency: z.string(),
  /** Name of the measured metric (`revenue`, a custom metric, ...). */
  measureMetric: z.string(),
  /** The measure's value as a decimal string (money in major units); null when undefined. */
  measure: amountText.nullable(),
  target: amountText,
  /** measure ÷ target in percent as shown (shown-figures.ts): two decimals rounded down ("119.99"), more where a condition or band would read the other way; null when the target is zero or the measure unknown. */
  attainment: amountText.nullable(),
  lines: z.array(StatementLine),
  capped: z.boolean(),
  total: amountText,
  /** Non-monetary rewards earned. */
  rewards: z.array(z.string()),
  /** Deals left out (other currency), cut effective dates, lines that could not be paid. */
  warnings: z.array(z.string()),
  /** Rules with `credit` or `convert`: every deal credited by a share, a team or a conversion, with how. */
  credited: z.array(CreditedDeal).optional(),
  /** Rules with `prorate target by employment`, for a rep employed part of the period. */
  proration: z.object({
    /** Days employed ÷ days in the period: "17/31". */
    fraction: z.string(),
    /** The rule's target, and the rep's (rounded half up to minor units). */
    target: amountText,
    prorated: amountText,
    /** Amount band bounds as prorated, in band order. */
    bounds: z.array(amountText).optional(),
    /**
     * When the rule's effective dates cut the period: the days the fraction counts over (the rule's
     * part), so "31/59" is not read as days of the whole period.
     */
    over: z.object({ start: z.string(), end: z.string() }).optional(),
  }).optional(),
  /** Set when the measure (and target) is a count or a percent, not money, so it is never shown as money. */
  quantity: z.enum(['number', 'percent']).optional(),
});
export type Statement = z.infer<typeof Statement>;

/**
 * The statement of one rep and period, on exact fixed-point values (statement-fixed.ts). A
 * decimal.js reference in tests/payouts/reference/ checks it digit for digit.
 */
export function computeStatement(rule: IncentiveRule, rep: RepRecord, period: string, facts: StatementFacts): Statement {
  return computeStatementFixed(rule, rep, period, facts);
}

/** Nothing to pay and no reward: recorded, but no approval is asked (SPEC §5). */
export function needsApproval(statement: Statement): boolean {
  return new Decimal(statement.total).gt(ZERO) || statement.rewards.length > 0;
}
