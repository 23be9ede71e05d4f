// What the goal run's activities tell the rest of salesflow: each records its run as begun (the
// first activity of a new run, and any checkpoint of a run begun before runs were recorded, so a
// goal's daily pass stops trying to start it again), and each checkpoint tells the run the rep's
// zone now (a rep moved mid-period gets the next check-ins at the new zone's time).
// Real parts: a real SMTP server, a real SQLite file, the real activities in Temporal's activity context.
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GoalCheckpointOutcome } from '../../src/activities/goal.js';
import { createActivities, createMailer } from '../../src/activities/index.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { goalRunsStartedAmong } from '../../src/data/goal-runs.js';
import { upsertRep } from '../../src/data/reps.js';
import type { GoalCheckpoint } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { tempDir } from '../data/tmp.js';
import { startMailCatcher, type MailCatcher } from '../workflows/support/mail-catcher.js';
import { goalRule, template, to } from '../workflows/support/rules.js';

let db: Db;
let mail: MailCatcher;
let mailer: ReturnType<typeof createMailer>;
let activities: ReturnType<typeof createActivities>;
const rep = {
  id: 'r-rec', name: 'Rep Rec', email: 'rep-rec@acme.example', team: 'AEs', role: 'AE', region: 'EMEA',
  manager: null, timezone: 'Europe/Berlin', start_date: null,
};

beforeAll(async () => {
  db = await openDatabase(join(tempDir(), 'salesflow.db'));
  mail = await startMailCatcher();
  mailer = createMailer(mail.url);
  activities = createActivities({ db, mailer, config: { publicUrl: 'http://salesflow.test', secret: 'a-test-secret-of-16+' } });
  await upsertRep(db, rep);
});
afterAll(async () => {
  mailer?.close();
  await mail?.close();
  await db?.close();
});

const source = { file: 'rules/goals.rules', line: 1 };
const checkpoints: GoalCheckpoint[] = [
  { id: 'checkin', when: { kind: 'every', schedule: { days: ['monday'], at: '09:00' } }, condition: null, sends: [{ id: 'send-1', template: 'goal-checkin', to: [to.rep], source }] },
];
const rule = goalRule({ id: 'rec-goal', period: 'month', target: '60000', checkpoints, templates: [template('goal-checkin', 'Check-in {{progress.period}}', '{{progress.measure}}')] });

function checkin(period: string, occurrence: string): Promise<GoalCheckpointOutcome> {
  const request = {
    rule, repId: rep.id, period, workflowId: workflowIds.goal(rule.id, rep.id, period),
    checkpointId: 'checkin', occurrence, at: Date.parse(occurrence), timezone: 'Europe/Berlin',
  };
  return new MockActivityEnvironment({ currentAttemptScheduledTimestampMs: request.at }).run(activities.runGoalCheckpoint, request) as Promise<GoalCheckpointOutcome>;
}

test('a new run records itself in its first activity; a run begun before that (no row) is recorded at its next checkpoint', async () => {
  const started = () => goalRunsStartedAmong(db, [rule.id], '2026-03', [rep.id]);
  expect(await started()).toEqual(new Set());
  await new MockActivityEnvironment().run(activities.goalContext, { rule, repId: rep.id, period: '2026-03' });
  expect(await started()).toEqual(new Set([rep.id]));

  // April's run began under an earlier salesflow: its goalContext recorded nothing.
  expect(await goalRunsStartedAmong(db, [rule.id], '2026-04', [rep.id])).toEqual(new Set());
  await checkin('2026-04', '2026-04-06T07:00:00.000Z');
  expect(await goalRunsStartedAmong(db, [rule.id], '2026-04', [rep.id])).toEqual(new Set([rep.id]));
  expect(mail.to(rep.email).map((m) => m.subject)).toEqual(['Check-in 2026-04']);
});

test('each checkpoint tells the run the rep\'s zone now: the new one after a move, the rule\'s for one the tz database does not know', async () => {
  await upsertRep(db, { ...rep, timezone: 'America/Los_Angeles' });
  expect((await checkin('2026-05', '2026-05-04T07:00:00.000Z')).repZone).toBe('America/Los_Angeles');
  await upsertRep(db, { ...rep, timezone: 'Mars/Olympus_Mons' });
  expect((await checkin('2026-05', '2026-05-11T07:00:00.000Z')).repZone).toBe(rule.timezone);
});
