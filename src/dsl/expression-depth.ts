// Expressions nested deeper than the rest of salesflow can follow. The checker, the formatter, the
// plan's schema and the evaluators all walk an expression recursively, so a generated condition of
// 2,000 `or`s (`deal.product = "p1" or deal.product = "p2" or ...`) ended `check` with "Maximum
// call stack size exceeded" and a stack trace. Found here, without recursion, right after parsing:
// one error at the expression, and the statement holding it is left alone like one with a syntax
// error.
import type { Span } from './ast.js';

/** Operators inside one another: `a or b or c` is 2. Far below what any stage fails at (about 800). */
export const MAX_EXPRESSION_DEPTH = 500;

const expressionKinds = new Set(['binary', 'not', 'neg', 'in', 'paren']);

/** The outermost expressions of `ast` nested more than `limit` operators deep, with their depth. */
export function tooDeepExpressions(ast: unknown, limit = MAX_EXPRESSION_DEPTH): { span: Span; depth: number }[] {
  const found = new Map<object, { span: Span; depth: number }>();
  // [value, operators above it in its expression, the outermost expression it is in]
  const stack: [unknown, number, { span: Span } | null][] = [[ast, 0, null]];
  while (stack.length > 0) {
    const [value, depth, root] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth, root]);
      continue;
    }
    const node = value as { kind?: unknown; span?: Span };
    const isExpression = typeof node.kind === 'string' && expressionKinds.has(node.kind) && node.span !== undefined;
    const outer = root ?? (isExpression ? (node as { span: Span }) : null);
    const level = isExpression ? depth + 1 : root ? depth : 0;
    if (isExpression && level > limit && outer) {
      const seen = found.get(outer);
      if (!seen || seen.depth < level) found.set(outer, { span: outer.span, depth: level });
    }
    for (const [key, child] of Object.entries(value)) {
      if (key !== 'span' && child !== null && typeof child === 'object') stack.push([child, level, outer]);
    }
  }
  return [...found.values()];
}
