// A rep whose `timezone` changes while their goal's period runs (moved from New York to Tokyo in
// the CRM): the run keeps the zone it started with to the period's end, also across a continue-as-new
// (docs/language.md "Whose clock"). Before, a run continued as new read the new zone and measured
// the rest of its period there: Tokyo's week had ended before the New York check-in it continued
// after, so the run found nothing left to do and the review was never sent.
// Time-skipping server, real SMTP catcher; January of next year on the server's clock.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertRep } from '../../src/data/reps.js';
import { periodContaining } from '../../src/payouts/period.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { GoalCheckpoint } from '../../src/plan/schema.js';
import { workflowIds, type GoalResult } from '../../src/workflows/api.js';
import { atLocalTime } from '../../src/workflows/calendar.js';
import { goalWorkflow } from '../../src/workflows/goal.js';
import { sleepTo, wallClock } from './support/clock.js';
import { startHarness, type Harness } from './support/harness.js';
import { goalRule, template, to } from './support/rules.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('goal-zone-change');
});
afterAll(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };
const checkpoints: GoalCheckpoint[] = [
  // Sunday 11:00 in New York is already Monday 01:00 in Tokyo, after Tokyo's week has ended.
  { id: 'sunday', when: { kind: 'every', schedule: { days: ['sunday'], at: '11:00' } }, condition: null, sends: [{ id: 'send-sunday', template: 'goal-checkin', to: [to.rep], source }] },
  { id: 'review', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-review', template: 'goal-review', to: [to.rep], source }] },
];
const rule = goalRule({
  id: 'weekly-zone', period: 'week', target: '10000', checkpoints,
  templates: [
    template('goal-checkin', 'Check-in {{progress.period}}', '{{progress.measure}} so far.'),
    template('goal-review', 'Review of {{progress.period}}', '{{progress.measure}} of {{progress.target}}.'),
  ],
});

test('a rep moved to another zone mid-week still gets the week\'s check-in and review on the clock the week began with, each once, across a continue-as-new', async () => {
  const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
  const week = periodContaining('week', `${year}-01-14`);
  const rep: RepRecord = {
    id: 'r-move', name: 'Rep Move', email: 'move@acme.example', team: 'AEs', role: 'AE', region: 'NA',
    manager: null, timezone: 'America/New_York', start_date: null,
  };
  await upsertRep(h.db, rep);
  await sleepTo(h, atLocalTime(week.start, '00:00', 'America/New_York') - 3_600_000);
  // One checkpoint per run: the run continues as new right after the Sunday check-in.
  const handle = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, rep.id, week.label), args: [{ rule, repId: rep.id, period: week.label, checkpointsPerRun: 1 }],
  });
  // Wednesday: the CRM now has the rep in Tokyo.
  await sleepTo(h, atLocalTime(week.start, '00:00', 'America/New_York') + 2.5 * 86_400_000);
  await upsertRep(h.db, { ...rep, timezone: 'Asia/Tokyo' });

  const result: GoalResult = await handle.result();
  expect(result.checkins.map((c) => c.checkpointId)).toEqual(['sunday', 'review']);
  const mails = h.mail.to(rep.email).map((m) => `${m.subject} @ ${wallClock(m.date, 'America/New_York')}`);
  expect(mails).toEqual([
    `Check-in ${week.label} @ Sunday ${week.end} 11:00`,
    `Review of ${week.label} @ ${wallClock(atLocalTime(week.end, '00:00', 'America/New_York') + 86_400_000, 'America/New_York')}`,
  ]);
  const first = await h.testEnv.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
  expect(first.status.name).toBe('CONTINUED_AS_NEW');
});
