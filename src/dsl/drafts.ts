// A checked rule before compile adds what depends on the whole plan: the template texts, the
// custom metric definitions and the content hash.
import type { GoalRule, IncentiveRule, SequenceRule } from '../plan/schema.js';

type Computed = 'version' | 'templates' | 'metrics';
export type RuleDraft = Omit<GoalRule, Computed> | Omit<IncentiveRule, Computed> | Omit<SequenceRule, Computed>;

export interface CheckedRule {
  draft: RuleDraft;
  /** Template names the rule sends, in first-use order. */
  templates: string[];
  /** Custom metric names it reads (measure and conditions). */
  metrics: string[];
}
