// A rep moved out of a goal's `for reps where` mid-period (an SDR who became an AE on Wednesday):
// no more check-ins or at-risk alerts about the goal they left, as for a rep who has left the
// company; the review of the week they were in still goes out. Before, the SDR goal kept mailing
// them to the period's end, a quarter's worth for a quarterly goal, beside their new team's goal.
// Time-skipping server, real SMTP catcher; a January week of next year on the server's clock.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertRep } from '../../src/data/reps.js';
import { periodContaining } from '../../src/payouts/period.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { GoalCheckpoint, GoalRule } from '../../src/plan/schema.js';
import { workflowIds, type GoalResult } from '../../src/workflows/api.js';
import { atLocalTime } from '../../src/workflows/calendar.js';
import { goalWorkflow } from '../../src/workflows/goal.js';
import { sleepTo, wallClock } from './support/clock.js';
import { startHarness, type Harness } from './support/harness.js';
import { attainmentBelow, goalRule, template, to } from './support/rules.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('goal-rep-moved');
});
afterAll(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };
const checkpoints: GoalCheckpoint[] = [
  { id: 'checkin', when: { kind: 'every', schedule: { days: ['monday', 'thursday'], at: '09:00' } }, condition: null, sends: [{ id: 'send-checkin', template: 'goal-checkin', to: [to.rep], source }] },
  { id: 'at-risk', when: { kind: 'fraction', percent: '50' }, condition: attainmentBelow(40), sends: [{ id: 'send-risk', template: 'goal-at-risk', to: [to.repManager], source }] },
  { id: 'review', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-review', template: 'goal-review', to: [to.rep], source }] },
];
const rule: GoalRule = {
  ...goalRule({
    id: 'sdr-meetings', period: 'week', target: '10000', checkpoints,
    templates: [
      template('goal-checkin', 'Check-in {{progress.period}}', 'x'),
      template('goal-at-risk', 'At risk {{rep.name}}', 'x'),
      template('goal-review', 'Review of {{progress.period}}', 'x'),
    ],
  }),
  reps: { kind: 'binary', type: 'bool', op: '=', left: { kind: 'field', type: 'string', entity: 'rep', field: 'team' }, right: { kind: 'literal', type: 'string', value: { type: 'string', value: 'SDRs' } } },
};

test('a rep moved to another team on Wednesday gets Monday\'s check-in, then no check-in or alert of the old team\'s goal; the week\'s review still comes', async () => {
  const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
  const week = periodContaining('week', `${year}-01-14`);
  const rep: RepRecord = {
    id: 'r-sdr', name: 'Sam', email: 'sam@acme.example', team: 'SDRs', role: 'SDR', region: 'EMEA',
    manager: 'sdr-lead@acme.example', timezone: 'Europe/Berlin', start_date: null,
  };
  await upsertRep(h.db, rep);
  const monday = atLocalTime(week.start, '00:00', 'Europe/Berlin');
  await sleepTo(h, monday - 3_600_000);
  const handle = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, rep.id, week.label), args: [{ rule, repId: rep.id, period: week.label }],
  });
  await sleepTo(h, monday + 2 * 86_400_000 + 10 * 3_600_000); // Wednesday 10:00 in Berlin
  expect(h.mail.to(rep.email).map((m) => m.subject)).toEqual([`Check-in ${week.label}`]);
  await upsertRep(h.db, { ...rep, team: 'AEs', role: 'AE' });

  const result: GoalResult = await handle.result();
  expect(h.mail.to(rep.email).map((m) => `${m.subject} @ ${wallClock(m.date, 'Europe/Berlin')}`)).toEqual([
    `Check-in ${week.label} @ Monday ${week.start} 09:00`,
    `Review of ${week.label} @ ${wallClock(atLocalTime(week.end, '00:00', 'Europe/Berlin') + 86_400_000, 'Europe/Berlin')}`,
  ]);
  // Nothing to the manager: the at-risk point (Thursday 12:00) came after the move.
  expect(h.mail.to(rep.manager!)).toEqual([]);
  expect(result.checkins.filter((c) => c.sentTo.length > 0).map((c) => c.checkpointId)).toEqual(['checkin', 'review']);
});
