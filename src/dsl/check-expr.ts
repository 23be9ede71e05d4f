// Types expressions (SPEC §3) and turns them into the plan's checked `Expr`. A node with an error
// yields null so one mistake is reported once, not again by every enclosing operator.
import { builtinMetrics, entityFields, entityNames, type EntityName } from '../plan/catalog.js';
import type { BinaryOp, Expr, Value } from '../plan/schema.js';
import { dec, plainDecimal } from '../money/index.js';
import type { ExprNode, LiteralNode, PathNode } from './ast.js';
import { closest, type DiagnosticBag } from './diagnostics.js';
import type { ExprScope } from './scope.js';
import {
  describeType, isCalendarDate, isKnownCurrency, isOrderable, knownCurrencies, normalizeTime, sameCurrency, sameType,
  typeOf, withCurrency, type Typed,
} from './types.js';

export function literalToValue(node: LiteralNode, bag: DiagnosticBag): Value | null {
  const v = node.value;
  switch (v.type) {
    case 'string': return { type: 'string', value: v.value };
    case 'number': return { type: 'number', value: v.value };
    case 'percent': return { type: 'percent', value: v.value };
    case 'bool': return { type: 'bool', value: v.value };
    case 'money':
      if (!isKnownCurrency(v.currency)) {
        bag.report('unknownCurrency', node.span, [v.currency], closest(v.currency, knownCurrencies()));
        return null;
      }
      return { type: 'money', value: { amount: v.amount, currency: v.currency } };
    case 'duration':
      if (/^0+(\.0+)?$/.test(v.amount)) {
        bag.report('badDuration', node.span);
        return null;
      }
      return { type: 'duration', value: { amount: v.amount, unit: v.unit } };
    case 'date':
      if (!isCalendarDate(v.value)) {
        bag.report('badDate', node.span, [v.value]);
        return null;
      }
      return { type: 'date', value: v.value };
    case 'time': {
      const time = normalizeTime(v.value);
      if (!time) {
        bag.report('badTime', node.span, [node.raw]);
        return null;
      }
      return { type: 'time', value: time };
    }
  }
}

function literalExpr(value: Value): Expr {
  const currency = value.type === 'money' ? value.value.currency : undefined;
  return withCurrency({ kind: 'literal' as const, type: value.type, value }, currency);
}

const fieldExample: Record<EntityName, string> = { rep: 'email', deal: 'amount', lead: 'email' };

function checkPath(node: PathNode, scope: ExprScope, bag: DiagnosticBag): Expr | null {
  const [head, field, ...rest] = node.parts;
  if (!head) return null;
  if (rest.length > 0) {
    bag.report('pathTooLong', node.span, [node.parts.map((p) => p.text).join('.')]);
    return null;
  }
  if (!field) {
    const name = head.text;
    if (name === 'attainment') {
      if (!scope.attainment) {
        bag.report('attainmentOutsideRule', node.span);
        return null;
      }
      return { kind: 'attainment', type: 'percent' };
    }
    const builtin = builtinMetrics[name];
    const custom = scope.customMetrics.get(name);
    if (builtin || custom) {
      if (!scope.metrics) {
        bag.report('metricNotAllowed', node.span, [name, scope.where]);
        return null;
      }
      if (custom) scope.usedMetrics.add(name);
      const type = builtin?.type ?? custom!.type;
      // Its declaration is reported already; any type said here would be a guess.
      if (type === null) return null;
      return withCurrency({ kind: 'metric' as const, type, name }, type === 'money' ? scope.currency : undefined);
    }
    if ((entityNames as readonly string[]).includes(name)) {
      bag.report('entityIsNotValue', node.span, [name, fieldExample[name as EntityName]]);
      return null;
    }
    const candidates = [...(scope.metrics ? [...Object.keys(builtinMetrics), ...scope.customMetrics.keys()] : [])];
    if (scope.attainment) candidates.push('attainment');
    bag.report('unknownName', node.span, [name], closest(name, candidates));
    return null;
  }
  const entity = head.text;
  if (!(entityNames as readonly string[]).includes(entity)) {
    bag.report('unknownEntity', head.span, [entity, scope.entities.join(', ')], closest(entity, scope.entities));
    return null;
  }
  if (!scope.entities.includes(entity as EntityName)) {
    bag.report('entityNotInScope', head.span, [entity, scope.where]);
    return null;
  }
  const fields = entityFields[entity as EntityName];
  const info = fields[field.text];
  if (!info) {
    const near = closest(field.text, Object.keys(fields));
    bag.report('unknownField', field.span, [entity, field.text], near ? `${entity}.${near}` : undefined);
    return null;
  }
  return { kind: 'field', type: info.type, entity: entity as EntityName, field: field.text };
}

