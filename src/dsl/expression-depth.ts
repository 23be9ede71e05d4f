// Expressions nested deeper than the rest of salesflow can follow. The checker, the formatter, the
// plan's schema and the evaluators all walk an expression recursively, so a generated condition of
// 2,000 `or`s (`deal.product = "p1" or deal.product = "p2" or ...`) ended `check` with "Maximum
// call stack size exceeded" and a stack trace. Found here, without recursion, right after parsing:
// one error at the expression, and the statement holding it is left alone like one with a syntax
// error.
import type { IToken } from 'chevrotain';
import type { Span } from './ast.js';

/** Operators inside one another: `a or b or c` is 2. Far below what any stage fails at (about 800). */
export const MAX_EXPRESSION_DEPTH = 500;

const expressionKinds = new Set(['binary', 'not', 'neg', 'in', 'paren']);
const declarationWords = new Set(['settings', 'metric', 'goal', 'incentive', 'sequence']);
// Every expression node comes from one of these: binary operators, `not`, unary `-`, `in`, `(`.
const operatorImages = new Set(['or', 'and', 'not', 'in', '=', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '(']);

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

/**
 * The first token past `limit` parentheses inside one another, or `not` / `-` written one after
 * another: the parser itself recurses on those, and `((((...))))` 1,000 deep overflowed its stack
 * before any expression was built. Undefined for every file a person writes.
 */
export function tooDeeplyBracketed(tokens: readonly IToken[], limit = MAX_EXPRESSION_DEPTH): { token: IToken; depth: number } | undefined {
  let open = 0;
  let prefix = 0;
  for (const token of tokens) {
    const image = token.image;
    if (image === '(') open++;
    else if (image === ')') open = Math.max(0, open - 1);
    // A `(` never closed (a syntax error of its own) does not count on into the next declaration.
    else if (declarationWords.has(image)) open = 0;
    prefix = image === 'not' || image === '-' ? prefix + 1 : 0;
    if (open > limit || prefix > limit) return { token, depth: Math.max(open, prefix) };
  }
  return undefined;
}

/**
 * Whether some declaration has more than `limit` tokens that can start or join an operator, the
 * least an expression nested deeper than `limit` needs: almost never, so the AST is walked
 * (tooDeepExpressions) only then, and checking a large corpus costs one pass over its tokens.
 */
export function mayNestTooDeep(tokens: readonly IToken[], limit = MAX_EXPRESSION_DEPTH): boolean {
  let operators = 0;
  for (const token of tokens) {
    const image = token.image;
    if (declarationWords.has(image)) operators = 0;
    else if (operatorImages.has(image) && ++operators > limit) return true;
  }
  return false;
}
