// A goal email the relay keeps turning away for now (451: a full mailbox, a busy relay) must hold
// up neither the other recipients of its check-in nor the rep's later check-ins. Real parts: the
// time-skipping Temporal server, a real SMTP server deferring one address, a real SQLite file.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { listOutbox } from '../../src/data/outbox.js';
import { upsertRep } from '../../src/data/reps.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { GoalCheckpoint } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { goalWorkflow } from '../../src/workflows/goal.js';
import { startHarness, type Harness } from './support/harness.js';
import { goalRule, template, to } from './support/rules.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('goal-deferred');
});
afterAll(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };
const checkinTpl = template('goal-checkin', 'Progress: {{progress.attainment}}', 'You are at {{progress.measure}} of {{progress.target}}.');
const planTpl = template('goal-plan', 'Plan your week', 'Two hours after the check-in: plan the week.');
const checkpoints: GoalCheckpoint[] = [
  // The manager first: the recipient the relay defers comes before the rep.
  { id: 'checkin', when: { kind: 'every', schedule: { days: ['monday'], at: '09:00' } }, condition: null, sends: [{ id: 'send-1', template: 'goal-checkin', to: [to.repManager, to.rep], source }] },
  { id: 'plan', when: { kind: 'every', schedule: { days: ['monday'], at: '11:00' } }, condition: null, sends: [{ id: 'send-2', template: 'goal-plan', to: [to.rep], source }] },
];

test('a manager whose mailbox the relay keeps deferring holds up neither the rep\'s check-in nor the rep\'s later ones', async () => {
  const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
  const rep: RepRecord = {
    id: 'full', name: 'Rep Full', email: 'rep-full@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: 'full-mailbox@acme.example', timezone: 'UTC', start_date: null,
  };
  await upsertRep(h.db, rep);
  await upsertDeal(h.db, {
    id: 'full-d1', rep: rep.id, name: 'Deal', amount: '1000', currency: 'EUR', stage: 'won', product: 'Core',
    type: 'new', source: null, closed_at: `${year}-03-02`, contact: null,
  });
  h.mail.defer.add(rep.manager!);
  const rule = goalRule({ id: 'deferred-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, planTpl] });
  const handle = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, rep.id, `${year}-03`), args: [{ rule, repId: rep.id, period: `${year}-03` }],
  });
  // The relay never takes the manager's mail in this test: a run held by it would never end.
  const held = new Promise<null>((resolve) => setTimeout(() => resolve(null), 90_000));
  const result = await Promise.race([handle.result(), held]);
  if (!result) await handle.terminate('held by the deferred email');
  expect(result, 'the run was still held by the deferred email').not.toBeNull();

  const mondays: number[] = [];
  for (let t = Date.UTC(year, 2, 1); t < Date.UTC(year, 3, 1); t += 86_400_000) if (new Date(t).getUTCDay() === 1) mondays.push(t);
  const at = (hour: number) => mondays.map((t) => new Date(t + hour * 3_600_000).toISOString());
  // Every check-in and every later email reached the rep on time, while the manager's stayed deferred.
  expect(h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress')).map((m) => m.date.toISOString())).toEqual(at(9));
  expect(h.mail.to(rep.email).filter((m) => m.subject === 'Plan your week').map((m) => m.date.toISOString())).toEqual(at(11));
  // (`at` is when the check-in's activity ended: the later one ran at its time, not after the deferral.)
  for (const checkin of result!.checkins.filter((c) => c.checkpointId === 'plan')) expect(Date.parse(checkin.at) - Date.parse(checkin.due!)).toBeLessThan(60_000);
  // The run's record lists only the rep; the manager's emails are failed with the reason, never sent late.
  expect(result!.checkins.filter((c) => c.checkpointId === 'checkin').map((c) => c.sentTo)).toEqual(mondays.map(() => [rep.email]));
  const rows = await listOutbox(h.db, { to: rep.manager! });
  expect(rows).toHaveLength(mondays.length);
  for (const row of rows) {
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/^the mail server did not accept the email to full-mailbox@acme\.example before the goal's next checkpoint was due \(.*451/);
  }
  h.mail.defer.delete(rep.manager!);
  expect(h.mail.to(rep.manager!)).toEqual([]);
}, 120_000);
