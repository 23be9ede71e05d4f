// Runs one representative scenario per workflow (and per main path through it) on the
// time-skipping server and writes each history to tests/replay/histories/<name>.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { decideUpdate, stopSignal, workflowIds } from '../../src/workflows/api.js';
import { dispatchWorkflow, goalWorkflow, payoutWorkflow, sequenceWorkflow } from '../../src/workflows/index.js';
import { periodContaining, shiftPeriod } from '../../src/payouts/period.js';
import { specRule } from '../payouts/spec-rule.js';
import { historyToFile } from './history-file.js';
import { sleepTo, until } from '../workflows/support/clock.js';
import { startHarness, type Harness } from '../workflows/support/harness.js';
import { attainmentBelow, goalRule, scoreAtLeast, sequenceRule, step, template, to } from '../workflows/support/rules.js';

const out = fileURLToPath(new URL('./histories/', import.meta.url));
let h: Harness;

beforeAll(async () => {
  h = await startHarness('record');
  await upsertRep(h.db, { id: 'r1', name: 'Ada', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null });
  await upsertRep(h.db, { id: 'r2', name: 'Bo', email: 'bo@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null });
  for (const [id, rep] of [['d1', 'r1'], ['d2', 'r2']]) {
    await upsertDeal(h.db, { id, rep, name: id, amount: '160000', currency: 'USD', stage: 'won', product: 'Core', type: 'new', source: null, closed_at: '2026-02-01', contact: null });
  }
  fs.mkdirSync(out, { recursive: true });
});
afterAll(async () => {
  await h?.close();
});

async function save(name: string, handle: WorkflowHandle, runId?: string) {
  const history = await h.testEnv.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
  fs.writeFileSync(path.join(out, `${name}.json`), historyToFile(history));
}

const lead = async (id: string, score: string) => {
  const record = { id, name: `Lead ${id}`, email: `${id}@prospect.example`, company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'America/New_York', score };
  await upsertLead(h.db, record);
  return record;
};

const seqTemplates = [template('thanks', 'Thanks {{lead.name}}', 'Hi.'), template('call', 'Call?', 'Book.'), template('news', 'News', 'Read.'), template('hot', 'Hot: {{lead.name}}', '!')];
const seqSteps = () => [
  step.send('thanks'), step.wait(2, 'days'), step.wait(3, 'business_days'),
  step.if(scoreAtLeast(50), [step.send('call'), step.send('hot', to.leadOwner)], [step.send('news')]),
];

test('record sequence histories', async () => {
  const quiet = { from: '20:00', to: '08:00', weekends: true };
  const rule = sequenceRule({ id: 'rec-seq', templates: seqTemplates, quietHours: quiet, steps: seqSteps() });
  const l1 = await lead('hot1', '80');
  const completed = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l1.id), args: [{ rule, subject: { kind: 'lead', lead: l1 } }] });
  expect((await completed.result()).outcome).toBe('completed');
  await save('sequence-completed', completed);

  // No quiet hours here: the first email must go out while the test holds the clock still.
  const loud = sequenceRule({ id: 'rec-seq-loud', templates: seqTemplates, steps: seqSteps() });
  const l2 = await lead('stop1', '10');
  const stopped = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(loud.id, 'lead', l2.id), args: [{ rule: loud, subject: { kind: 'lead', lead: l2 } }] });
  await h.mail.waitFor(() => h.mail.to(l2.email).length === 1);
  await stopped.signal(stopSignal, { eventType: 'lead.replied', eventId: 'e1' });
  expect((await stopped.result()).outcome).toBe('stopped');
  await save('sequence-stopped', stopped);

  const l3 = await lead('long1', '10');
  const long = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l3.id), args: [{ rule, subject: { kind: 'lead', lead: l3 }, stepsPerRun: 2 }] });
  await long.result();
  await save('sequence-continued-as-new', long, long.firstExecutionRunId);
});

