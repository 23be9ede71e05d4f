// The compiled plan: the one contract between the rule language (src/dsl) and everything that runs
// rules (payouts, workflows, schedules). Types are inferred from these schemas, never written twice.
//
// Conventions:
// - every decimal (number, money amount, percent, rate) is a string in plain decimal notation
//   ("1000000", "2500.50", "12.5"), never a JS number, so money stays exact;
// - percents are stored as the number before the % sign ("40" means 40%);
// - times of day are "HH:MM" 24h; dates are "YYYY-MM-DD";
// - every rule carries everything the runtime needs (resolved settings, templates it sends), so a
//   running workflow started with one rule object never needs anything else from the plan.
import { z } from 'zod';
import { entityNames, eventTypes, periodKinds, weekdays } from './catalog.js';
import { CrmMappingSchema } from './crm.js';

export const PLAN_FORMAT_VERSION = 1;

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'a plain decimal string');
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code');
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

export const Entity = z.enum(entityNames);
export const EventTypeSchema = z.enum(eventTypes);
export const PeriodKindSchema = z.enum(periodKinds);
export const WeekdaySchema = z.enum(weekdays);

export const Money = z.object({ amount: decimal, currency });
export type Money = z.infer<typeof Money>;

export const DurationUnit = z.enum(['minutes', 'hours', 'days', 'business_days', 'weeks']);
export const Duration = z.object({ amount: decimal, unit: DurationUnit });
export type Duration = z.infer<typeof Duration>;

/** A literal value as written in a rule. */
export const Value = z.discriminatedUnion('type', [
  z.object({ type: z.literal('string'), value: z.string() }),
  z.object({ type: z.literal('number'), value: decimal }),
  z.object({ type: z.literal('money'), value: Money }),
  z.object({ type: z.literal('percent'), value: decimal }),
  z.object({ type: z.literal('duration'), value: Duration }),
  z.object({ type: z.literal('date'), value: isoDate }),
  z.object({ type: z.literal('time'), value: timeOfDay }),
  z.object({ type: z.literal('bool'), value: z.boolean() }),
]);
export type Value = z.infer<typeof Value>;

export const ValueType = z.enum(['string', 'number', 'money', 'percent', 'duration', 'date', 'time', 'bool']);
export type ValueType = z.infer<typeof ValueType>;

export const BinaryOp = z.enum(['or', 'and', '=', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/']);
export type BinaryOp = z.infer<typeof BinaryOp>;

/**
 * A checked expression. `type` is the checker's result type of the node (money nodes also carry
 * their currency), so the evaluator never has to infer types again.
 */
export type Expr =
  | { kind: 'literal'; type: ValueType; currency?: string; value: Value }
  | { kind: 'field'; type: ValueType; currency?: string; entity: z.infer<typeof Entity>; field: string }
  /** A metric per rep and period: built-in (`revenue`, `deals_won`, ...) or custom (`metric x = ...`). */
  | { kind: 'metric'; type: ValueType; currency?: string; name: string }
  /** `attainment`: the rule's measure ÷ target, as a percent. */
  | { kind: 'attainment'; type: 'percent' }
  | { kind: 'binary'; type: ValueType; currency?: string; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'not'; type: 'bool'; operand: Expr }
  | { kind: 'neg'; type: ValueType; currency?: string; operand: Expr }
  | { kind: 'in'; type: 'bool'; negated: boolean; operand: Expr; items: Expr[] };

export const ExprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('literal'), type: ValueType, currency: currency.optional(), value: Value }),
    z.object({ kind: z.literal('field'), type: ValueType, currency: currency.optional(), entity: Entity, field: z.string() }),
    z.object({ kind: z.literal('metric'), type: ValueType, currency: currency.optional(), name: z.string() }),
    z.object({ kind: z.literal('attainment'), type: z.literal('percent') }),
    z.object({
      kind: z.literal('binary'), type: ValueType, currency: currency.optional(), op: BinaryOp,
      left: ExprSchema, right: ExprSchema,
    }),
    z.object({ kind: z.literal('not'), type: z.literal('bool'), operand: ExprSchema }),
    z.object({ kind: z.literal('neg'), type: ValueType, currency: currency.optional(), operand: ExprSchema }),
    z.object({
      kind: z.literal('in'), type: z.literal('bool'), negated: z.boolean(), operand: ExprSchema,
      items: z.array(ExprSchema),
    }),
  ]),
) as z.ZodType<Expr>;

