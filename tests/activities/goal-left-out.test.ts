// A money goal counts deals in its target's currency only (v1 converts nothing). A deal in another
// currency used to be left out of the figures without a word, so a rep read a total missing their
// USD deal as their whole result. The email now says which deals were left out and why, through
// {{progress.warnings}}, as statements do; a count goal counts every currency and warns of nothing.
// Real parts: a real SMTP server, a real SQLite file, the real activity in Temporal's activity context.
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createActivities, createMailer } from '../../src/activities/index.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import type { GoalCheckpoint, GoalRule } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { tempDir } from '../data/tmp.js';
import { startMailCatcher, type MailCatcher } from '../workflows/support/mail-catcher.js';
import { goalRule, template, to } from '../workflows/support/rules.js';

let db: Db;
let mail: MailCatcher;
let mailer: ReturnType<typeof createMailer>;
let activities: ReturnType<typeof createActivities>;
const rep = {
  id: 'r-mixed', name: 'Rep Mixed', email: 'rep-mixed@acme.example', team: 'AEs', role: 'AE', region: 'EMEA',
  manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null,
};

beforeAll(async () => {
  db = await openDatabase(join(tempDir(), 'salesflow.db'));
  mail = await startMailCatcher();
  mailer = createMailer(mail.url);
  activities = createActivities({ db, mailer, config: { publicUrl: 'http://salesflow.test', secret: 'a-test-secret-of-16+' } });
  await upsertRep(db, rep);
  const deal = { rep: rep.id, name: 'Deal', stage: 'won', product: 'Core', type: 'new', source: null, contact: null } as const;
  await upsertDeal(db, { ...deal, id: 'eur-1', amount: '30000', currency: 'EUR', closed_at: '2026-03-02' });
  await upsertDeal(db, { ...deal, id: 'usd-1', amount: '12500.5', currency: 'USD', closed_at: '2026-03-03' });
});
afterAll(async () => {
  mailer?.close();
  await mail?.close();
  await db?.close();
});

const source = { file: 'rules/goals.rules', line: 1 };
const review: GoalCheckpoint[] = [
  { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-1', template: 'goal-review', to: [to.rep], source }] },
];
const reviewTpl = template('goal-review', '{{goal.name}}: {{progress.attainment}}', 'You closed {{progress.measure}} of {{progress.target}}.\n\n{{progress.warnings}}');

async function runReview(rule: GoalRule) {
  const request = {
    rule, repId: rep.id, period: '2026-03', workflowId: workflowIds.goal(rule.id, rep.id, '2026-03'),
    checkpointId: 'end-1', occurrence: '2026-03-31T22:00:00.000Z', at: Date.parse('2026-03-31T22:00:00.000Z'),
  };
  return new MockActivityEnvironment({ currentAttemptScheduledTimestampMs: request.at }).run(activities.runGoalCheckpoint, request);
}

test('a EUR goal names the USD deal it left out of the figures, in the email', async () => {
  const rule = goalRule({ id: 'eur-goal', period: 'month', target: '60000', checkpoints: review, templates: [reviewTpl] });
  await runReview(rule);
  const [email] = mail.to(rep.email).filter((m) => m.subject.startsWith('eur goal'));
  expect(email.subject).toBe('eur goal: 50%');
  expect(email.body).toContain('You closed 30,000.00 EUR of 60,000.00 EUR.');
  expect(email.body).toContain("deal usd-1 (won, 12,500.50 USD) is left out: it is in USD, the goal's figures are in EUR (no currency conversion)");
});

test('a count goal counts deals in every currency and warns of nothing', async () => {
  const rule: GoalRule = {
    ...goalRule({ id: 'count-goal', period: 'month', target: '4', checkpoints: review, templates: [reviewTpl] }),
    measure: { metric: 'deals_won', builtin: true, type: 'number' },
    target: { type: 'number', value: '4' },
  };
  await runReview(rule);
  const [email] = mail.to(rep.email).filter((m) => m.subject.startsWith('count goal'));
  expect(email.subject).toBe('count goal: 50%');
  expect(email.body).not.toContain('left out');
});
