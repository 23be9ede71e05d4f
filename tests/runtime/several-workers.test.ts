// Several workers (issue #10, item 4): one Temporal dev server, three `salesflow worker` processes
// and one `salesflow serve`, all on one PostgreSQL (a throwaway cluster; the shared SQLite file
// where no PostgreSQL is installed), mailing a real SMTP server. 600 signed events
// start two-email sequences; `salesflow payouts run` pays 150 reps, each approved by their manager
// through the link in the approval email. Every email arrives exactly once (counted at the SMTP
// server and in the outbox), every ledger row is written once, and all three workers did work.
import { expect, test } from 'vitest';
import { chaosScenario } from './support/chaos-scenario.js';

const scenario = chaosScenario('several-workers', {
  workers: 3,
  size: { sequences: 600, payouts: 150, waitMinutes: 0 },
  // About a minute on an idle 2-core machine; a shared, loaded one needs more.
  timeoutMs: 210_000,
}, 280_000);

test('600 events and 150 approved payouts: every email sent exactly once, every ledger row written once', () => {
  const { result, log } = scenario;
  const t = result.tally;
  expect({ expected: t.emailsExpected, sent: t.emailsSent, lost: t.emailsLost, duplicated: t.emailsDuplicated }, log)
    .toEqual({ expected: 600 * 2 + 150 * 2, sent: 1500, lost: 0, duplicated: 0 });
  expect(t.outbox).toEqual({ keys: 1500, sent: 1500 });
  expect({ expected: t.payoutsExpected, recorded: t.payoutsRecorded, lost: t.payoutsLost, duplicated: t.payoutsDuplicated })
    .toEqual({ expected: 150, recorded: 150, lost: 0, duplicated: 0 });
});

test('work landed on all three workers (worker identities in the workflow histories)', () => {
  const { result, log } = scenario;
  expect(result.tasksPerWorker).toHaveLength(3);
  for (const share of result.tasksPerWorker) {
    expect(share.activities, log).toBeGreaterThan(0);
    expect(share.workflowTasks).toBeGreaterThan(0);
  }
  const activities = result.tasksPerWorker.reduce((n, s) => n + s.activities, 0);
  // Each email is a send activity; each payout also prepares, asks and records.
  expect(activities).toBeGreaterThanOrEqual(1500 + 150 * 2);
});
