// `apply` and `dev` read every schedule before changing any. A Temporal server that is busy or
// just started can answer such a read with DEADLINE_EXCEEDED (seen in a CI run: `salesflow dev`
// failed to start); a read changes nothing, so it is asked again a few times. Any other error, or
// one that keeps coming, still stops the command.
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { expect, it } from 'vitest';
import { planSchedules } from '../../src/runtime/schedules.js';

const emptyPlan = { formatVersion: 1 as const, hash: 'h', metrics: [], rules: [] };

/** A client holding one salesflow schedule whose describe fails with these errors, then finds nothing. */
function clientFailing(errors: Error[]): { client: Client; calls: () => number } {
  let calls = 0;
  const client = {
    schedule: {
      async *list() { yield { scheduleId: 'salesflow:goal:gone' }; },
      getHandle: (id: string) => ({
        describe: async () => {
          const err = errors[calls++];
          throw err ?? new ScheduleNotFoundError('not found', id);
        },
      }),
    },
  } as unknown as Client;
  return { client, calls: () => calls };
}

const grpc = (code: number, details: string) => Object.assign(new Error('Failed to describe schedule'), { cause: Object.assign(new Error(`${code} ${details}`), { code }) });

it('asks again after DEADLINE_EXCEEDED or UNAVAILABLE', async () => {
  const { client, calls } = clientFailing([grpc(4, 'DEADLINE_EXCEEDED: context deadline exceeded'), grpc(14, 'UNAVAILABLE')]);
  const changes = await planSchedules(client, emptyPlan, 'q');
  expect(changes.removed).toEqual([]);
  expect(calls()).toBe(3);
});

it('gives up after four attempts, and at once on other errors', async () => {
  const slow = clientFailing([1, 2, 3, 4].map(() => grpc(4, 'DEADLINE_EXCEEDED')));
  await expect(planSchedules(slow.client, emptyPlan, 'q')).rejects.toThrow('Failed to describe schedule');
  expect(slow.calls()).toBe(4);
  const denied = clientFailing([grpc(7, 'PERMISSION_DENIED')]);
  await expect(planSchedules(denied.client, emptyPlan, 'q')).rejects.toThrow('Failed to describe schedule');
  expect(denied.calls()).toBe(1);
}, 20_000);