/**
 * Who gets an email. `entity`: the entity's own email (rep.email, lead.email; for a deal, its
 * contact). `field`: a field that holds an email or a rep id. `address`: a quoted address.
 */
export const Recipient = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('entity'), entity: Entity }),
  z.object({ kind: z.literal('field'), entity: Entity, field: z.string(), holds: z.enum(['email', 'rep_id']) }),
  z.object({ kind: z.literal('address'), address: z.string() }),
]);
export type Recipient = z.infer<typeof Recipient>;

/** Where an email came from in the rule: for messages and the outbox. */
export const SourceRef = z.object({ file: z.string(), line: z.number().int().positive() });

export const Send = z.object({
  /** Stable within the rule: the outbox key part (workflow id + step id) for exactly-once sends. */
  id: z.string(),
  template: z.string(),
  to: z.array(Recipient).min(1),
  source: SourceRef,
});
export type Send = z.infer<typeof Send>;

/** `every monday at 09:00`, `every day at 08:30`, `every weekday at 17:00`, `every monday, thursday at 10:00`. */
export const WeeklySchedule = z.object({
  days: z.array(WeekdaySchema).min(1),
  at: timeOfDay,
});
export type WeeklySchedule = z.infer<typeof WeeklySchedule>;

export const Template = z.object({
  name: z.string(),
  subject: z.string(),
  body: z.string(),
  /** Every `{{path}}` used in subject and body, in order of first use. */
  placeholders: z.array(z.string()),
});
export type Template = z.infer<typeof Template>;

const ruleBase = {
  name: z.string(),
  /** URL- and id-safe slug of the name, unique in the plan: used in workflow and schedule ids. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  /** Content hash of this rule's compiled form (incl. templates and metrics it uses). */
  version: z.string(),
  source: SourceRef,
  /** Settings resolved for this rule's file. `timezone` is the fallback after the person's own. */
  timezone: z.string(),
  from: z.string().nullable(),
  /** Templates this rule sends, by name, so a run never needs the rest of the plan. */
  templates: z.record(z.string(), Template),
  /** Custom metrics this rule uses (directly or through conditions), by name. */
  metrics: z.record(z.string(), z.lazy(() => MetricDef)),
};

export const MetricDef = z.object({
  name: z.string(),
  aggregate: z.enum(['sum', 'count', 'avg', 'min', 'max']),
  entity: z.literal('deal'),
  /** The summed field (`deal.amount`); null for count. */
  field: z.string().nullable(),
  where: ExprSchema.nullable(),
  type: z.enum(['money', 'number']),
  source: SourceRef,
});
export type MetricDef = z.infer<typeof MetricDef>;

export const Measure = z.object({
  /** Built-in metric name or custom metric name. */
  metric: z.string(),
  builtin: z.boolean(),
  type: z.enum(['money', 'number', 'percent']),
});

export const GoalCheckpoint = z.object({
  id: z.string(),
  when: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('every'), schedule: WeeklySchedule }),
    /** `at 50% of period`: this fraction of the period's length after it starts. */
    z.object({ kind: z.literal('fraction'), percent: decimal }),
    z.object({ kind: z.literal('end') }),
  ]),
  condition: ExprSchema.nullable(),
  sends: z.array(Send),
});
export type GoalCheckpoint = z.infer<typeof GoalCheckpoint>;

export const GoalRule = z.object({
  kind: z.literal('goal'),
  ...ruleBase,
  reps: ExprSchema.nullable(),
  measure: Measure,
  target: Value,
  period: PeriodKindSchema,
  checkpoints: z.array(GoalCheckpoint),
});
export type GoalRule = z.infer<typeof GoalRule>;

export const CommissionBand = z.object({
  /**
   * Bound, inclusive; null for `above`: attainment in percent, or with the commission's
   * `bounds: 'amount'` an amount of the measure in the rule's currency.
   */
  upTo: decimal.nullable(),
  /** Rate in percent of the measure. */
  rate: decimal,
});

export const ApprovalStep = z.object({ to: Recipient, within: Duration });

