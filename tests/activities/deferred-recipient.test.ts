// One recipient of a send step that the relay turns away for now (451: a full mailbox) does not
// hold up the others: in the same attempt every other recipient gets the email and is recorded
// sent, the attempt then fails (Temporal retries it) for the deferred one only, and the retry
// mails nobody twice. Real parts: a real SMTP server answering 451 for one address, a real SQLite
// file, the real activities in Temporal's activity context.
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createActivities, createMailer } from '../../src/activities/index.js';
import type { PreparedPayout } from '../../src/activities/payout.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { upsertDeal } from '../../src/data/deals.js';
import { listOutbox } from '../../src/data/outbox.js';
import { upsertRep } from '../../src/data/reps.js';
import type { GoalCheckpoint } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { tempDir } from '../data/tmp.js';
import { startMailCatcher, type MailCatcher } from '../workflows/support/mail-catcher.js';
import { goalRule, template, to } from '../workflows/support/rules.js';

let db: Db;
let mail: MailCatcher;
let mailer: ReturnType<typeof createMailer>;
let activities: ReturnType<typeof createActivities>;
const rep = {
  id: 'r-team', name: 'Rep Team', email: 'rep-team@acme.example', team: 'AEs', role: 'AE', region: 'EMEA',
  manager: 'full-mailbox@acme.example', timezone: 'Europe/Berlin', start_date: null,
};

beforeAll(async () => {
  db = await openDatabase(join(tempDir(), 'salesflow.db'));
  mail = await startMailCatcher();
  mailer = createMailer(mail.url);
  activities = createActivities({ db, mailer, config: { publicUrl: 'http://salesflow.test', secret: 'a-test-secret-of-16+' } });
  await upsertRep(db, rep);
  await upsertDeal(db, {
    id: 'team-d1', rep: rep.id, name: 'Deal', amount: '1000', currency: 'EUR', stage: 'won', product: 'Core',
    type: 'new', source: null, closed_at: '2026-03-02', contact: null,
  });
});
afterAll(async () => {
  mailer?.close();
  await mail?.close();
  await db?.close();
});

const statuses = async (address: string) => (await listOutbox(db, { to: address })).map((r) => r.status);

test('a goal check-in to manager and rep: the deferred manager does not hold up the rep\'s email', async () => {
  mail.defer.add(rep.manager);
  const source = { file: 'rules/goals.rules', line: 1 };
  const checkpoints: GoalCheckpoint[] = [
    { id: 'checkin', when: { kind: 'every', schedule: { days: ['monday'], at: '09:00' } }, condition: null, sends: [{ id: 'send-1', template: 'goal-checkin', to: [to.repManager, to.rep], source }] },
  ];
  const rule = goalRule({ id: 'team-goal', period: 'month', target: '120000', checkpoints, templates: [template('goal-checkin', 'Progress: {{progress.attainment}}', 'Keep going.')] });
  const request = {
    rule, repId: rep.id, period: '2026-03', workflowId: workflowIds.goal(rule.id, rep.id, '2026-03'),
    checkpointId: 'checkin', occurrence: '2026-03-02T08:00:00.000Z', at: Date.parse('2026-03-02T08:00:00.000Z'),
  };
  // The attempt runs right at the check-in's time: the deferred manager is retried, not given up.
  const attempt = () => new MockActivityEnvironment({ currentAttemptScheduledTimestampMs: request.at }).run(activities.runGoalCheckpoint, request);

  await expect(attempt()).rejects.toThrow(/451/);
  expect(mail.to(rep.email).map((m) => m.subject)).toEqual(['Progress: 0.83%']);
  expect(await statuses(rep.email)).toEqual(['sent']);
  expect(await statuses(rep.manager)).toEqual(['pending']);

  // The relay takes the manager's mail again: the retry sends it, and the rep's email not twice.
  mail.defer.delete(rep.manager);
  expect(await attempt()).toMatchObject({ conditionHeld: true, sentTo: [rep.manager, rep.email] });
  expect(mail.to(rep.email)).toHaveLength(1);
  expect(mail.to(rep.manager)).toHaveLength(1);
});