/** `deal.stage = "wno"`: a string compared with a field whose values are a closed set. */
function checkClosedValue(field: Expr, valueNode: ExprNode, bag: DiagnosticBag): void {
  if (field.kind !== 'field' || valueNode.kind !== 'literal' || valueNode.value.type !== 'string') return;
  const values = entityFields[field.entity][field.field]?.values;
  if (!values || values.includes(valueNode.value.value)) return;
  const near = closest(valueNode.value.value, values);
  bag.report('unknownValue', valueNode.span, [valueNode.value.value, `${field.entity}.${field.field}`, values.join(', ')],
    near ? `"${near}"` : undefined);
}

const comparisonOps = new Set(['=', '!=', '<', '<=', '>', '>=']);

function arithmeticType(op: '+' | '-' | '*' | '/', a: Typed, b: Typed): Typed | 'currency' | null {
  const money = (currency: string | undefined): Typed => (currency ? { type: 'money', currency } : { type: 'money' });
  const scalar = (t: Typed): boolean => t.type === 'number' || t.type === 'percent';
  if (op === '+' || op === '-') {
    if (a.type === 'money' && b.type === 'money') return sameCurrency(a, b) ? money(a.currency ?? b.currency) : 'currency';
    if (a.type === 'number' && b.type === 'number') return { type: 'number' };
    if (a.type === 'percent' && b.type === 'percent') return { type: 'percent' };
    return null;
  }
  if (op === '*') {
    if (a.type === 'money' && scalar(b)) return money(a.currency);
    if (scalar(a) && b.type === 'money') return money(b.currency);
    if (a.type === 'percent' && b.type === 'number') return { type: 'percent' };
    if (scalar(a) && scalar(b)) return { type: 'number' };
    return null;
  }
  if (a.type === 'money' && b.type === 'money') return sameCurrency(a, b) ? { type: 'number' } : 'currency';
  if (a.type === 'money' && scalar(b)) return money(a.currency);
  if (a.type === 'percent' && b.type === 'number') return { type: 'percent' };
  if (scalar(a) && scalar(b)) return { type: 'number' };
  return null;
}

export function checkExpr(node: ExprNode, scope: ExprScope, bag: DiagnosticBag): Expr | null {
  switch (node.kind) {
    case 'error':
      return null;
    case 'paren':
      return checkExpr(node.inner, scope, bag);
    case 'literal': {
      const value = literalToValue(node, bag);
      return value ? literalExpr(value) : null;
    }
    case 'path':
      return checkPath(node, scope, bag);
    case 'not': {
      const operand = checkCondition(node.operand, scope, bag);
      return operand ? { kind: 'not', type: 'bool', operand } : null;
    }
    case 'neg': {
      const operand = checkExpr(node.operand, scope, bag);
      if (!operand) return null;
      if (operand.type !== 'number' && operand.type !== 'percent' && operand.type !== 'money') {
        // One operand: "cannot apply `-` to a string and nothing" read as if a second were missing.
        bag.report('typeMismatch', node.operand.span, ['a number, a percent or money after `-`', describeType(typeOf(operand))]);
        return null;
      }
      return withCurrency({ kind: 'neg' as const, type: operand.type, operand }, typeOf(operand).currency);
    }
    case 'in': {
      const operand = checkExpr(node.operand, scope, bag);
      const items = node.items.map((item) => checkExpr(item, scope, bag));
      if (!operand || items.some((i) => i === null)) return null;
      let ok = true;
      node.items.forEach((itemNode, index) => {
        const item = items[index]!;
        if (!sameType(typeOf(operand), typeOf(item))) {
          bag.report('mixedListTypes', itemNode.span, [describeType(typeOf(operand)), describeType(typeOf(item))]);
          ok = false;
        } else {
          checkClosedValue(operand, itemNode, bag);
        }
      });
      return ok ? { kind: 'in', type: 'bool', negated: node.negated, operand, items: items as Expr[] } : null;
    }
    case 'binary':
      return checkBinary(node, scope, bag);
  }
}

