// Activity of the dispatch workflow: the reps a scheduled run fans out to, a page at a time in id
// order (so a dispatch over many reps can continue as new between pages).
import { findRepsWhere } from '../data/reps.js';
import { statementWindow } from '../payouts/facts.js';
import type { RepRecord } from '../plan/records.js';
import type { Rule } from '../plan/schema.js';
import type { ActivityDeps } from './deps.js';

export interface DispatchPage {
  reps: RepRecord[];
  /** Set when the rule does not apply to the period at all. */
  note: string | null;
}

function repCondition(rule: Rule) {
  if (rule.kind === 'sequence') return rule.trigger.kind === 'schedule' ? rule.trigger.reps : null;
  return rule.reps;
}

export function dispatchActivities(deps: ActivityDeps) {
  return {
    async dispatchReps(input: { rule: Rule; period: string | null; afterRepId: string; limit: number }): Promise<DispatchPage> {
      const { rule } = input;
      if (rule.kind === 'incentive' && input.period) {
        const span = statementWindow(rule, input.period);
        if (!span.ok) return { reps: [], note: span.message };
      }
      const reps = findRepsWhere(deps.db, repCondition(rule)).filter((r) => r.id > input.afterRepId);
      return { reps: reps.slice(0, input.limit), note: null };
    },
  };
}