const approvalRule = (id: string): IncentiveRule => specRule({
  id, cap: null,
  approval: {
    approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
    within: { amount: '5', unit: 'days' },
    escalations: [{ to: { kind: 'address', address: 'vp@acme.example' }, within: { amount: '3', unit: 'days' } }],
    otherwise: 'reject',
  },
});

test('record payout histories', async () => {
  const auto = specRule({ id: 'rec-auto' });
  const autoRun = await h.testEnv.client.workflow.start(payoutWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.payout(auto.id, 'r1', '2026-Q1'), args: [{ rule: auto, repId: 'r1', period: '2026-Q1' }] });
  await autoRun.result();
  await save('payout-auto-approved', autoRun);

  const approved = approvalRule('rec-approved');
  const run = await h.testEnv.client.workflow.start(payoutWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.payout(approved.id, 'r1', '2026-Q1'), args: [{ rule: approved, repId: 'r1', period: '2026-Q1' }] });
  await h.mail.waitFor(() => h.mail.to('boss@acme.example').some((m) => m.subject.includes('Approve')));
  await run.executeUpdate(decideUpdate, { args: [{ approver: 'boss@acme.example', round: 0, decision: 'approve' }] });
  expect((await run.result()).phase).toBe('approved');
  await save('payout-manager-approved', run);

  const silent = approvalRule('rec-silent');
  const silentRun = await h.testEnv.client.workflow.start(payoutWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.payout(silent.id, 'r1', '2026-Q1'), args: [{ rule: silent, repId: 'r1', period: '2026-Q1' }] });
  expect((await silentRun.result()).phase).toBe('rejected');
  await save('payout-escalated-otherwise', silentRun);
});

// Recorded before and after `payout-nobody-to-ask-waits`, under the name of the path it took: with
// nobody to ask, `otherwise approve` decided at once (before) or after the window (after).
test('record the payout history of a rep nobody can approve for', async () => {
  await upsertRep(h.db, { id: 'r4', name: 'Noa', email: 'noa@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: null, timezone: 'Europe/Berlin', start_date: null });
  await upsertDeal(h.db, { id: 'd4', rep: 'r4', name: 'd4', amount: '160000', currency: 'USD', stage: 'won', product: 'Core', type: 'new', source: null, closed_at: '2026-02-01', contact: null });
  const rule = specRule({
    id: 'rec-nobody', cap: null,
    approval: { approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' }, within: { amount: '5', unit: 'days' }, escalations: [], otherwise: 'approve' },
  });
  const run = await h.testEnv.client.workflow.start(payoutWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.payout(rule.id, 'r4', '2026-Q1'), args: [{ rule, repId: 'r4', period: '2026-Q1' }] });
  expect((await run.result()).phase).toBe('approved');
  const history = await run.fetchHistory();
  const waited = (history.events ?? []).some((e) => e.timerStartedEventAttributes);
  await save(waited ? 'payout-nobody-to-ask-waited' : 'payout-nobody-to-ask-at-once', run);
});

test('record goal and dispatch histories', async () => {
  const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
  const source = { file: 'rules/goals.rules', line: 1 };
  const rule = goalRule({
    id: 'rec-goal', period: 'month', target: '120000',
    templates: [template('checkin', 'Progress {{progress.attainment}}', 'Hi {{rep.name}}'), template('risk', 'Risk', 'x'), template('review', 'Review', 'y')],
    checkpoints: [
      { id: 'every-1', when: { kind: 'every', schedule: { days: ['monday'], at: '09:00' } }, condition: null, sends: [{ id: 's1', template: 'checkin', to: [to.rep], source }] },
      { id: 'fraction-1', when: { kind: 'fraction', percent: '50' }, condition: attainmentBelow(40), sends: [{ id: 's2', template: 'risk', to: [to.repManager], source }] },
      { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 's3', template: 'review', to: [to.rep, to.repManager], source }] },
    ],
  });
  const goal = await h.testEnv.client.workflow.start(goalWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, 'r1', `${year}-03`), args: [{ rule, repId: 'r1', period: `${year}-03` }] });
  await goal.result();
  await save('goal-month', goal);

  const incentive = specRule({ id: 'rec-dispatch' });
  const dispatch = await h.testEnv.client.workflow.start(dispatchWorkflow, { taskQueue: h.taskQueue, workflowId: 'rec-dispatch', args: [{ rule: incentive, action: 'incentive-period-end', period: '2026-Q1' }] });
  expect((await dispatch.result()).startedCount).toBe(2);
  await save('dispatch-incentive-period-end', dispatch);
});