function checkBinary(node: Extract<ExprNode, { kind: 'binary' }>, scope: ExprScope, bag: DiagnosticBag): Expr | null {
  const op = node.op as BinaryOp;
  if (op === 'and' || op === 'or') {
    const left = checkCondition(node.left, scope, bag);
    const right = checkCondition(node.right, scope, bag);
    return left && right ? { kind: 'binary', type: 'bool', op, left, right } : null;
  }
  const left = checkExpr(node.left, scope, bag);
  const right = checkExpr(node.right, scope, bag);
  if (!left || !right) return null;
  const a = typeOf(left);
  const b = typeOf(right);
  if (comparisonOps.has(op)) {
    if (a.type === 'money' && b.type === 'money' && !sameCurrency(a, b)) {
      bag.report('currencyMismatch', node.span, [a.currency!, b.currency!]);
      return null;
    }
    if (!sameType(a, b)) {
      bag.report('compareTypes', node.span, [describeType(a), describeType(b)], bareNumberFix(node.left, b, scope, right) ?? bareNumberFix(node.right, a, scope, left));
      return null;
    }
    if (op !== '=' && op !== '!=' && !isOrderable(a.type)) {
      bag.report('orderingNotPossible', node.span, [describeType(a), op]);
      return null;
    }
    checkClosedValue(left, node.right, bag);
    checkClosedValue(right, node.left, bag);
    return { kind: 'binary', type: 'bool', op, left, right };
  }
  const result = arithmeticType(op as '+' | '-' | '*' | '/', a, b);
  if (result === 'currency') {
    bag.report('currencyMismatch', node.span, [a.currency!, b.currency!]);
    return null;
  }
  if (!result) {
    bag.report('operandTypes', node.span, [op, describeType(a), describeType(b)]);
    return null;
  }
  return withCurrency({ kind: 'binary' as const, type: result.type, op, left, right }, result.currency);
}

/** An expression that must be true/false: `where`, `when`, `if`. */
export function checkCondition(node: ExprNode, scope: ExprScope, bag: DiagnosticBag): Expr | null {
  const expr = checkExpr(node, scope, bag);
  if (expr && expr.type !== 'bool') {
    bag.report('notCondition', node.span, [describeType(typeOf(expr))]);
    return null;
  }
  return expr;
}

/**
 * `attainment < 40`, `revenue > 50000`: a bare number where the other side is a percent or money
 * is that number with the unit left out; offered with it (`40%`, `50000 EUR`). A fraction below 1
 * against a percent (`win_rate > 0.5`) is a share written as a fraction: 50%, not 0.5%; so is a
 * number up to 3 against attainment (`attainment >= 1.2`: 120%). A deal's
 * amount has no currency of its own here, so the rule's is offered (`deal.amount > 1000` → 1000 EUR);
 * a date written as a string (`rep.start_date >= "2026-01-01"`) is offered unquoted.
 */
function bareNumberFix(node: ExprNode, other: Typed, scope: ExprScope, otherExpr: Expr): string | undefined {
  if (node.kind !== 'literal') return undefined;
  if (node.value.type === 'string' && other.type === 'date' && isCalendarDate(node.value.value)) return node.value.value;
  if (node.value.type !== 'number') return undefined;
  const fraction = dec(node.value.value);
  // Attainment is spoken of as a multiple of quota too (`attainment >= 1.2`, "1.2x"): up to 3 it
  // is that, 120%; offering 1.2% would pay the bonus at 1.2% of target.
  const ratio = otherExpr.kind === 'attainment' ? fraction.gt(0) && fraction.lte(3) : fraction.gt(0) && fraction.lt(1);
  if (other.type === 'percent') return ratio ? `${plainDecimal(fraction.times(100))}%` : `${node.raw.trim()}%`;
  const currency = other.type === 'money' ? other.currency ?? scope.currency : undefined;
  // `revenue >= 100k`, `revenue >= 100,000` (SF1011, SF1012): offered as the amount meant, 100000 EUR, never 100 EUR.
  const written = /[a-zA-Z,]/.test(node.raw) ? node.value.value : node.raw.trim();
  if (currency) return `${written} ${currency}`;
  return undefined;
}
