// The terraform-like text of `salesflow plan` and `salesflow apply`: + added, ~ changed, - removed.
import { EARLIEST_ZONE } from '../workflows/calendar.js';
import type { GoalPeriodStart } from './goal-period-start.js';
import type { ScheduleChanges } from './schedules.js';
import { addedBesideRemovedGoals, renameConsequence } from './renames.js';
import { hasChanges, renamedFrom, startsPeriodUnderWay } from './schedules.js';

export function renderChanges(changes: ScheduleChanges, where: string): string {
  const total = changes.added.length + changes.changed.length + changes.unchanged.length;
  if (!hasChanges(changes)) {
    return `No changes. Temporal (${where}) has the ${total} schedule(s) the rules declare.\n`;
  }
  const lines = [`Schedule changes for Temporal (${where}):`, ''];
  for (const s of changes.added) {
    lines.push(`  + ${s.scheduleId}`, `      ${s.description}`);
    const previous = renamedFrom(changes, s);
    if (previous) {
      lines.push(`      renamed from "${previous.rule?.name}" (${previous.scheduleId}), otherwise the same rule: ${renameConsequence(previous.rule?.kind ?? '')}`);
    } else if (startsPeriodUnderWay(s, null)) {
      lines.push(`      and the ${s.goalPeriod} under way at once, for each matching rep`);
      const removedGoals = changes.removed.filter((r) => r.goalPeriod && !changes.renamed.some((n) => n.previous.scheduleId === r.scheduleId));
      if (removedGoals.length > 0) {
        lines.push(`      ${addedBesideRemovedGoals(s.ruleName, removedGoals.map((r) => r.memo?.ruleName ?? r.rule?.name ?? r.scheduleId))}`);
      }
    }
  }
  for (const { declared, existing } of changes.changed) {
    lines.push(`  ~ ${declared.scheduleId}`);
    const before = existing.memo;
    if (!before) {
      lines.push('      not made by this salesflow (no memo): replaced with', `      ${declared.description}`);
      if (startsPeriodUnderWay(declared, existing)) lines.push(periodUnderWay(declared.goalPeriod, existing.goalPeriod));
      continue;
    }
    if (before.description !== declared.description) {
      lines.push(`      - ${before.description}`, `      + ${declared.description}`);
    }
    if (before.ruleVersion !== declared.ruleVersion) {
      lines.push(`      rule "${declared.ruleName}" changed (version ${short(before.ruleVersion)} → ${short(declared.ruleVersion)}); runs already started keep theirs`);
    } else if (before.description === declared.description) {
      lines.push('      schedule settings changed');
    }
    if (existing.paused) lines.push('      (paused; stays paused)');
    if (startsPeriodUnderWay(declared, existing)) lines.push(periodUnderWay(declared.goalPeriod, existing.goalPeriod));
  }
  for (const s of changes.removed) {
    const renamedTo = changes.renamed.find((r) => r.previous.scheduleId === s.scheduleId)?.declared;
    const gone = renamedTo ? `renamed to "${renamedTo.ruleName}"` : 'no longer in the rules';
    lines.push(`  - ${s.scheduleId}`);
    lines.push(`      ${s.memo ? `${s.memo.description} (${gone})` : gone}`);
    // Removing a goal stops its schedule, not its runs (SPEC §10: apply never breaks what is in
    // flight): without a word, a team that dropped a goal is surprised by its next check-ins.
    if (s.goalPeriod) {
      lines.push(`      no later ${s.goalPeriod} starts; runs already started go on to their ${s.goalPeriod}'s end, its check-ins and review included`);
    }
  }
  lines.push('', summary(changes));
  return `${lines.join('\n')}\n`;
}

function periodUnderWay(now: string | null, before: string | null): string {
  const kept = before ? `; the ${before}'s runs already started finish as they began` : '';
  return `      and the ${now} under way at once, for each matching rep${kept}`;
}

/** What apply started besides schedules: the period under way of new and re-periodized goals. */
export function renderPeriodStarts(starts: GoalPeriodStart[]): string {
  return starts.map((s) => {
    if (s.underWayAt) return beforeUnderWay(s);
    if (s.outcome === 'already') return `Goal "${s.ruleName}" for the ${s.kind} under way (${s.period}) was already started: ${s.workflowId}\n`;
    if (s.matchingReps === 0) {
      return `Goal "${s.ruleName}": no rep in the data source matches its "for reps" and works in ${s.period}, so no run ` +
        `started for the ${s.kind} under way (${s.period}); a rep imported later gets the run at the schedule's next daily pass (00:00 ${EARLIEST_ZONE})\n`;
    }
    const reps = s.matchingReps === undefined ? '' : `, ${s.matchingReps} matching rep(s)`;
    return `Started goal "${s.ruleName}" for the ${s.kind} under way (${s.period})${reps}: ${s.workflowId}\n`;
  }).join('');
}

/** The period before, applied on its last day west of UTC+14: said for the reps still in it, silent when none is. */
function beforeUnderWay(s: GoalPeriodStart): string {
  const still = `the ${s.kind} still under way west of ${EARLIEST_ZONE} (${s.period})`;
  if (s.outcome === 'already') return `Goal "${s.ruleName}" for ${still} was already started: ${s.workflowId}\n`;
  if (s.matchingReps === 0) return '';
  const reps = s.matchingReps === undefined ? ', for the reps in whose zone it has not ended' : `, ${s.matchingReps} matching rep(s) in whose zone it has not ended`;
  return `Started goal "${s.ruleName}" also for ${still}${reps}: ${s.workflowId}\n`;
}

export function summary(changes: ScheduleChanges): string {
  return `Plan: ${changes.added.length} to add, ${changes.changed.length} to change, ` +
    `${changes.removed.length} to remove, ${changes.unchanged.length} unchanged.`;
}

function short(version: string): string {
  return version.length > 12 ? version.slice(0, 12) : version;
}
