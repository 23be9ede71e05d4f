import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Plan, Rule } from '../../src/plan/schema.js';
import { declaredSchedules } from '../../src/runtime/schedule-specs.js';
import { renderChanges } from '../../src/runtime/schedule-diff.js';
import { applySchedules, planSchedules } from '../../src/runtime/schedules.js';
import { type DevServerProcess, spawnDevServer } from '../../src/temporal/index.js';
import { goalRule, incentiveRule, planOf, scheduledSequence } from './fixtures/plans.js';

let server: DevServerProcess;
let connection: Connection;
let client: Client;
const taskQueue = 'schedules-test';
/** Apply's clock: mid-November 2026 (no worker here runs what a new goal's apply starts). */
const now = new Date('2026-11-18T03:00:00Z');

beforeAll(async () => {
  server = await spawnDevServer({ dbFile: null });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

async function apply(plan: Plan) {
  const changes = await planSchedules(client, plan, taskQueue);
  await applySchedules(client, changes, { now });
  return changes;
}

const ids = (list: { scheduleId: string }[]) => list.map((s) => s.scheduleId);

test('plan shows what apply adds; a second apply changes nothing; edits and removals are planned and applied', async () => {
  const rules: Rule[] = [scheduledSequence('weekly-prep'), goalRule('q-goal'), incentiveRule('ae-commission')];
  const plan = planOf(rules);

  const first = await planSchedules(client, plan, taskQueue);
  expect(ids(first.added)).toEqual([
    'salesflow:ae-commission:incentive-period-end',
    'salesflow:q-goal:goal-period-start',
    'salesflow:weekly-prep:sequence-tick',
  ]);
  const text = renderChanges(first, 'test');
  expect(text).toContain('+ salesflow:weekly-prep:sequence-tick');
  expect(text).toContain("every friday at 15:00 in each rep's time zone (reps without one: Europe/Berlin)");
  expect(text).toContain('Plan: 3 to add, 0 to change, 0 to remove, 0 unchanged.');
  // Only the goal's period under way starts at once; sequences and incentives wait for their time.
  expect(text.match(/under way at once/g)).toEqual(['under way at once']);
  expect(text).toContain('+ salesflow:q-goal:goal-period-start\n      at the start of every quarter');
  expect(text).toContain('and the quarter under way at once, for each matching rep');

  // plan alone changed nothing
  expect(ids((await planSchedules(client, plan, taskQueue)).added)).toHaveLength(3);

  await applySchedules(client, first, { now });
  const described = await client.schedule.getHandle('salesflow:weekly-prep:sequence-tick').describe();
  // Fires when 15:00 first comes anywhere (UTC+14); each rep's run then waits for 15:00 in the rep's zone.
  expect(described.spec.timezone).toBe('Pacific/Kiritimati');
  expect(described.action.type).toBe('startWorkflow');
  if (described.action.type === 'startWorkflow') {
    expect(described.action.workflowType).toBe('dispatchWorkflow');
    expect(described.action.args?.[0]).toMatchObject({ action: 'sequence-tick', inRepZones: true, rule: { id: 'weekly-prep' } });
  }

  const again = await apply(plan);
  expect(again.added).toEqual([]);
  expect(again.changed).toEqual([]);
  expect(again.removed).toEqual([]);
  expect(ids(again.unchanged)).toHaveLength(3);
  expect(renderChanges(again, 'test')).toMatch(/^No changes\./);

  // Edit one rule's time, drop another.
  const edited = planOf([scheduledSequence('weekly-prep', '16:30'), goalRule('q-goal')]);
  const third = await planSchedules(client, edited, taskQueue);
  expect(ids(third.changed.map((c) => c.declared))).toEqual(['salesflow:weekly-prep:sequence-tick']);
  expect(ids(third.removed)).toEqual(['salesflow:ae-commission:incentive-period-end']);
  const diff = renderChanges(third, 'test');
  expect(diff).toContain('~ salesflow:weekly-prep:sequence-tick');
  expect(diff).toContain('- salesflow:ae-commission:incentive-period-end');
  await applySchedules(client, third, { now });

  const afterEdit = await client.schedule.getHandle('salesflow:weekly-prep:sequence-tick').describe();
  expect(afterEdit.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 16, end: 16, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });

  const fourth = await planSchedules(client, edited, taskQueue);
  expect(fourth.added.length + fourth.changed.length + fourth.removed.length).toBe(0);
});

test('a comment added above a rule moves its lines, not what it does: plan shows no change and apply leaves the schedule alone; a real edit is still a change', async () => {
  const written = scheduledSequence('moved-prep');
  await apply(planOf([written]));
  // What the compiler gives for the same rule with two comment lines added above it: the same
  // version (content hashes leave out where a rule is written), its lines two further down.
  const moved = { ...written, source: { ...written.source, line: written.source.line + 2 } };
  const after = await planSchedules(client, planOf([moved]), taskQueue);
  expect(ids(after.unchanged)).toEqual(['salesflow:moved-prep:sequence-tick']);
  expect(after.changed).toEqual([]);
  expect(renderChanges(after, 'test')).toMatch(/^No changes\./);
  const editedRule = scheduledSequence('moved-prep', '16:00');
  const edited = await planSchedules(client, planOf([{ ...editedRule, source: moved.source }]), taskQueue);
  expect(ids(edited.changed.map((c) => c.declared))).toEqual(['salesflow:moved-prep:sequence-tick']);

  // A schedule an earlier salesflow made (its memo has no contentHash) is compared as before.
  await client.schedule.getHandle('salesflow:moved-prep:sequence-tick').update((previous) => {
    if (previous.action.type !== 'startWorkflow') throw new Error('not a workflow schedule');
    const memo = { ...(previous.action.memo?.salesflow as Record<string, unknown>) };
    delete memo.contentHash;
    return { ...previous, action: { ...previous.action, memo: { salesflow: memo } } };
  });
  expect(ids((await planSchedules(client, planOf([written]), taskQueue)).unchanged)).toEqual(['salesflow:moved-prep:sequence-tick']);
});

test("goal period starts fire at 00:00 in UTC+14, every day (a period's first starts it, the others reps added since), and tell the dispatch to time each rep's run in the rep's zone", () => {
  const [schedule] = declaredSchedules(planOf([goalRule('q-goal')]), taskQueue);
  expect(schedule.options.spec.timezone).toBe('Pacific/Kiritimati');
  expect(schedule.options.spec.calendars).toEqual([{ hour: 0, minute: 0, second: 0 }]);
  expect(schedule.options.action.type === 'startWorkflow' && schedule.options.action.args?.[0]).toMatchObject({ action: 'goal-period-start', inRepZones: true });
  expect(schedule.description).toBe(
    'at the start of every quarter in each rep\'s time zone (reps without one: Europe/Berlin), from 00:00 Pacific/Kiritimati, ' +
      'and every day at 00:00 Pacific/Kiritimati for matching reps without a run yet: goal "q goal" for each matching rep',
  );
});

test('incentive schedules run only while the incentive is in effect', () => {
  const [schedule] = declaredSchedules(planOf([incentiveRule('fy26')]), taskQueue);
  expect(schedule.options.spec.startAt?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  // The last quarter (Q4) closes at the start of 2027-01-01; the schedule ends just after.
  expect(schedule.options.spec.endAt?.toISOString()).toBe('2027-01-02T00:00:00.000Z');
});