test("record goal histories in each rep's zone: a run that waits for its week, a late review, a mid-period start", async () => {
  const source = { file: 'rules/goals.rules', line: 1 };
  const rule = goalRule({
    id: 'rec-goal-zones', period: 'week', target: '100000',
    templates: [template('checkin', 'Progress {{progress.attainment}}', 'Hi {{rep.name}}'), template('risk', 'Risk', 'x'), template('review', 'Review', 'y')],
    checkpoints: [
      { id: 'every-1', when: { kind: 'every', schedule: { days: ['monday'], at: '00:00' } }, condition: null, sends: [{ id: 's1', template: 'checkin', to: [to.rep], source }] },
      { id: 'every-2', when: { kind: 'every', schedule: { days: ['sunday'], at: '23:50' } }, condition: null, sends: [{ id: 's2', template: 'checkin', to: [to.rep], source }] },
      { id: 'fraction-1', when: { kind: 'fraction', percent: '50' }, condition: attainmentBelow(40), sends: [{ id: 's3', template: 'risk', to: [to.repManager], source }] },
      { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 's4', template: 'review', to: [to.rep, to.repManager], source }] },
    ],
  });
  await upsertRep(h.db, { id: 'r3', name: 'Tevita', email: 'tevita@acme.example', team: 'APAC AEs', role: 'AE', region: 'APAC', manager: 'boss@acme.example', timezone: 'Pacific/Tongatapu', start_date: null });
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const start = (workflowId: string, repId: string, period: string) =>
    h.testEnv.client.workflow.start(goalWorkflow, { taskQueue: h.taskQueue, workflowId, args: [{ rule, repId, period }] });

  // Started a week ahead of its period: it sleeps to Monday 00:00 in Tongatapu and runs the week.
  const ahead = periodContaining('week', day((await h.testEnv.currentTimeMs()) + 7 * 86_400_000));
  const waiting = await start(workflowIds.goal(rule.id, 'r3', ahead.label), 'r3', ahead.label);
  expect((await waiting.result()).skipped).toEqual([]);
  await save('goal-week-rep-zone', waiting);

  // Started after its week ended: the review at once, everything else listed as skipped.
  const ended = shiftPeriod(periodContaining('week', day(await h.testEnv.currentTimeMs())), -1);
  const late = await start(workflowIds.goal(rule.id, 'r1', ended.label), 'r1', ended.label);
  const lateResult = await late.result();
  expect(lateResult.checkins.map((c) => c.checkpointId)).toEqual(['end-1']);
  await save('goal-late-start-review', late);

  // Started on a Friday: the 50% point is evaluated at once, Monday's check-in skipped as stale.
  const now = await h.testEnv.currentTimeMs();
  const friday = now + (((5 - new Date(now).getUTCDay() + 7) % 7) + 7) * 86_400_000;
  await h.testEnv.sleep(Date.parse(`${day(friday)}T12:00:00Z`) - now);
  const week = periodContaining('week', day(friday));
  const mid = await start(workflowIds.goal(rule.id, 'r2', week.label), 'r2', week.label);
  const midResult = await mid.result();
  expect(midResult.checkins[0].checkpointId).toBe('fraction-1');
  expect(midResult.skipped.map((s) => s.reason)).toEqual(['stale']);
  await save('goal-late-start-mid-period', mid);
});

