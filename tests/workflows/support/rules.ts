// Hand-built plan rules for the workflow tests (what the compiler emits for the rule text shown
// above each builder), so these tests depend on the plan contract only.
import type { Expr, GoalRule, Recipient, SequenceRule, SequenceStep, Template } from '../../../src/plan/schema.js';

const source = { file: 'rules/test.rules', line: 1 };

export function template(name: string, subject: string, body: string): Template {
  const placeholders = [...new Set([...`${subject}\n${body}`.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]))];
  return { name, subject, body, placeholders };
}

export const to = {
  lead: { kind: 'entity', entity: 'lead' } as Recipient,
  rep: { kind: 'entity', entity: 'rep' } as Recipient,
  leadOwner: { kind: 'field', entity: 'lead', field: 'owner', holds: 'rep_id' } as Recipient,
  repManager: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' } as Recipient,
  address: (address: string) => ({ kind: 'address', address }) as Recipient,
};

let sendCounter = 0;
export const step = {
  send: (tpl: string, ...recipients: Recipient[]): SequenceStep => ({
    kind: 'send',
    send: { id: `send-${++sendCounter}`, template: tpl, to: recipients.length ? recipients : [to.lead], source },
  }),
  wait: (amount: number, unit: 'minutes' | 'hours' | 'days' | 'business_days' | 'weeks'): SequenceStep => ({
    kind: 'wait', id: `wait-${++sendCounter}`, duration: { amount: String(amount), unit },
  }),
  if: (condition: Expr, then: SequenceStep[], otherwise: SequenceStep[] = []): SequenceStep => ({
    kind: 'if', id: `if-${++sendCounter}`, condition, then, else: otherwise,
  }),
};

/** `lead.score >= N` */
export function scoreAtLeast(n: number): Expr {
  return {
    kind: 'binary', type: 'bool', op: '>=',
    left: { kind: 'field', type: 'number', entity: 'lead', field: 'score' },
    right: { kind: 'literal', type: 'number', value: { type: 'number', value: String(n) } },
  };
}

export function sequenceRule(options: {
  id: string;
  steps: SequenceStep[];
  templates: Template[];
  quietHours?: SequenceRule['quietHours'];
  timezone?: string;
}): SequenceRule {
  return {
    kind: 'sequence',
    name: options.id.replace(/-/g, ' '),
    id: options.id,
    version: `v-${options.id}`,
    source,
    timezone: options.timezone ?? 'UTC',
    from: 'Sales Ops <ops@acme.example>',
    templates: Object.fromEntries(options.templates.map((t) => [t.name, t])),
    metrics: {},
    trigger: { kind: 'event', event: 'lead.created', where: null },
    subject: 'lead',
    stopOn: ['lead.replied', 'lead.unsubscribed', 'deal.won'],
    quietHours: options.quietHours ?? null,
    steps: options.steps,
  };
}

/** `attainment < N%` */
export function attainmentBelow(n: number): Expr {
  return {
    kind: 'binary', type: 'bool', op: '<',
    left: { kind: 'attainment', type: 'percent' },
    right: { kind: 'literal', type: 'percent', value: { type: 'percent', value: String(n) } },
  };
}

export function goalRule(options: {
  id: string;
  period: GoalRule['period'];
  target: string;
  checkpoints: GoalRule['checkpoints'];
  templates: Template[];
}): GoalRule {
  return {
    kind: 'goal',
    name: options.id.replace(/-/g, ' '),
    id: options.id,
    version: `v-${options.id}`,
    source,
    timezone: 'UTC',
    from: null,
    templates: Object.fromEntries(options.templates.map((t) => [t.name, t])),
    metrics: {},
    reps: null,
    measure: { metric: 'revenue', builtin: true, type: 'money' },
    target: { type: 'money', value: { amount: options.target, currency: 'EUR' } },
    period: options.period,
    checkpoints: options.checkpoints,
  };
}
