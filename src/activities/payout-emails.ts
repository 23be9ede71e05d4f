// The emails of a payout run: the approval request, the statement sent to the rep once approved,
// and the rejection notice. A rule folder may override each by a template of the same name
// (`rules/templates/payout-approval.md`, ...); these defaults keep a fresh project working.
import { displayMoney, dec } from '../money/index.js';
import type { Statement } from '../payouts/statement.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule, Template } from '../plan/schema.js';
import type { DecisionResult } from '../workflows/api.js';

export type PayoutEmailKind = 'payout-approval' | 'payout-statement' | 'payout-rejected';

const defaults: Record<PayoutEmailKind, Omit<Template, 'placeholders'>> = {
  'payout-approval': {
    name: 'payout-approval',
    subject: 'Approve {{rep.name}}: {{statement.total_display}} for {{period}} ({{rule.name}})',
    body: [
      '{{rep.name}} earned {{statement.total_display}} under "{{rule.name}}" for {{period}}.',
      'Measure: {{statement.measure_metric}} {{statement.measure}} of target {{statement.target}} (attainment {{statement.attainment}}%).',
      '{{statement.lines_text}}',
      '{{statement.rewards_text}}',
      'Approve or reject here (the link works until {{deadline}}):\n{{approval_url}}',
    ].join('\n\n'),
  },
  'payout-statement': {
    name: 'payout-statement',
    subject: 'Your {{rule.name}} statement for {{period}}: {{statement.total_display}}',
    body: [
      'Hi {{rep.name}},',
      'your statement under "{{rule.name}}" for {{period}} was approved by {{decision.by}}.',
      '{{statement.lines_text}}',
      'Total: {{statement.total_display}}',
      '{{statement.rewards_text}}',
    ].join('\n\n'),
  },
  'payout-rejected': {
    name: 'payout-rejected',
    subject: 'Statement for {{rep.name}}, {{period}} ({{rule.name}}) was rejected',
    body: [
      'The statement of {{rep.name}} under "{{rule.name}}" for {{period}} ({{statement.total_display}}) was rejected by {{decision.by}}.',
      'Reason: {{decision.reason}}',
      '{{statement.lines_text}}',
    ].join('\n\n'),
  },
};

export function payoutTemplate(rule: IncentiveRule, kind: PayoutEmailKind): Template {
  const own = rule.templates[kind];
  if (own) return own;
  const t = defaults[kind];
  return { ...t, placeholders: [...`${t.subject}\n${t.body}`.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]) };
}

export interface PayoutScopeInput {
  rule: IncentiveRule;
  rep: RepRecord;
  period: string;
  statement: Statement;
  approvalUrl?: string;
  deadline?: number;
  decision?: DecisionResult;
  reason?: string | null;
}

export function payoutScope(input: PayoutScopeInput): Record<string, unknown> {
  const { statement: s } = input;
  const lines = s.lines.map((l) => `- ${l.description}: ${displayMoney(dec(l.amount), s.currency)}`);
  return {
    rep: input.rep,
    rule: { name: input.rule.name, id: input.rule.id },
    period: input.period,
    statement: {
      ...s,
      measure_metric: s.measureMetric,
      total_display: displayMoney(dec(s.total), s.currency),
      lines_text: lines.length ? lines.join('\n') : 'No money lines.',
      rewards_text: s.rewards.length ? `Rewards: ${s.rewards.join(', ')}` : '',
      warnings_text: s.warnings.join('\n'),
    },
    approval_url: input.approvalUrl ?? '',
    deadline: input.deadline !== undefined ? new Date(input.deadline).toISOString().replace('.000Z', 'Z') : '',
    decision: input.decision
      ? { outcome: input.decision.outcome, by: input.decision.decidedBy, at: input.decision.decidedAt, reason: input.reason ?? 'none given' }
      : null,
  };
}
