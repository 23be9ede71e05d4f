// Evaluates checked plan expressions against entity records and metrics. Pure and deterministic:
// used by the data layer, the statement function and the workflows alike, so a condition means
// the same thing everywhere.
import { Decimal, type MoneyValue } from '../money/index.js';
import { entityFields } from './catalog.js';
import type { EntityRecords } from './records.js';
import type { Expr, Value } from './schema.js';

export type RuntimeValue =
  | { type: 'string'; value: string }
  | { type: 'number' | 'percent'; value: Decimal }
  | { type: 'money'; value: MoneyValue }
  | { type: 'date' | 'time'; value: string }
  | { type: 'duration'; value: { amount: Decimal; unit: string } }
  | { type: 'bool'; value: boolean }
  | { type: 'null' };

export interface EvalContext extends EntityRecords {
  /** A metric per rep and period, by name (built-in or custom); undefined when not available. */
  metric?: (name: string) => RuntimeValue | undefined;
  /** Attainment as a percent (160 means 160%). */
  attainment?: Decimal;
}

const NULL: RuntimeValue = { type: 'null' };

export function literalValue(value: Value): RuntimeValue {
  switch (value.type) {
    case 'string':
      return { type: 'string', value: value.value };
    case 'number':
    case 'percent':
      return { type: value.type, value: new Decimal(value.value) };
    case 'money':
      return { type: 'money', value: { amount: new Decimal(value.value.amount), currency: value.value.currency } };
    case 'duration':
      return { type: 'duration', value: { amount: new Decimal(value.value.amount), unit: value.value.unit } };
    case 'date':
    case 'time':
      return { type: value.type, value: value.value };
    case 'bool':
      return { type: 'bool', value: value.value };
  }
}

function fieldValue(ctx: EvalContext, entity: 'rep' | 'deal' | 'lead', field: string): RuntimeValue {
  const record = ctx[entity] as Record<string, unknown> | undefined;
  if (!record) return NULL;
  const raw = record[field];
  if (raw === null || raw === undefined) return NULL;
  const info = entityFields[entity][field];
  switch (info?.type) {
    case 'money':
      return { type: 'money', value: { amount: new Decimal(String(raw)), currency: String(record.currency) } };
    case 'number':
      return { type: 'number', value: new Decimal(String(raw)) };
    case 'date':
      return { type: 'date', value: String(raw) };
    case 'bool':
      return { type: 'bool', value: Boolean(raw) };
    default:
      return { type: 'string', value: String(raw) };
  }
}

/** Ordering of two values of one type; null when they cannot be compared (null, other currency). */
function compare(a: RuntimeValue, b: RuntimeValue): number | null {
  if (a.type === 'null' || b.type === 'null') return null;
  if (a.type === 'money' && b.type === 'money') {
    if (a.value.currency !== b.value.currency) return null;
    return a.value.amount.comparedTo(b.value.amount);
  }
  if ((a.type === 'number' || a.type === 'percent') && (b.type === 'number' || b.type === 'percent')) {
    return a.value.comparedTo(b.value);
  }
  if (a.type === 'bool' && b.type === 'bool') return a.value === b.value ? 0 : a.value ? 1 : -1;
  if ((a.type === 'string' || a.type === 'date' || a.type === 'time') && a.type === b.type) {
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  }
  return null;
}

function arithmetic(op: '+' | '-' | '*' | '/', a: RuntimeValue, b: RuntimeValue, resultType: string): RuntimeValue {
  if (a.type === 'null' || b.type === 'null') return NULL;
  const num = (v: RuntimeValue): Decimal | null =>
    v.type === 'number' ? v.value : v.type === 'percent' ? v.value.div(100) : null;
  if (a.type === 'money' && b.type === 'money') {
    if (a.value.currency !== b.value.currency) return NULL;
    if (op === '+' || op === '-') {
      const amount = op === '+' ? a.value.amount.plus(b.value.amount) : a.value.amount.minus(b.value.amount);
      return { type: 'money', value: { amount, currency: a.value.currency } };
    }
    if (op === '/') return b.value.amount.isZero() ? NULL : { type: 'number', value: a.value.amount.div(b.value.amount) };
    return NULL;
  }
  if (a.type === 'money' || b.type === 'money') {
    const money = a.type === 'money' ? a.value : (b as { value: MoneyValue }).value;
    const factor = num(a.type === 'money' ? b : a);
    if (!factor) return NULL;
    if (op === '*') return { type: 'money', value: { amount: money.amount.times(factor), currency: money.currency } };
    if (op === '/' && a.type === 'money') {
      return factor.isZero() ? NULL : { type: 'money', value: { amount: money.amount.div(factor), currency: money.currency } };
    }
    return NULL;
  }
  if (a.type === 'percent' && b.type === 'percent' && (op === '+' || op === '-')) {
    return { type: 'percent', value: op === '+' ? a.value.plus(b.value) : a.value.minus(b.value) };
  }
  const x = a.type === 'percent' && resultType !== 'percent' ? num(a) : a.type === 'number' || a.type === 'percent' ? a.value : null;
  const y = b.type === 'percent' && resultType !== 'percent' ? num(b) : b.type === 'number' || b.type === 'percent' ? b.value : null;
  if (!x || !y) return NULL;
  let result: Decimal;
  switch (op) {
    case '+': result = x.plus(y); break;
    case '-': result = x.minus(y); break;
    case '*': result = x.times(y); break;
    case '/': if (y.isZero()) return NULL; result = x.div(y); break;
  }
  return { type: resultType === 'percent' ? 'percent' : 'number', value: result };
}

