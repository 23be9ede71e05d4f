// A compiled condition (plan Expr) written back in the rule language: `rep.team = "EMEA AEs"`,
// `attainment < 40% and deals_won >= 3`. For people reading a plan (`salesflow plan`'s rule
// changes), who wrote the condition in a rule file and should recognise it, not its JSON tree.
// Parentheses are those the tree needs (the plan keeps no others), so `(a or b) and c` reads as
// written and `a or (b and c)` as `a or b and c`.
import type { BinaryOp, Expr, Value } from '../plan/schema.js';
import { stringLiteral } from './literals.js';

/** Binding strength, lowest first, as docs/language.md lists the operators. */
const strength: Record<BinaryOp, number> = {
  or: 1, and: 2, '=': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6,
};
const NOT = 3;
const COMPARISON = 4;
const UNARY = 7;
const ATOM = 8;

function strengthOf(expr: Expr): number {
  switch (expr.kind) {
    case 'binary': return strength[expr.op];
    case 'not': return NOT;
    case 'in': return COMPARISON;
    case 'neg': return UNARY;
    default: return ATOM;
  }
}

/** A literal as a rule writes it: `"EMEA"`, `50000 USD`, `40%`, `3 business days`. */
export function valueText(value: Value): string {
  switch (value.type) {
    case 'string': return stringLiteral(value.value);
    case 'money': return `${value.value.amount} ${value.value.currency}`;
    case 'percent': return `${value.value}%`;
    case 'duration': return `${value.value.amount} ${value.value.unit === 'business_days' ? 'business days' : value.value.unit}`;
    case 'bool': return value.value ? 'true' : 'false';
    default: return String(value.value);
  }
}

/** The condition as rule text. */
export function exprText(expr: Expr): string {
  const inner = (child: Expr, least: number) => (strengthOf(child) < least ? `(${exprText(child)})` : exprText(child));
  switch (expr.kind) {
    case 'literal': return valueText(expr.value);
    case 'field': return `${expr.entity}.${expr.field}`;
    case 'metric': return expr.name;
    case 'attainment': return 'attainment';
    case 'not': return `not ${inner(expr.operand, NOT)}`;
    case 'neg': return `-${inner(expr.operand, UNARY)}`;
    case 'in': return `${inner(expr.operand, COMPARISON + 1)} ${expr.negated ? 'not in' : 'in'} [${expr.items.map((i) => exprText(i)).join(', ')}]`;
    case 'binary': {
      const own = strength[expr.op];
      // Comparisons do not chain, and operators group to the left: a right operand of the same
      // strength (`a - (b - c)`) keeps its parentheses, and so does a comparison inside one.
      const leftLeast = own === COMPARISON ? own + 1 : own;
      return `${inner(expr.left, leftLeast)} ${expr.op} ${inner(expr.right, own + 1)}`;
    }
  }
}