test('record a goal chain continued as new (its zone carried in the resume) and a run resumed as an earlier salesflow resumed it (no zone)', async () => {
  const source = { file: 'rules/goals.rules', line: 1 };
  const rule = goalRule({
    id: 'rec-goal-chain', period: 'week', target: '100000',
    templates: [template('checkin', 'Progress {{progress.attainment}}', 'Hi {{rep.name}}'), template('review', 'Review', 'y')],
    checkpoints: [
      { id: 'every-1', when: { kind: 'every', schedule: { days: ['monday', 'wednesday', 'friday'], at: '09:00' } }, condition: null, sends: [{ id: 's1', template: 'checkin', to: [to.rep], source }] },
      { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 's2', template: 'review', to: [to.rep], source }] },
    ],
  });
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const ahead = periodContaining('week', day((await h.testEnv.currentTimeMs()) + 7 * 86_400_000));
  const chain = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, 'r1', ahead.label), args: [{ rule, repId: 'r1', period: ahead.label, checkpointsPerRun: 2 }],
  });
  expect((await chain.result()).checkins.map((c) => c.checkpointId)).toEqual(['every-1', 'every-1', 'every-1', 'end-1']);
  await save('goal-continued-as-new-first', chain, chain.firstExecutionRunId);
  await save('goal-continued-as-new-last', chain);

  // The input a run continued by an earlier salesflow carries: a cursor, and no zone.
  const later = shiftPeriod(ahead, 1);
  const cursor = Date.parse(`${later.start}T00:00:00Z`);
  const resumed = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, 'r2', later.label),
    args: [{ rule, repId: 'r2', period: later.label, resume: { cursor, checkins: [], localPeriods: true, skipped: [] } }],
  });
  expect((await resumed.result()).checkins.map((c) => c.checkpointId)).toEqual(['every-1', 'every-1', 'every-1', 'end-1']);
  await save('goal-resumed-without-zone', resumed);
});

test('record a goal chain whose rep moved to another zone mid-week (goal-checkins-current-zone: check-ins follow the rep, the period does not)', async () => {
  const source = { file: 'rules/goals.rules', line: 1 };
  const rule = goalRule({
    id: 'rec-goal-moved', period: 'week', target: '100000',
    templates: [template('checkin', 'Progress {{progress.attainment}}', 'Hi {{rep.name}}'), template('review', 'Review', 'y')],
    checkpoints: [
      { id: 'daily', when: { kind: 'every', schedule: { days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'], at: '09:00' } }, condition: null, sends: [{ id: 's1', template: 'checkin', to: [to.rep], source }] },
      { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 's2', template: 'review', to: [to.rep], source }] },
    ],
  });
  const mover = { id: 'r-moved', name: 'Mo', email: 'mo@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: null, timezone: 'Europe/Berlin', start_date: null };
  await upsertRep(h.db, mover);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const ahead = periodContaining('week', day((await h.testEnv.currentTimeMs()) + 7 * 86_400_000));
  const chain = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, mover.id, ahead.label), args: [{ rule, repId: mover.id, period: ahead.label, checkpointsPerRun: 5 }],
  });
  // Wednesday noon in Berlin: the CRM moves the rep to Los Angeles.
  await sleepTo(h, Date.parse(`${ahead.start}T00:00:00Z`) + 2.5 * 86_400_000);
  await upsertRep(h.db, { ...mover, timezone: 'America/Los_Angeles' });
  const result = await chain.result();
  expect(result.checkins.map((c) => c.checkpointId)).toEqual([...Array(7).fill('daily'), 'end-1']);
  // Friday's check-in is at 09:00 in Los Angeles (17:00 UTC in winter).
  expect(result.checkins[4].due).toMatch(/T17:00:00\.000Z$/);
  await save('goal-checkins-zone-moved-first', chain, chain.firstExecutionRunId);
  await save('goal-checkins-zone-moved-last', chain);
});

