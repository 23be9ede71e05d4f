// The demo's goal emails (rules/templates, used by `salesflow dev` and copied by new projects) as a
// rep and their manager read them: what they promise must be true for every goal that sends them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { compileSources } from '../../src/dsl/index.js';
import type { GoalRule } from '../../src/plan/schema.js';
import { renderTemplate, type TemplateScope } from '../../src/templates/index.js';
import { exampleTemplates, root } from '../dsl/helpers.js';

async function demoGoals(): Promise<Map<string, GoalRule>> {
  const rules = ['goals.rules', 'metrics.rules'].map((f) => ({ path: `rules/${f}`, text: readFileSync(join(root, 'rules', f), 'utf8') }));
  const { plan } = await compileSources({ rules, templates: exampleTemplates });
  return new Map(plan!.rules.filter((r): r is GoalRule => r.kind === 'goal').map((r) => [r.name, r]));
}

const scope = (goal: GoalRule): TemplateScope => ({
  rep: { id: 'r-jonas', name: 'Jonas Berg', email: 'jonas.berg@acme.example', team: 'EMEA SDRs', role: 'SDR', manager: 'maria.keller@acme.example' },
  goal: { name: goal.name, metric: goal.measure.metric, period: goal.period },
  progress: {
    period: '2026-11', period_start: '2026-11-01', period_end: '2026-11-30', measure: '2', target: '6',
    attainment: '33.33%', remaining: '4', days_left: '12', warnings: '',
  },
});

it('a check-in says neither "weekly" to a rep checked in twice a week nor that their manager reads replies sent to sales ops', async () => {
  const sdr = (await demoGoals()).get('SDR monthly wins')!;
  const mail = renderTemplate(sdr.templates['goal-checkin'], scope(sdr));
  expect(mail.text).not.toMatch(/weekly/i);
  expect(mail.text).not.toContain('your manager reads along');
  expect(mail.text).toContain('If anything blocks you, tell your manager.');
});

it('the review, sent to rep and manager alike, reads right to both: about the rep, not "Hi <rep>" and "your manager"', async () => {
  const q4 = (await demoGoals()).get('Q4 new business')!;
  const mail = renderTemplate(q4.templates['goal-review'], scope(q4));
  expect(mail.subject).toContain('Jonas Berg');
  expect(mail.text).not.toContain('Hi Jonas Berg');
  expect(mail.text).not.toContain('your manager');
  expect(mail.text).toContain('Result of Jonas Berg for "Q4 new business"');
});
