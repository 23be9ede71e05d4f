// `npm run chaos` in small (issue #10, item 5): three `salesflow worker` processes plus `serve`
// on one PostgreSQL (the shared SQLite file where none is installed); 30 sequences that wait a minute between two emails and 10 payouts approved
// through the emailed links, while a random worker is killed with SIGKILL (and restarted) every few
// seconds until the work is done, and the Temporal dev server is killed and restarted once on its
// file, and PostgreSQL is restarted once. Nothing may be lost and nothing sent or recorded twice.
import { expect, test } from 'vitest';
import { chaosScenario } from './support/chaos-scenario.js';

const scenario = chaosScenario('chaos-small', {
  workers: 3,
  size: { sequences: 30, payouts: 10, waitMinutes: 1 },
  chaos: { kills: 4, killEveryMs: 3000, restartTemporal: true, restartDatabase: true },
  // The work takes about 80 s on a quiet machine; a busy one (a CI run beside other suites) once
  // needed more than 150 s for the last follow-up. Waiting longer only costs time when it is slow.
  timeoutMs: 240_000,
}, 265_000);

test('workers killed mid-run, a Temporal restart and a database restart lose nothing and record nothing twice', () => {
  const { result, log } = scenario;
  const t = result.tally;
  expect(result.kills, log).toBeGreaterThanOrEqual(4);
  expect(log).toMatch(/Temporal dev server killed and restarted/);
  expect({ lost: t.emailsLost, payoutsRecorded: t.payoutsRecorded, payoutsLost: t.payoutsLost, payoutsDuplicated: t.payoutsDuplicated }, log)
    .toEqual({ lost: 0, payoutsRecorded: 10, payoutsLost: 0, payoutsDuplicated: 0 });
  // Exactly once in the outbox: one row per email, each marked sent.
  expect(t.outbox).toEqual({ keys: 80, sent: 80 });
  // At the SMTP server, the one duplicate SMTP allows: a sender killed between the server's
  // acceptance and its own record of it, whose retry sends the same message (same Message-ID)
  // again. Anything else (a different message, more copies than kills) is a bug.
  expect(t.emailsDuplicated, log).toBe(t.sameMessageDuplicates);
  expect(t.emailsDuplicated).toBeLessThanOrEqual(result.kills);
  expect(t.emailsSent).toBe(80 + t.emailsDuplicated);
});
