// Which sequence subjects an event concerns (SPEC §5 sequence): the rules that decide where a stop
// event is delivered. Pure over a small lookup, so the routing can be reasoned about without Temporal.
import type { CrmEvent } from '../events/schema.js';
import type { DealRecord, LeadRecord } from '../plan/records.js';
import { workflowIds } from '../workflows/api.js';
import { type StopRule, stopScope } from './stop-rules.js';

/** The lookups routing needs from the data source. */
export interface SubjectLookup {
  leadsByEmail(email: string): LeadRecord[];
  dealsByContact(email: string): DealRecord[];
}

export type EventEntity = { kind: 'lead'; lead: LeadRecord } | { kind: 'deal'; deal: DealRecord };

/**
 * Lead subjects: the same lead id, or for deal events every lead whose email is the deal's contact.
 * Deal subjects: the same deal id, or for lead events every deal whose contact is the lead's email.
 * Rep subjects (scheduled sequences) are never concerned by CRM events: no event names a rep.
 */
export function concernedSubjectIds(rule: { subject: string }, entity: EventEntity, lookup: SubjectLookup): string[] {
  const ids = new Set<string>();
  if (rule.subject === 'lead') {
    if (entity.kind === 'lead') ids.add(entity.lead.id);
    else if (entity.deal.contact) lookup.leadsByEmail(entity.deal.contact).forEach((l) => ids.add(l.id));
  } else if (rule.subject === 'deal') {
    if (entity.kind === 'deal') ids.add(entity.deal.id);
    else lookup.dealsByContact(entity.lead.email).forEach((d) => ids.add(d.id));
  }
  return [...ids].sort();
}

/** A run a stop event must reach; `byVersion`: only if the version it started with stops on the event. */
export interface StopTarget {
  workflowId: string;
  rule: StopRule;
  byVersion: boolean;
}

/**
 * Deterministic ids of the runs a stop event must reach: no visibility query needed. `entity` is
 * the event's lead or deal as the data source holds it after the event (its contact or email the
 * newest taken), not necessarily as the event carried it.
 */
export function stopTargets(rules: StopRule[], eventType: CrmEvent['type'], entity: EventEntity, lookup: SubjectLookup): StopTarget[] {
  const targets: StopTarget[] = [];
  for (const rule of rules) {
    const scope = stopScope(rule, eventType);
    if (scope === 'none') continue;
    for (const id of concernedSubjectIds(rule, entity, lookup)) {
      targets.push({ workflowId: workflowIds.sequence(rule.id, rule.subject, id), rule, byVersion: scope === 'some' });
    }
  }
  return targets;
}
