// What an expression may name at a given place in a rule: which entities, whether metrics and
// `attainment` exist there, and the currency money metrics are counted in.
import type { EntityName } from '../plan/catalog.js';

export interface CustomMetricInfo {
  name: string;
  /** null: its declaration has a syntax error before its aggregate; uses of it are not type-checked. */
  type: 'money' | 'number' | null;
  /** sum and count add up over a period's days; avg, min and max do not. */
  aggregate?: 'sum' | 'count' | 'avg' | 'min' | 'max';
}

export interface ExprScope {
  entities: readonly EntityName[];
  /** For messages: "a sequence about a lead", "a metric's where". */
  where: string;
  /** Metrics (built-in and custom) and `attainment` are per rep and period: goals and incentives only. */
  metrics: boolean;
  attainment: boolean;
  /** Currency of money metrics here (the rule's target or settings currency). */
  currency: string | undefined;
  customMetrics: ReadonlyMap<string, CustomMetricInfo>;
  /** Custom metrics named so far, so each rule carries the definitions it needs. */
  usedMetrics: Set<string>;
}
