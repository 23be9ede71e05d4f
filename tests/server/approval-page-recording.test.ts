// An approval link opened while its email is still being recorded (the email is out, the activity
// has not returned yet, so the run's status names no approver and no zone): the page still shows
// the deadline in the approver's own time zone, as the email did, not in UTC. Seen on a busy
// machine, where that window lasted seconds.
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { upsertRep } from '../../src/data/reps.js';
import { signToken } from '../../src/tokens/index.js';
import type { PayoutStatus } from '../../src/workflows/api.js';
import { type Harness, SECRET, startHarness } from './harness.js';

const DEADLINE = '2036-04-09T13:00:00.000Z';
const status: PayoutStatus = {
  phase: 'awaiting-approval', statement: null, approver: null, round: 0, deadline: DEADLINE, decision: null,
  afterDeadline: 'rejected', ruleZone: 'Asia/Tokyo',
};
/** A Temporal client whose every run answers the status above, as a run between email and record does. */
const client = { withDeadline: (_: number, fn: () => unknown) => fn(), workflow: { getHandle: () => ({ query: async () => status }) } } as unknown as Client;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ temporalClient: client });
  await upsertRep(h.db, { id: 'boss', name: 'Boss NY', email: 'boss-ny@acme.example', team: null, role: 'Manager', region: null, manager: null, timezone: 'America/New_York', start_date: null });
});
afterAll(async () => { await h?.close(); });

const page = async (approver: string) => {
  const token = signToken({ purpose: 'approval', workflowId: 'payout:r:rep:2026-Q1', approver, round: 0, exp: Date.parse(DEADLINE) }, SECRET);
  const res = await fetch(`${h.url}/approvals/${token}`);
  expect(res.status).toBe(200);
  return res.text();
};

it('shows the deadline in the approver\'s zone while the approver is not on record yet', async () => {
  expect(await page('boss-ny@acme.example')).toContain('Please decide before <strong>2036-04-09 09:00 America/New_York</strong>');
  // An address that is nobody's reads the rule's zone, as its email does.
  expect(await page('vp-sales@acme.example')).toContain('Please decide before <strong>2036-04-09 22:00 Asia/Tokyo</strong>');
});