test('a rejection notice to rep and manager: the deferred rep does not hold up the manager\'s notice', async () => {
  const deferredRep = { ...rep, id: 'r-full', email: 'full-rep@acme.example', manager: 'boss@acme.example' };
  await upsertRep(db, deferredRep);
  mail.defer.add(deferredRep.email);
  const rule = specRule({
    approval: { approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' }, within: { amount: '5', unit: 'days' }, escalations: [], otherwise: 'reject' },
  });
  const ref = { rule, repId: deferredRep.id, period: '2026-Q1', workflowId: workflowIds.payout(rule.id, deferredRep.id, '2026-Q1') };
  const { statement } = (await new MockActivityEnvironment().run(activities.preparePayout, ref)) as PreparedPayout;
  const notify = () => new MockActivityEnvironment().run(activities.notifyPayoutOutcome, {
    ...ref, at: Date.now(), statement, reason: 'numbers look off',
    decision: { outcome: 'rejected' as const, decidedBy: 'boss@acme.example', decidedAt: new Date().toISOString() },
  });

  await expect(notify()).rejects.toThrow(/451/);
  expect(mail.to('boss@acme.example')).toHaveLength(1);
  expect(await statuses('boss@acme.example')).toEqual(['sent']);
  expect(await statuses(deferredRep.email)).toEqual(['pending']);

  mail.defer.delete(deferredRep.email);
  await notify();
  expect(mail.to('boss@acme.example')).toHaveLength(1);
  expect(mail.to(deferredRep.email)).toHaveLength(1);
});

test('a goal email still deferred shortly before the run\'s next checkpoint is given up: recorded failed with the reason, never sent late', async () => {
  const deferredManager = { ...rep, id: 'r-late', email: 'rep-late@acme.example', manager: 'late-mailbox@acme.example' };
  await upsertRep(db, deferredManager);
  mail.defer.add(deferredManager.manager);
  const source = { file: 'rules/goals.rules', line: 1 };
  const checkpoints: GoalCheckpoint[] = [
    { id: 'checkin', when: { kind: 'every', schedule: { days: ['monday'], at: '09:00' } }, condition: null, sends: [{ id: 'send-1', template: 'goal-checkin', to: [to.rep, to.repManager], source }] },
    { id: 'review', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-2', template: 'goal-checkin', to: [to.repManager], source }] },
  ];
  const rule = goalRule({ id: 'late-goal', period: 'month', target: '120000', checkpoints, templates: [template('goal-checkin', 'Progress: {{progress.attainment}}', 'Keep going.')] });
  const run = (checkpointId: string, occurrence: string, attemptAt: number) => new MockActivityEnvironment({ currentAttemptScheduledTimestampMs: attemptAt }).run(activities.runGoalCheckpoint, {
    rule, repId: deferredManager.id, period: '2026-03', workflowId: workflowIds.goal(rule.id, deferredManager.id, '2026-03'),
    checkpointId, occurrence, at: Date.parse(occurrence),
  });
  const MINUTE = 60_000;
  // Monday 2 March 09:00 in Berlin; the next check-in is Monday 9 March 09:00 (08:00 UTC).
  const nextCheckin = Date.parse('2026-03-09T08:00:00.000Z');
  await expect(run('checkin', '2026-03-02T08:00:00.000Z', nextCheckin - 21 * MINUTE)).rejects.toThrow(/451/);
  expect(await run('checkin', '2026-03-02T08:00:00.000Z', nextCheckin - 20 * MINUTE)).toMatchObject({ sentTo: [deferredManager.email] });
  const [row] = await listOutbox(db, { to: deferredManager.manager });
  expect(row.status).toBe('failed');
  expect(row.error).toMatch(/^the mail server did not accept the email to late-mailbox@acme\.example before the goal's next checkpoint was due \(.*451/);

  // A run that started late runs a check-in whose next one is already past: 20 minutes of retries still.
  const lateStart = Date.parse('2026-03-23T09:00:00.000Z');
  const late = (attemptAt: number) => new MockActivityEnvironment({ scheduledTimestampMs: lateStart, currentAttemptScheduledTimestampMs: attemptAt }).run(activities.runGoalCheckpoint, {
    rule, repId: deferredManager.id, period: '2026-03', workflowId: workflowIds.goal(rule.id, deferredManager.id, '2026-03'),
    checkpointId: 'checkin', occurrence: '2026-03-16T08:00:00.000Z', at: lateStart,
  });
  await expect(late(lateStart + 19 * MINUTE)).rejects.toThrow(/451/);
  expect(await late(lateStart + 20 * MINUTE)).toMatchObject({ sentTo: [deferredManager.email] });

  // The review is the run's last checkpoint (due 1 April 00:00 in Berlin): retried for a week.
  const review = '2026-03-31T22:00:00.000Z';
  await expect(run('review', review, Date.parse(review) + 7 * 24 * 60 * MINUTE - MINUTE)).rejects.toThrow(/451/);
  expect(await run('review', review, Date.parse(review) + 7 * 24 * 60 * MINUTE)).toMatchObject({ sentTo: [] });
  expect((await listOutbox(db, { to: deferredManager.manager }))[0].error).toMatch(/before a week had passed \(.*451/);
  // The relay taking mail again changes nothing: given-up emails are not sent late.
  mail.defer.delete(deferredManager.manager);
  expect(await run('checkin', '2026-03-02T08:00:00.000Z', nextCheckin)).toMatchObject({ sentTo: [deferredManager.email] });
  expect(mail.to(deferredManager.manager)).toEqual([]);
  expect(mail.to(deferredManager.email)).toHaveLength(2);
});
