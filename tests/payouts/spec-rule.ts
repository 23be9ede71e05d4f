// The SPEC §5 incentive as a hand-written plan object, so statement tests do not depend on the
// rule compiler; the CLI tests run the same rule from its .rules text.
import type { Expr, IncentiveRule } from '../../src/plan/schema.js';

export const field = (entity: 'rep' | 'deal', name: string, type: Expr['type'] = 'string'): Expr =>
  ({ kind: 'field', entity, field: name, type }) as Expr;
export const str = (value: string): Expr => ({ kind: 'literal', type: 'string', value: { type: 'string', value } });
export const num = (value: string): Expr => ({ kind: 'literal', type: 'number', value: { type: 'number', value } });
export const pct = (value: string): Expr => ({ kind: 'literal', type: 'percent', value: { type: 'percent', value } });
export const usd = (amount: string): Expr =>
  ({ kind: 'literal', type: 'money', currency: 'USD', value: { type: 'money', value: { amount, currency: 'USD' } } });
export const metric = (name: string, type: Expr['type'] = 'number'): Expr => ({ kind: 'metric', name, type }) as Expr;
export const bin = (op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or', left: Expr, right: Expr): Expr =>
  ({ kind: 'binary', type: 'bool', op, left, right });

export function specRule(overrides: Partial<IncentiveRule> = {}): IncentiveRule {
  return {
    kind: 'incentive',
    name: 'AE commission FY26',
    id: 'ae-commission-fy26',
    version: 'v1',
    source: { file: 'rules/incentives.rules', line: 1 },
    timezone: 'UTC',
    from: null,
    templates: {},
    metrics: {},
    reps: bin('=', field('rep', 'role'), str('AE')),
    period: 'quarter',
    effective: { from: '2026-01-01', to: '2026-12-31' },
    measure: { metric: 'revenue', builtin: true, type: 'money' },
    target: { type: 'money', value: { amount: '100000', currency: 'USD' } },
    currency: 'USD',
    commission: {
      method: 'marginal',
      bands: [{ upTo: '100', rate: '8' }, { upTo: '150', rate: '12' }, { upTo: null, rate: '15' }],
    },
    bonuses: [{
      id: 'bonus-1', amount: { amount: '1000', currency: 'USD' },
      when: bin('>=', metric('deals_won'), num('10')), description: 'bonus 1000 USD when deals_won >= 10',
    }],
    spiffs: [{
      id: 'spiff-1', amount: { amount: '250', currency: 'USD' },
      where: bin('=', field('deal', 'product'), str('Analytics')), description: 'spiff 250 USD per deal where deal.product = "Analytics"',
    }],
    cap: { amount: '30000', currency: 'USD' },
    rewards: [{ id: 'reward-1', reward: 'Extra day off', when: bin('>=', { kind: 'attainment', type: 'percent' }, pct('120')), description: 'reward "Extra day off" when attainment >= 120%' }],
    approval: null,
    ...overrides,
  };
}
