// Prints an expression in canonical spacing. Used by the formatter and for the human descriptions
// of statement lines ("bonus when deals_won >= 10"), so both read the same.
import type { ExprNode, RecipientNode } from './ast.js';
import { canonicalLiteral } from './literals.js';

export function printExpr(node: ExprNode): string {
  switch (node.kind) {
    case 'literal': return canonicalLiteral(node.value, node.raw);
    case 'path': return node.parts.map((p) => p.text).join('.');
    case 'paren': return `(${printExpr(node.inner)})`;
    case 'not': return `not ${printExpr(node.operand)}`;
    case 'neg': return `-${printExpr(node.operand)}`;
    case 'in': return `${printExpr(node.operand)} ${node.negated ? 'not in' : 'in'} [${node.items.map(printExpr).join(', ')}]`;
    case 'binary': return `${printExpr(node.left)} ${node.op} ${printExpr(node.right)}`;
    case 'error': return '';
  }
}

export function printRecipient(node: RecipientNode): string {
  return node.kind === 'address' ? node.value.raw : node.parts.map((p) => p.text).join('.');
}
