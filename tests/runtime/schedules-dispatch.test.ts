// Schedules made by apply start the real dispatch workflow with the rule object they carry.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertRep } from '../../src/data/reps.js';
import { periodContaining } from '../../src/payouts/period.js';
import { applySchedules, planSchedules } from '../../src/runtime/schedules.js';
import { workflowIds } from '../../src/workflows/api.js';
import { localDate } from '../../src/workflows/calendar.js';
import { goalRule, planOf } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('schedules-dispatch');
  for (const id of ['r-1', 'r-2']) {
    upsertRep(h.db, {
      id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
      manager: null, timezone: 'Europe/Berlin', start_date: null,
    });
  }
});
afterAll(async () => {
  await h?.close();
});

async function eventually<T>(probe: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test('a goal added mid-period starts for the current period at once, one run per rep, and a re-apply starts nothing more', async () => {
  const rule = goalRule('q-goal');
  const changes = await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue);
  expect(changes.added.map((s) => s.triggersOnCreate)).toEqual([true]);
  await applySchedules(h.client, changes);

  const period = periodContaining('quarter', localDate(Date.now(), 'Europe/Berlin')).label;
  for (const rep of ['r-1', 'r-2']) {
    const run = await eventually(() => h.client.workflow.getHandle(workflowIds.goal('q-goal', rep, period)).describe());
    expect(run.type).toBe('goalWorkflow');
  }
  const again = await planSchedules(h.client, planOf([rule]), h.config.temporal.taskQueue);
  expect(again.unchanged).toHaveLength(1);
  const schedule = await h.client.schedule.getHandle('salesflow:q-goal:goal-period-start').describe();
  expect(schedule.info.numActionsTaken).toBe(1);
});
