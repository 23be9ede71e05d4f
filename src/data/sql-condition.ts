// Translates a checked plan condition over deal (and rep) fields into an SQL boolean expression
// (the same text for SQLite and PostgreSQL: TRUE/FALSE, IS DISTINCT FROM)
// that means exactly what src/plan/evaluate.ts means, so metrics can be computed by SQL in one
// grouped scan. What cannot be translated faithfully (metrics, attainment, arithmetic) returns
// null and the caller evaluates rows in JS instead.
//
// Two-valued logic on purpose: the evaluator treats an unknown (null) field as "not matching"
// (and `!=` a literal as matching), while SQL would give NULL and `NOT NULL` stays NULL. Every
// comparison is therefore wrapped so it yields true or false, never NULL.
import { entityFields } from '../plan/catalog.js';
import type { BinaryOp, Expr } from '../plan/schema.js';
import { toMicros } from './micros.js';

export interface SqlCondition {
  sql: string;
  /** The condition reads rep fields: the query must join `reps r ON r.id = d.rep`. */
  needsRep: boolean;
  /** The condition reads deal fields (so it cannot run over `reps r` alone). */
  usesDeal: boolean;
}

type Operand =
  | { kind: 'text'; sql: string; nullable: boolean }
  | { kind: 'money'; micros: string; currency: string; nullable: boolean };

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

const COMPARISONS = new Set<BinaryOp>(['=', '!=', '<', '<=', '>', '>=']);

class Untranslatable extends Error {}

interface Uses { rep: boolean; deal: boolean }

function operand(expr: Expr, uses: Uses): Operand {
  if (expr.kind === 'field') {
    const info = entityFields[expr.entity]?.[expr.field];
    if (!info || (expr.entity !== 'deal' && expr.entity !== 'rep')) throw new Untranslatable();
    if (expr.entity === 'rep') uses.rep = true;
    else uses.deal = true;
    const alias = expr.entity === 'deal' ? 'd' : 'r';
    if (info.type === 'money') {
      return { kind: 'money', micros: `${alias}.amount_micros`, currency: `${alias}.currency`, nullable: false };
    }
    if (info.type !== 'string' && info.type !== 'date') throw new Untranslatable();
    const notNull = expr.entity === 'deal' && ['id', 'rep', 'stage'].includes(expr.field);
    return { kind: 'text', sql: `${alias}."${expr.field}"`, nullable: !notNull };
  }
  if (expr.kind === 'literal') {
    const v = expr.value;
    if (v.type === 'string' || v.type === 'date') return { kind: 'text', sql: quote(v.value), nullable: false };
    if (v.type === 'money') {
      const micros = toMicros(v.value.amount);
      if (!micros.ok) throw new Untranslatable();
      return { kind: 'money', micros: micros.micros.toString(), currency: quote(v.value.currency), nullable: false };
    }
  }
  throw new Untranslatable();
}

function comparison(op: BinaryOp, left: Operand, right: Operand): string {
  const sqlOp = op;
  if (left.kind === 'money' && right.kind === 'money') {
    // Money in another currency never compares (evaluate.ts): not equal, not less, not more.
    return `(${left.currency} = ${right.currency} AND ${left.micros} ${sqlOp} ${right.micros})`;
  }
  if (left.kind !== 'text' || right.kind !== 'text') throw new Untranslatable();
  if (op === '!=') {
    // evaluate: null vs a value is "different"; null vs null is not.
    return `(${left.sql} IS DISTINCT FROM ${right.sql})`;
  }
  const plain = `${left.sql} ${sqlOp} ${right.sql}`;
  return left.nullable || right.nullable ? `COALESCE(${plain}, FALSE)` : `(${plain})`;
}

function condition(expr: Expr, uses: Uses): string {
  switch (expr.kind) {
    case 'literal':
      if (expr.value.type === 'bool') return expr.value.value ? 'TRUE' : 'FALSE';
      throw new Untranslatable();
    case 'not':
      return `(NOT ${condition(expr.operand, uses)})`;
    case 'in': {
      const subject = operand(expr.operand, uses);
      if (subject.kind !== 'text') throw new Untranslatable();
      const items = expr.items.map((item) => {
        const o = operand(item, uses);
        if (o.kind !== 'text') throw new Untranslatable();
        return o.sql;
      });
      if (items.length === 0) return expr.negated ? 'TRUE' : 'FALSE';
      const list = items.join(', ');
      return expr.negated
        ? `(${subject.sql} IS NULL OR ${subject.sql} NOT IN (${list}))`
        : `(${subject.sql} IS NOT NULL AND ${subject.sql} IN (${list}))`;
    }
    case 'binary': {
      if (expr.op === 'and' || expr.op === 'or') {
        return `(${condition(expr.left, uses)} ${expr.op.toUpperCase()} ${condition(expr.right, uses)})`;
      }
      if (!COMPARISONS.has(expr.op)) throw new Untranslatable();
      return comparison(expr.op, operand(expr.left, uses), operand(expr.right, uses));
    }
    default:
      throw new Untranslatable();
  }
}

/** SQL for a condition over `deals d` (and `reps r`), or null when only JS can evaluate it. */
export function conditionToSql(expr: Expr | null): SqlCondition | null {
  if (!expr) return { sql: 'TRUE', needsRep: false, usesDeal: false };
  const uses: Uses = { rep: false, deal: false };
  try {
    return { sql: condition(expr, uses), needsRep: uses.rep, usesDeal: uses.deal };
  } catch (err) {
    if (err instanceof Untranslatable) return null;
    throw err;
  }
}