// Last: the dispatch abandons its children, which the time-skipping server handles badly once they
// finish after it (see tests/workflows/scheduled-sequence-timezones.test.ts), so nothing runs after.
test('record scheduled sequence histories (each rep in their own zone)', async () => {
  const rule = {
    ...sequenceRule({ id: 'rec-weekly', timezone: 'Europe/Berlin', templates: [template('prep', '1:1 prep for {{rep.name}}', 'See you.')], steps: [step.send('prep', to.rep)] }),
    subject: 'rep' as const,
    stopOn: [],
    trigger: { kind: 'schedule' as const, schedule: { days: ['friday' as const], at: '15:00' }, reps: null },
  };
  // A rep's own run, started for Friday 15:00 in their zone: it sleeps until then, then sends.
  const now = await h.testEnv.currentTimeMs();
  const rep = { id: 'r1', name: 'Ada', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null };
  const startAt = new Date(now + 26 * 3600_000).toISOString();
  const occurrence = startAt.slice(0, 10);
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.sequenceTick(rule.id, rep.id, occurrence), args: [{ rule, subject: { kind: 'rep', rep }, occurrence, startAt }],
  });
  expect((await run.result()).outcome).toBe('completed');
  await save('sequence-rep-start-at', run);

  const fired = new Date(await h.testEnv.currentTimeMs());
  const dispatch = await h.testEnv.client.workflow.start(dispatchWorkflow, {
    taskQueue: h.taskQueue, workflowId: 'rec-dispatch-tick', args: [{ rule, action: 'sequence-tick', inRepZones: true, firedAt: fired.toISOString() }],
  });
  expect((await dispatch.result()).startedCount).toBe(2);
  await save('dispatch-sequence-tick-rep-zones', dispatch);
});