export function evaluate(expr: Expr, ctx: EvalContext): RuntimeValue {
  switch (expr.kind) {
    case 'literal':
      return literalValue(expr.value);
    case 'field':
      return fieldValue(ctx, expr.entity, expr.field);
    case 'metric':
      return ctx.metric?.(expr.name) ?? NULL;
    case 'attainment':
      return ctx.attainment ? { type: 'percent', value: ctx.attainment } : NULL;
    case 'not': {
      const v = evaluate(expr.operand, ctx);
      return v.type === 'bool' ? { type: 'bool', value: !v.value } : NULL;
    }
    case 'neg': {
      const v = evaluate(expr.operand, ctx);
      if (v.type === 'number' || v.type === 'percent') return { type: v.type, value: v.value.neg() };
      if (v.type === 'money') return { type: 'money', value: { amount: v.value.amount.neg(), currency: v.value.currency } };
      return NULL;
    }
    case 'in': {
      const v = evaluate(expr.operand, ctx);
      if (v.type === 'null') return { type: 'bool', value: expr.negated };
      const found = expr.items.some((item) => compare(v, evaluate(item, ctx)) === 0);
      return { type: 'bool', value: expr.negated ? !found : found };
    }
    case 'binary': {
      if (expr.op === 'and' || expr.op === 'or') {
        const left = isTrue(evaluate(expr.left, ctx));
        if (expr.op === 'and' && !left) return { type: 'bool', value: false };
        if (expr.op === 'or' && left) return { type: 'bool', value: true };
        return { type: 'bool', value: isTrue(evaluate(expr.right, ctx)) };
      }
      const left = evaluate(expr.left, ctx);
      const right = evaluate(expr.right, ctx);
      if (expr.op === '+' || expr.op === '-' || expr.op === '*' || expr.op === '/') {
        return arithmetic(expr.op, left, right, expr.type);
      }
      const order = compare(left, right);
      // Unknown values and money in another currency compare as "not matching", never as a crash.
      if (order === null) return { type: 'bool', value: expr.op === '!=' && left.type !== right.type };
      const results: Record<string, boolean> = {
        '=': order === 0, '!=': order !== 0, '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0,
      };
      return { type: 'bool', value: results[expr.op] };
    }
  }
}

export function isTrue(value: RuntimeValue): boolean {
  return value.type === 'bool' && value.value;
}

/** A condition holds; a missing condition always holds. */
export function holds(condition: Expr | null | undefined, ctx: EvalContext): boolean {
  return condition ? isTrue(evaluate(condition, ctx)) : true;
}

/** Names of metrics an expression reads, for fetching only what a rule needs. */
export function metricsUsed(expr: Expr | null | undefined, into: Set<string> = new Set()): Set<string> {
  if (!expr) return into;
  switch (expr.kind) {
    case 'metric': into.add(expr.name); break;
    case 'binary': metricsUsed(expr.left, into); metricsUsed(expr.right, into); break;
    case 'not': case 'neg': metricsUsed(expr.operand, into); break;
    case 'in': metricsUsed(expr.operand, into); expr.items.forEach((i) => metricsUsed(i, into)); break;
    default: break;
  }
  return into;
}

/** Whether an expression reads `attainment` (statement texts then show the attainment they read). */
export function readsAttainment(expr: Expr | null | undefined): boolean {
  if (!expr) return false;
  switch (expr.kind) {
    case 'attainment': return true;
    case 'binary': return readsAttainment(expr.left) || readsAttainment(expr.right);
    case 'not': case 'neg': return readsAttainment(expr.operand);
    case 'in': return readsAttainment(expr.operand) || expr.items.some(readsAttainment);
    default: return false;
  }
}