export const IncentiveRule = z.object({
  kind: z.literal('incentive'),
  ...ruleBase,
  reps: ExprSchema.nullable(),
  period: PeriodKindSchema,
  effective: z.object({ from: isoDate.nullable(), to: isoDate.nullable() }),
  measure: Measure,
  /** Money target (currency of the statement) or a plain number for count measures. */
  target: Value,
  /** Currency of every money line (the target's currency, else the settings' currency). */
  currency: currency,
  commission: z
    .object({
      method: z.enum(['marginal', 'retroactive']),
      bands: z.array(CommissionBand).min(1),
      /** Absent: bounds are % of target. `amount`: bounds are amounts (`up to 150000 USD`). */
      bounds: z.literal('amount').optional(),
    })
    .nullable(),
  /**
   * Who a deal credits (SPEC "incentive, in depth"); absent: 100% to `deal.rep`. `splits`: revenue
   * shares, `overlay`: overlay shares only, `all`: both, `team`: the rep's direct reports' deals,
   * `team_all_levels`: every report down the manager chain.
   */
  credit: z.enum(['splits', 'overlay', 'all', 'team', 'team_all_levels']).optional(),
  /** `prorate target by employment`: target and amount bounds × days employed ÷ days in the period. */
  prorate: z.literal('employment').optional(),
  /** `convert currencies at closing rate`: foreign deals at the rate effective on `closed_at`. */
  convert: z.literal('closing_rate').optional(),
  bonuses: z.array(z.object({ id: z.string(), amount: Money, when: ExprSchema, description: z.string() })),
  spiffs: z.array(z.object({ id: z.string(), amount: Money, where: ExprSchema.nullable(), description: z.string() })),
  cap: Money.nullable(),
  rewards: z.array(z.object({ id: z.string(), reward: z.string(), when: ExprSchema.nullable(), description: z.string() })),
  /** null: statements with something to pay are approved without asking anyone. */
  approval: z
    .object({
      approver: Recipient,
      within: Duration,
      escalations: z.array(ApprovalStep),
      otherwise: z.enum(['approve', 'reject']),
    })
    .nullable(),
});
export type IncentiveRule = z.infer<typeof IncentiveRule>;

export type SequenceStep =
  | { kind: 'send'; send: Send }
  | { kind: 'wait'; id: string; duration: Duration }
  | { kind: 'if'; id: string; condition: Expr; then: SequenceStep[]; else: SequenceStep[] };

export const SequenceStepSchema: z.ZodType<SequenceStep> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('send'), send: Send }),
    z.object({ kind: z.literal('wait'), id: z.string(), duration: Duration }),
    z.object({
      kind: z.literal('if'), id: z.string(), condition: ExprSchema,
      then: z.array(SequenceStepSchema), else: z.array(SequenceStepSchema),
    }),
  ]),
) as z.ZodType<SequenceStep>;

export const SequenceRule = z.object({
  kind: z.literal('sequence'),
  ...ruleBase,
  trigger: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('event'), event: EventTypeSchema, where: ExprSchema.nullable() }),
    z.object({ kind: z.literal('schedule'), schedule: WeeklySchedule, reps: ExprSchema.nullable() }),
  ]),
  /** The entity one run is about: the event's entity, or `rep` for scheduled sequences. */
  subject: Entity,
  stopOn: z.array(EventTypeSchema),
  quietHours: z.object({ from: timeOfDay, to: timeOfDay, weekends: z.boolean() }).nullable(),
  steps: z.array(SequenceStepSchema),
});
export type SequenceRule = z.infer<typeof SequenceRule>;

export const Rule = z.discriminatedUnion('kind', [GoalRule, IncentiveRule, SequenceRule]);
export type Rule = z.infer<typeof Rule>;

export const Plan = z.object({
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  /** Hash over every rule's version and every CRM mapping: changes whenever anything the runtime sees changes. */
  hash: z.string(),
  metrics: z.array(MetricDef),
  rules: z.array(Rule),
  /**
   * The CRM mappings beside the rules (rules/crm/*.yaml, resolved over their presets), by name. A
   * CRM with none here is served by its built-in preset. Absent in a plan compiled from rules alone
   * and in plans applied before salesflow recorded mappings: both mean built-in presets only.
   */
  crm: z.array(CrmMappingSchema).optional(),
});
export type Plan = z.infer<typeof Plan>;
