// What a statement needs to know about one rep and period, gathered by the data layer
// (src/data/facts.ts) and handed to the pure statement function. Plain JSON with decimal strings,
// so it can cross an activity boundary unchanged.
import { z } from 'zod';
import { Decimal } from '../money/index.js';
import type { Fixed } from '../money/fixed.js';
import type { RuntimeValue } from '../plan/evaluate.js';
import type { IncentiveRule } from '../plan/schema.js';
import { parsePeriod, type Period } from './period.js';

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/);

export const MetricFact = z.discriminatedUnion('type', [
  z.object({ type: z.literal('money'), amount: decimal, currency: z.string() }),
  z.object({ type: z.literal('number'), value: decimal }),
  z.object({ type: z.literal('percent'), value: decimal }),
  /** Not defined for this rep and period (e.g. an average over no deals). */
  z.object({ type: z.literal('null') }),
]);
export type MetricFact = z.infer<typeof MetricFact>;

/**
 * Money and count facts as the data layer makes them: the text, and beside it the exact value it
 * was written from, so the statement need not parse the text back (100k statements parsed texts
 * just written from the same values). The value is a private field: not part of the JSON that
 * crosses an activity boundary, nor of a copy or of test equality. A fact without it (parsed from
 * JSON, built by hand, spread) is read from its text. It must equal parseFixed of that text, scale
 * included.
 */
export class ExactMoneyFact {
  // Declared, then assigned in the constructor: plain stores in the order of the JSON's keys.
  declare readonly type: 'money';
  declare readonly amount: string;
  declare readonly currency: string;
  readonly #exact: Fixed;
  constructor(amount: string, currency: string, exact: Fixed) {
    this.type = 'money';
    this.amount = amount;
    this.currency = currency;
    this.#exact = exact;
  }
  get exact(): Fixed { return this.#exact; }
}

/** A count fact with its exact value beside its text (see ExactMoneyFact). */
export class ExactNumberFact {
  declare readonly type: 'number';
  declare readonly value: string;
  readonly #exact: Fixed;
  constructor(value: string, exact: Fixed) {
    this.type = 'number';
    this.value = value;
    this.#exact = exact;
  }
  get exact(): Fixed { return this.#exact; }
}

/** The exact value a fact carries beside its text, if it does. */
export function exactValueOf(fact: MetricFact): Fixed | undefined {
  return fact instanceof ExactMoneyFact || fact instanceof ExactNumberFact ? fact.exact : undefined;
}

export const LeftOutDeal = z.object({
  id: z.string(), amount: z.string(), currency: z.string(), stage: z.string(),
  /** Set when the rule converts currencies but no rate was effective on the deal's date. */
  noRateOn: z.string().optional(),
  /** With noRateOn, when the pair has rates but all from later dates: the first one's `from`. */
  firstRateFrom: z.string().optional(),
});
export type LeftOutDeal = z.infer<typeof LeftOutDeal>;

export const DateWindow = z.object({ start: z.string(), end: z.string() });
export type DateWindow = z.infer<typeof DateWindow>;

/**
 * One won deal credited to the rep in the window by a share, a team or a conversion: the fact a
 * statement lists and later corrections (clawbacks) read back. `credited` is exact:
 * amount × share ÷ 100 × rate, never rounded.
 */
export const CreditedDeal = z.object({
  deal: z.string(),
  /** own: the deal's rep at 100%; revenue / overlay: a share from `credits`; team: a report's deal. */
  type: z.enum(['own', 'revenue', 'overlay', 'team']),
  /** Percent, plain decimal ("60"). */
  share: decimal,
  closedAt: z.string(),
  /** The deal's own amount and currency. */
  amount: decimal,
  currency: z.string(),
  /** When converted: the rate (1 currency = rate rule currency) and the date it is effective from. */
  conversion: z.object({ rate: decimal, from: z.string() }).optional(),
  /** In the rule's currency. */
  credited: decimal,
});
export type CreditedDeal = z.infer<typeof CreditedDeal>;

export const StatementFacts = z.object({
  /** The dates whose deals count: the period, narrowed to the rule's effective dates. */
  window: DateWindow,
  /** Every metric the rule reads (its measure and the metrics in its conditions), by name. */
  metrics: z.record(z.string(), MetricFact),
  /** Spiff id → ids of the won deals closed in the window that match its `where`. */
  spiffDeals: z.record(z.string(), z.array(z.string())),
  /** Deals in the window in another currency than the rule's: left out of everything. */
  leftOut: z.array(LeftOutDeal),
  /**
   * Rules with `credit` or `convert`: the won deals of the window credited to the rep other than
   * its own deals whole in the rule's currency (split, overlay or team credit, or converted).
   */
  credited: z.array(CreditedDeal).optional(),
  /**
   * Rules with `prorate`, for a rep hired or gone inside the window: its own won deals whole in the
   * rule's currency (not in `credited`) that closed before its start_date or after its end_date.
   */
  ownOutsideEmployment: z.array(z.object({ deal: z.string(), closedAt: z.string() })).optional(),
  /** What the data said that the statement should warn about (a `credit team` rep without reports). */
  notes: z.array(z.string()).optional(),
});
export type StatementFacts = z.infer<typeof StatementFacts>;

export function metricValue(fact: MetricFact | undefined): RuntimeValue | undefined {
  if (!fact) return undefined;
  switch (fact.type) {
    case 'money':
      return { type: 'money', value: { amount: new Decimal(fact.amount), currency: fact.currency } };
    case 'number':
    case 'percent':
      return { type: fact.type, value: new Decimal(fact.value) };
    case 'null':
      return { type: 'null' };
  }
}

export type StatementWindow =
  | { ok: true; period: Period; window: DateWindow; notes: string[] }
  | { ok: false; message: string };

/**
 * Which dates a rule pays for in a period: the period must be of the rule's kind and overlap its
 * effective dates; a partial overlap narrows the window and says so.
 */
export function statementWindow(rule: IncentiveRule, label: string): StatementWindow {
  const parsed = parsePeriod(label);
  if (!parsed.ok) return parsed;
  const period = parsed.period;
  if (period.kind !== rule.period) {
    return {
      ok: false,
      message: `incentive "${rule.name}" is paid per ${rule.period}; ${period.label} is a ${period.kind}`,
    };
  }
  const { from, to } = rule.effective;
  if ((from && period.end < from) || (to && period.start > to)) {
    return {
      ok: false,
      message: `incentive "${rule.name}" is effective ${from ?? 'from the start'} to ${to ?? 'open end'}; ${period.label} (${period.start} to ${period.end}) is outside it`,
    };
  }
  const window = {
    start: from && from > period.start ? from : period.start,
    end: to && to < period.end ? to : period.end,
  };
  const notes: string[] = [];
  if (window.start !== period.start || window.end !== period.end) {
    notes.push(`only deals closed ${window.start} to ${window.end} count: the rule's effective dates cut ${period.label}`);
  }
  return { ok: true, period, window, notes };
}
