// Bonus and reward conditions compiled once per rule for the fixed-point statement path: metric
// and attainment comparisons against literals run on exact BigInt values (attainment as the exact
// quotient measure·100 ÷ target, compared without dividing). Parts that read only the rep go
// through the plan evaluator unchanged. Anything else is not compiled (null), and the statement
// takes the decimal.js path, so a condition means the same on both paths (src/plan/evaluate.ts).
import { cmpFixed, compareScaledRatio, mulFixed, parseFixed, type Fixed } from '../money/fixed.js';
import { holds } from '../plan/evaluate.js';
import type { RepRecord } from '../plan/records.js';
import type { Expr } from '../plan/schema.js';

export type FixedValue =
  | { type: 'money'; amount: Fixed; currency: string }
  | { type: 'number' | 'percent'; value: Fixed }
  | { type: 'null' };

/** Attainment in percent as the exact quotient num ÷ den. */
export interface Ratio { num: Fixed; den: Fixed }

export interface FixedScope {
  rep: RepRecord;
  metric(name: string): FixedValue;
  attainment: Ratio | null;
}

export type FixedCondition = (scope: FixedScope) => boolean;

export const FIXED_NULL: FixedValue = { type: 'null' };

type Operand =
  | { kind: 'value'; get: (scope: FixedScope) => FixedValue }
  | { kind: 'attainment' };

export interface CompiledCondition {
  test: FixedCondition;
  /** Largest number of decimals of a literal compared with attainment (the exactness guard needs it). */
  attainmentScale: number;
}

function readsFacts(expr: Expr): boolean {
  switch (expr.kind) {
    case 'metric': case 'attainment': return true;
    case 'binary': return readsFacts(expr.left) || readsFacts(expr.right);
    case 'not': case 'neg': return readsFacts(expr.operand);
    case 'in': return readsFacts(expr.operand) || expr.items.some(readsFacts);
    default: return false;
  }
}

function literal(expr: Expr): Exclude<FixedValue, { type: 'null' }> | null {
  if (expr.kind !== 'literal') return null;
  const v = expr.value;
  if (v.type === 'number' || v.type === 'percent') {
    const value = parseFixed(v.value);
    return value && { type: v.type, value };
  }
  if (v.type === 'money') {
    const amount = parseFixed(v.value.amount);
    return amount && { type: 'money', amount, currency: v.value.currency };
  }
  return null;
}

/** Order of two values like evaluate.ts `compare`; null when they cannot be compared. */
function compareValues(a: FixedValue, b: FixedValue): number | null {
  if (a.type === 'null' || b.type === 'null') return null;
  if (a.type === 'money' && b.type === 'money') return a.currency === b.currency ? cmpFixed(a.amount, b.amount) : null;
  if (a.type !== 'money' && b.type !== 'money') return cmpFixed(a.value, b.value);
  return null;
}

function orderHolds(op: string, order: number): boolean {
  switch (op) {
    case '=': return order === 0;
    case '!=': return order !== 0;
    case '<': return order < 0;
    case '<=': return order <= 0;
    case '>': return order > 0;
    default: return order >= 0; // '>='
  }
}

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);

export function compileCondition(expr: Expr | null): CompiledCondition | null {
  let attainmentScale = 0;

  function operand(e: Expr): Operand | null {
    if (e.kind === 'attainment') return { kind: 'attainment' };
    if (e.kind === 'metric') {
      const name = e.name;
      return { kind: 'value', get: (scope) => scope.metric(name) };
    }
    const value = literal(e);
    return value && { kind: 'value', get: () => value };
  }

  /** attainment against a constant; both orders of operands. */
  function againstAttainment(op: string, other: Expr, attainmentLeft: boolean): FixedCondition | null {
    const value = literal(other);
    if (!value) return null;
    if (value.type !== 'money') attainmentScale = Math.max(attainmentScale, value.value.scale);
    // bound × target, the same for every rep of a rule: kept while the target is the same object.
    let den: Fixed | null = null;
    let scaled: Fixed | null = null;
    return (scope) => {
      const a = scope.attainment;
      // Unknown attainment, or money against a percent: not comparable, and of different types.
      if (a === null || value.type === 'money') return op === '!=';
      if (a.den !== den) { den = a.den; scaled = mulFixed(value.value, a.den); }
      const order = compareScaledRatio(a.num, a.den, scaled!);
      return orderHolds(op, attainmentLeft ? order : -order);
    };
  }

  function bool(e: Expr): FixedCondition | null {
    if (!readsFacts(e)) return (scope) => holds(e, { rep: scope.rep });
    if (e.kind === 'not') {
      const inner = bool(e.operand);
      return inner && ((scope) => !inner(scope));
    }
    if (e.kind === 'binary' && (e.op === 'and' || e.op === 'or')) {
      const left = bool(e.left);
      const right = bool(e.right);
      if (!left || !right) return null;
      return e.op === 'and' ? (scope) => left(scope) && right(scope) : (scope) => left(scope) || right(scope);
    }
    if (e.kind === 'binary' && COMPARISONS.has(e.op)) {
      const op = e.op;
      const left = operand(e.left);
      const right = operand(e.right);
      if (!left || !right) return null;
      if (left.kind === 'attainment' && right.kind === 'attainment') return null;
      if (left.kind === 'attainment') return againstAttainment(op, e.right, true);
      if (right.kind === 'attainment') return againstAttainment(op, e.left, false);
      const l = left.get;
      const r = right.get;
      return (scope) => {
        const a = l(scope);
        const b = r(scope);
        const order = compareValues(a, b);
        if (order === null) return op === '!=' && a.type !== b.type;
        return orderHolds(op, order);
      };
    }
    if (e.kind === 'in') {
      const subject = operand(e.operand);
      const items = e.items.map(operand);
      if (!subject || subject.kind !== 'value' || items.some((i) => !i || i.kind !== 'value')) return null;
      const get = subject.get;
      const gets = items.map((i) => (i as { get: (s: FixedScope) => FixedValue }).get);
      const negated = e.negated;
      return (scope) => {
        const v = get(scope);
        if (v.type === 'null') return negated;
        const found = gets.some((g) => compareValues(v, g(scope)) === 0);
        return negated ? !found : found;
      };
    }
    return null;
  }

  if (expr === null) return { test: () => true, attainmentScale };
  const test = bool(expr);
  return test && { test, attainmentScale };
}
