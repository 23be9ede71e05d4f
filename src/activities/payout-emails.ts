// The emails of a payout run (approval request, statement to the rep, rejection notice) and the
// `incentive` template scope of src/templates. The plan carries these templates for every
// incentive (the folder's own or the defaults); the defaults here only cover plans built by hand.
import { dec, displayMoney } from '../money/index.js';
import type { Statement } from '../payouts/statement.js';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule, Template } from '../plan/schema.js';
import { defaultTemplateTexts, incentiveTemplateNames, parseTemplate, type TemplateScope } from '../templates/index.js';
import type { DecisionResult } from '../workflows/api.js';
import { entityGroup } from './scope.js';

export type PayoutEmailKind = keyof typeof incentiveTemplateNames;

export function payoutTemplate(rule: IncentiveRule, kind: PayoutEmailKind): Template {
  const name = incentiveTemplateNames[kind];
  return rule.templates[name] ?? parseTemplate(name, defaultTemplateTexts[name]).template;
}

export interface PayoutScopeInput {
  rule: IncentiveRule;
  rep: RepRecord;
  statement: Statement;
  approval?: { url: string; approver: string; due: number };
  decision?: DecisionResult;
  reason?: string | null;
}

function money(amount: string, currency: string): string {
  return displayMoney(dec(amount), currency);
}

export function payoutScope(input: PayoutScopeInput): TemplateScope {
  const { statement: s, rule } = input;
  const isMoney = rule.measure.type === 'money';
  const cut = s.lines.filter((l) => l.kind === 'cap').reduce((sum, l) => sum.plus(dec(l.amount).abs()), dec(0));
  return {
    rep: entityGroup('rep', input.rep),
    incentive: { name: rule.name, period: rule.period },
    statement: {
      period: s.period,
      currency: s.currency,
      measure: s.measure === null ? 'unknown' : isMoney ? money(s.measure, s.currency) : s.measure,
      target: isMoney ? money(s.target, s.currency) : s.target,
      attainment: s.attainment === null ? 'unknown' : `${s.attainment}%`,
      lines: s.lines.length ? s.lines.map((l) => `- ${l.description}: ${money(l.amount, s.currency)}`).join('\n') : 'No money lines.',
      rewards: s.rewards.join(', '),
      capped: money(cut.toFixed(), s.currency),
      total: money(s.total, s.currency),
      warnings: s.warnings.join('\n'),
    },
    approval: {
      url: input.approval?.url ?? null,
      approver: input.approval?.approver ?? null,
      due: input.approval ? new Date(input.approval.due).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : null,
      decision: input.decision?.outcome ?? null,
      reason: input.reason ?? (input.decision?.outcome === 'rejected' ? 'none given' : null),
    },
  };
}