// Recorded once with the code before the patch 'quiet-hours-repeated-hour' (the email went out at
// once, inside quiet hours) as sequence-quiet-repeated-hour-legacy, and with the patch as
// sequence-quiet-repeated-hour (held to the second 02:30). RECORD_NAME picks the file name.
test('record a sequence whose quiet hours end in the hour an autumn change repeats', async () => {
  const now = await h.testEnv.currentTimeMs();
  const lastSunday = (year: number) => {
    const day = Date.UTC(year, 9, 25);
    return day + ((7 - new Date(day).getUTCDay()) % 7) * 86_400_000;
  };
  const year = new Date(now).getUTCFullYear();
  const change = lastSunday(year) > now + 86_400_000 ? lastSunday(year) : lastSunday(year + 1);
  await sleepTo(h, change + 70 * 60_000); // 02:10 CET, the second 02:10 in Berlin that night
  const l = { id: 'repeated', name: 'Lead repeated', email: 'repeated@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'Europe/Berlin', score: null };
  await upsertLead(h.db, l);
  const rule = sequenceRule({ id: 'rec-quiet-repeated', templates: seqTemplates, quietHours: { from: '20:00', to: '02:30', weekends: false }, steps: [step.send('thanks'), step.wait(1, 'days'), step.send('news')] });
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  expect((await run.result()).outcome).toBe('completed');
  await save(process.env.RECORD_NAME ?? 'sequence-quiet-repeated-hour', run);
});

// Recorded once with the code before the patch 'quiet-hours-per-recipient' (the owner waited for
// the lead's morning) as sequence-quiet-several-legacy, and with it as sequence-quiet-several.
test('record a send to recipients whose quiet hours end at different times', async () => {
  const now = await h.testEnv.currentTimeMs();
  const zoneAt = (hour: number) => {
    const offset = ((hour - new Date(now).getUTCHours() + 36) % 24) - 12;
    return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  };
  await upsertRep(h.db, { id: 'r-noon', name: 'Noon', email: 'noon@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: null, timezone: zoneAt(12), start_date: null });
  const l = { id: 'several', name: 'Lead several', email: 'several@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r-noon', timezone: zoneAt(23), score: null };
  await upsertLead(h.db, l);
  const rule = sequenceRule({ id: 'rec-quiet-several', templates: seqTemplates, timezone: zoneAt(12), quietHours: { from: '20:00', to: '08:00', weekends: false }, steps: [step.send('thanks', to.lead, to.leadOwner, to.address('copy@acme.example')), step.wait(1, 'days'), step.send('news')] });
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  expect((await run.result()).outcome).toBe('completed');
  await save(process.env.RECORD_NAME ?? 'sequence-quiet-several', run);
});

// Recorded once with the code before the patch 'sequence-stop-during-send' (the run waited for the
// relay and sent after the stop) as sequence-stop-during-send-legacy, and with it as
// sequence-stop-during-send (the send cancelled, no email).
test('record a stop that arrives while the relay turns the email away for now', async () => {
  const l = { id: 'deferred', name: 'Lead deferred', email: 'deferred@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'UTC', score: null };
  await upsertLead(h.db, l);
  h.mail.defer.add(l.email);
  const rule = sequenceRule({ id: 'rec-stop-during-send', templates: seqTemplates, steps: [step.send('thanks'), step.wait(2, 'days'), step.send('news')] });
  const before = h.calls.get('sendToCurrentRecipient') ?? 0;
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  await until(async () => (h.calls.get('sendToCurrentRecipient') ?? 0) >= before + 2, 30_000);
  await run.signal(stopSignal, { eventType: 'lead.replied', eventId: 'e-deferred' });
  await until(async () => (await run.describe()).status.name !== 'RUNNING', 10_000).catch(() => undefined);
  h.mail.defer.delete(l.email);
  expect((await run.result()).outcome).toBe('stopped');
  await save(process.env.RECORD_NAME ?? 'sequence-stop-during-send', run);
});

// Recorded once with the code before the patches 'sequence-recipients-at-send' and
// 'sequence-wait-current-zone' (the wait counted in the zone the lead had when the run started, the
// owner's address read before the send) as sequence-current-data-legacy, and with them as
// sequence-current-data (the zone read when the wait begins, the owner read by the send itself).
test('record a sequence whose lead moves zone and changes owner while it runs', async () => {
  // A Friday 19:00 UTC in June (no clock change that weekend): the business-day wait begins at
  // 20:00 UTC, Saturday 05:00 in Tokyo (ends Monday 05:00 there) and Friday 16:00 in New York (Monday 16:00).
  const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
  const june10 = Date.UTC(year, 5, 10);
  await sleepTo(h, june10 + ((5 - new Date(june10).getUTCDay() + 7) % 7) * 86_400_000 + 19 * 3_600_000);
  const l = { id: 'moving', name: 'Lead moving', email: 'moving@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'Asia/Tokyo', score: null };
  await upsertLead(h.db, l);
  const rule = sequenceRule({ id: 'rec-current-data', templates: seqTemplates, steps: [step.wait(1, 'hours'), step.wait(1, 'business_days'), step.send('hot', to.leadOwner), step.send('thanks')] });
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  // A CRM update during the first hour (the clock stands still until the result is awaited).
  await upsertLead(h.db, { ...l, owner: 'r2', timezone: 'America/New_York' });
  const result = await run.result();
  expect(result.sends.map((s) => s.to)).toEqual(['bo@acme.example', l.email]);
  await save(process.env.RECORD_NAME ?? 'sequence-current-data', run);
});

// Recorded once with the code before the patch 'sequence-recipients-side-by-side' (the owner's and
// the copy's emails waited until the relay took the lead's) as sequence-deferred-recipient-legacy,
// and with it as sequence-deferred-recipient (each recipient's send on its own).
test('record a send to several recipients while the relay defers one of them', async () => {
  const l = { id: 'full', name: 'Lead full', email: 'full@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'UTC', score: null };
  await upsertLead(h.db, l);
  h.mail.defer.add(l.email);
  const rule = sequenceRule({ id: 'rec-deferred-recipient', templates: seqTemplates, steps: [step.send('thanks', to.lead, to.leadOwner, to.address('copy@acme.example')), step.wait(1, 'days'), step.send('news')] });
  const before = h.calls.get('sendToCurrentRecipient') ?? 0;
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  // The lead's send turned away three times (and, with the patch, the others sent meanwhile).
  await until(async () => (h.calls.get('sendToCurrentRecipient') ?? 0) >= before + 3, 30_000);
  h.mail.defer.delete(l.email);
  const result = await run.result();
  expect(result.sends.map((s) => s.to)).toEqual([l.email, 'ada@acme.example', 'copy@acme.example', l.email]);
  await save(process.env.RECORD_NAME ?? 'sequence-deferred-recipient', run);
});

// Recorded once with the code before the patch 'sequence-deferred-send-in-background' (the run
// waited for the relay to take the first email before its wait began) as
// sequence-deferred-later-steps-legacy, and with it as sequence-deferred-later-steps (the first
// email retried beside the wait, which counts from when the email was due).
test('record a sequence whose first email the relay defers a few times', async () => {
  const l = { id: 'greylisted', name: 'Lead greylisted', email: 'greylisted@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'UTC', score: null };
  await upsertLead(h.db, l);
  h.mail.deferSubjects.set('Thanks Lead greylisted', 3);
  const rule = sequenceRule({ id: 'rec-deferred-later-steps', templates: seqTemplates, steps: [step.send('thanks'), step.wait(2, 'days'), step.send('news')] });
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  const result = await run.result();
  expect(result.sends.map((s) => [s.to, s.outcome])).toEqual([[l.email, 'sent'], [l.email, 'sent']]);
  await save(process.env.RECORD_NAME ?? 'sequence-deferred-later-steps', run);
});

// With 'sequence-deferred-send-in-background' only (before it, such a run never ended): the first
// email is deferred for good, given up when the next email to the same lead is due, which goes out.
test('record a sequence whose first email the relay keeps deferring until the next is due', async () => {
  const l = { id: 'full-for-good', name: 'Lead full-for-good', email: 'full-for-good@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'UTC', score: null };
  await upsertLead(h.db, l);
  h.mail.deferSubjects.set('Thanks Lead full-for-good', Infinity);
  const rule = sequenceRule({ id: 'rec-deferred-given-up', templates: seqTemplates, steps: [step.send('thanks'), step.wait(1, 'days'), step.send('news')] });
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  const result = await run.result();
  h.mail.deferSubjects.delete('Thanks Lead full-for-good');
  expect(result.sends.map((s) => [s.to, s.outcome])).toEqual([[l.email, 'failed'], [l.email, 'sent']]);
  await save(process.env.RECORD_NAME ?? 'sequence-deferred-given-up', run);
});

// With 'sequence-deferred-send-in-background': the next email right behind a deferred one waits
// (a timer) for the earlier one's retries, which the relay takes within the 20 minutes.
test('record two emails back to back while the relay greylists the first', async () => {
  const l = { id: 'back-to-back', name: 'Lead back-to-back', email: 'back-to-back@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'UTC', score: null };
  await upsertLead(h.db, l);
  h.mail.deferSubjects.set('Thanks Lead back-to-back', 6);
  const rule = sequenceRule({ id: 'rec-deferred-back-to-back', templates: seqTemplates, steps: [step.send('thanks'), step.send('news')] });
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  const result = await run.result();
  expect(result.sends.map((s) => [s.to, s.outcome])).toEqual([[l.email, 'sent'], [l.email, 'sent']]);
  await save(process.env.RECORD_NAME ?? 'sequence-deferred-back-to-back', run);
});

// Recorded once with the code before the patch 'sequence-business-fraction-weekday' (1.5 business
// days from Thursday 18:00 ended on Saturday 06:00) as sequence-business-fraction-legacy, and with
// it as sequence-business-fraction (Monday 06:00).
test('record a wait of 1.5 business days from a Thursday evening', async () => {
  const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 2;
  const june10 = Date.UTC(year, 5, 10);
  await sleepTo(h, june10 + ((4 - new Date(june10).getUTCDay() + 7) % 7) * 86_400_000 + 18 * 3_600_000);
  const l = { id: 'half-day', name: 'Lead half-day', email: 'half-day@prospect.example', company: null, source: 'webinar', stage: null, owner: 'r1', timezone: 'UTC', score: null };
  await upsertLead(h.db, l);
  const rule = sequenceRule({ id: 'rec-business-fraction', templates: seqTemplates, steps: [step.wait(1.5, 'business_days'), step.send('thanks')] });
  const run = await h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }] });
  const result = await run.result();
  expect(result.outcome).toBe('completed');
  await save(process.env.RECORD_NAME ?? 'sequence-business-fraction', run);
});
