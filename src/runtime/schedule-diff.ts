// The terraform-like text of `salesflow plan` and `salesflow apply`: + added, ~ changed, - removed.
import type { ScheduleChanges } from './schedules.js';
import { hasChanges } from './schedules.js';

export function renderChanges(changes: ScheduleChanges, where: string): string {
  const total = changes.added.length + changes.changed.length + changes.unchanged.length;
  if (!hasChanges(changes)) {
    return `No changes. Temporal (${where}) has the ${total} schedule(s) the rules declare.\n`;
  }
  const lines = [`Schedule changes for Temporal (${where}):`, ''];
  for (const s of changes.added) {
    lines.push(`  + ${s.scheduleId}`, `      ${s.description}`);
    if (s.triggersOnCreate) lines.push('      and once now, for the period under way');
  }
  for (const { declared, existing } of changes.changed) {
    lines.push(`  ~ ${declared.scheduleId}`);
    const before = existing.memo;
    if (!before) {
      lines.push('      not made by this salesflow (no memo): replaced with', `      ${declared.description}`);
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
  }
  for (const s of changes.removed) {
    lines.push(`  - ${s.scheduleId}`);
    lines.push(`      ${s.memo ? `${s.memo.description} (no longer in the rules)` : 'no longer in the rules'}`);
  }
  lines.push('', summary(changes));
  return `${lines.join('\n')}\n`;
}

export function summary(changes: ScheduleChanges): string {
  return `Plan: ${changes.added.length} to add, ${changes.changed.length} to change, ` +
    `${changes.removed.length} to remove, ${changes.unchanged.length} unchanged.`;
}

function short(version: string): string {
  return version.length > 12 ? version.slice(0, 12) : version;
}
