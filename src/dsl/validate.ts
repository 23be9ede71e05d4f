// Validates a compiled plan against the zod schema before anyone sees it. Loaded lazily: zod is
// only needed when a plan is handed out, not for `salesflow check`.
import { Plan } from '../plan/schema.js';
import type { DiagnosticBag } from './diagnostics.js';

export function validatePlan(plan: unknown, bag: DiagnosticBag, file: string): Plan | null {
  const result = Plan.safeParse(plan);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const detail = issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown';
  bag.report('invalidPlan', { file, line: 1, col: 1, endLine: 1, endCol: 1 }, [detail]);
  return null;
}
