// A rep moved to another zone mid-period (the CRM now has them in Los Angeles, or Tokyo): the rest
// of the period's `every day at 09:00` check-ins come at 09:00 in the new zone, from the one after
// the move was first seen, never twice on one local day; the period and its review stay on the clock
// the period began with (docs/language.md "Whose clock"). Before, every check-in of the period kept
// the old zone's 09:00: midnight in Los Angeles for the rest of the week (or quarter).
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
  h = await startHarness('goal-zone-move-checkins');
});
afterAll(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };
const checkpoints: GoalCheckpoint[] = [
  { id: 'daily', when: { kind: 'every', schedule: { days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'], at: '09:00' } }, condition: null, sends: [{ id: 'send-daily', template: 'goal-checkin', to: [to.rep], source }] },
  { id: 'review', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-review', template: 'goal-review', to: [to.rep], source }] },
];
const rule = goalRule({
  id: 'weekly-move', period: 'week', target: '10000', checkpoints,
  templates: [
    template('goal-checkin', 'Check-in {{progress.period}}', '{{progress.measure}} so far.'),
    template('goal-review', 'Review of {{progress.period}}', '{{progress.measure}} of {{progress.target}}.'),
  ],
});

/** A rep in Berlin whose week's run is under way when the CRM moves them to `zone` on Wednesday at 12:00 Berlin. */
async function movedMidWeek(id: string, zone: string, weeksAhead: number) {
  const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
  const week = periodContaining('week', `${year}-01-${String(7 * weeksAhead).padStart(2, '0')}`);
  const rep: RepRecord = {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'AEs', role: 'AE', region: 'EMEA', manager: null, timezone: 'Europe/Berlin', start_date: null,
  };
  await upsertRep(h.db, rep);
  const monday = atLocalTime(week.start, '00:00', 'Europe/Berlin');
  await sleepTo(h, monday - 3_600_000);
  const handle = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, id, week.label), args: [{ rule, repId: id, period: week.label, checkpointsPerRun: 3 }],
  });
  await sleepTo(h, monday + 2.5 * 86_400_000);
  await upsertRep(h.db, { ...rep, timezone: zone });
  const result: GoalResult = await handle.result();
  // Each check-in's nominal time (its `due`), as a clock in `in` reads it.
  const due = (inZone: string) => result.checkins.map((c) => `${c.checkpointId} ${wallClock(Date.parse(c.due!), inZone)}`);
  const days = (from: number, count: number) => Array.from({ length: count }, (_, i) => wallClock(monday + (from + i + 0.5) * 86_400_000, 'UTC').slice(0, -6));
  const review = monday + 7 * 86_400_000;
  return { week, due, days, review, mails: () => h.mail.to(rep.email).map((m) => m.subject) };
}

test('moved from Berlin to Los Angeles on Wednesday: Thursday\'s check-in still at 09:00 Berlin (it was waiting), from Friday on 09:00 in Los Angeles, not twice on Thursday; the review at Berlin\'s midnight', async () => {
  const { week, due, days, review, mails } = await movedMidWeek('west', 'America/Los_Angeles', 2);
  expect(due('Europe/Berlin').slice(0, 4)).toEqual(days(0, 4).map((d) => `daily ${d} 09:00`));
  expect(due('America/Los_Angeles').slice(4)).toEqual([...days(4, 3).map((d) => `daily ${d} 09:00`), `review ${wallClock(review, 'America/Los_Angeles')}`]);
  expect(due('Europe/Berlin').at(-1)).toBe(`review ${wallClock(review, 'Europe/Berlin')}`);
  expect(mails()).toEqual([...Array(7).fill(`Check-in ${week.label}`), `Review of ${week.label}`]);
});

test('moved from Berlin to Tokyo on Wednesday: from Friday on 09:00 in Tokyo (Sunday\'s is 01:00 in Berlin, inside the week); the review at Berlin\'s midnight', async () => {
  const { week, due, days, review, mails } = await movedMidWeek('east', 'Asia/Tokyo', 3);
  expect(due('Europe/Berlin').slice(0, 4)).toEqual(days(0, 4).map((d) => `daily ${d} 09:00`));
  expect(due('Asia/Tokyo').slice(4)).toEqual([...days(4, 3).map((d) => `daily ${d} 09:00`), `review ${wallClock(review, 'Asia/Tokyo')}`]);
  expect(mails()).toEqual([...Array(7).fill(`Check-in ${week.label}`), `Review of ${week.label}`]);
});
