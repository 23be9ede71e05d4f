// A backtest of a goal that mails the rep, the rep's manager (a rep in another zone) and a quoted
// address: each send is on the goal rep's clock, so it is listed for all its recipients or for
// none, whatever the hour is for the manager. A window ending on a week's last day lists that
// week's review to the manager too (already Monday noon in Berlin when it is Monday 00:00 in Pago
// Pago), and a window opening on a Monday lists the 09:00 check-in copied to a manager for whom it is
// still Sunday. A rep without a manager, and a goal whose `for reps where` selects nobody, are
// named in notes rather than just missing from the timeline, and so is a rep without a zone the tz
// database knows (replayed in the rule's). Real Java time-skipping server, real SQLite file; the week is ISO 2027-W10.
import fs from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import type { BacktestResult } from '../../src/runtime/backtest/run.js';
import type { EmailEntry } from '../../src/runtime/backtest/timeline.js';
import { backtestFolder, goalProject } from './support/backtest.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let dir: string;
let result: BacktestResult;

const RULES = `
settings { timezone "UTC" }

goal "Weekly bookings" {
  for reps where rep.team = "AEs"
  measure revenue
  target 5_000 USD per week
  every monday at 09:00 {
    send "checkin" to rep, rep.manager
  }
  at end of period {
    send "review" to rep, rep.manager, "vp-sales@acme.example"
  }
}

goal "EMEA bookings" {
  for reps where rep.team = "EMEA AE"
  measure revenue
  target 5_000 USD per week
  at end of period {
    send "review" to rep
  }
}
`;

beforeAll(async () => {
  const project = await goalProject('backtest-goal-recipients', RULES, { checkin: 'Check-in {{rep.name}} {{progress.attainment}}', review: 'Review {{rep.name}} {{progress.period}} {{progress.attainment}}' }, [
    'r-pago,Pago,pago@acme.example,AEs,AE,APAC,mgr-berlin@acme.example,Pacific/Pago_Pago,2020-01-01',
    'r-kiri,Kiri,kiri@acme.example,AEs,AE,APAC,mgr-pago@acme.example,Pacific/Kiritimati,2020-01-01',
    'r-mgr-berlin,Berta,mgr-berlin@acme.example,Managers,Manager,EMEA,,Europe/Berlin,2020-01-01',
    'r-mgr-pago,Mele,mgr-pago@acme.example,Managers,Manager,APAC,,Pacific/Pago_Pago,2020-01-01',
    'r-solo,Solo,solo@acme.example,AEs,AE,EMEA,,,2020-01-01',
    'r-typo,Typo,typo@acme.example,AEs,AE,EMEA,mgr-pago@acme.example,,2020-01-01',
  ], ['D-1,r-pago,Fono,2500.00,USD,won,Core,new,web,2027-03-14,buyer@fono.example']);
  dir = project.dir;
  const dbPath = project.dbPath;
  // A zone the import would refuse, as a data source written otherwise (by hand, an older tz database) may hold.
  const db = await openDatabase(dbPath);
  await db.kysely.updateTable('reps').set({ timezone: 'Europe/Berlinn' }).where('id', '=', 'r-typo').execute();
  await db.close();

  // Monday 8 March to Sunday 14 March 2027: one ISO week, 2027-W10.
  result = await backtestFolder(project.rulesDir, dbPath, '2027-03-08', '2027-03-14');
}, 240_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const listed = () => result.timeline
  .filter((e): e is EmailEntry => e.kind === 'email')
  .map((e) => `${e.rep} ${e.template} ${e.to} ${e.local} ${e.zone}`)
  .sort();

test('every recipient of a goal send in the window is listed, each at their own local time', () => {
  expect(listed()).toEqual([
    // Kiri's Monday 09:00 (UTC+14) is still Sunday 08:00 for the manager in Pago Pago (UTC−11).
    'r-kiri checkin kiri@acme.example 2027-03-08T09:00 Pacific/Kiritimati',
    'r-kiri checkin mgr-pago@acme.example 2027-03-07T08:00 Pacific/Pago_Pago',
    'r-kiri review kiri@acme.example 2027-03-15T00:00 Pacific/Kiritimati',
    'r-kiri review mgr-pago@acme.example 2027-03-13T23:00 Pacific/Pago_Pago',
    'r-kiri review vp-sales@acme.example 2027-03-14T10:00 UTC',
    'r-pago checkin mgr-berlin@acme.example 2027-03-08T21:00 Europe/Berlin',
    'r-pago checkin pago@acme.example 2027-03-08T09:00 Pacific/Pago_Pago',
    // Pago's week ends at Monday 00:00 in Pago Pago: Monday noon in Berlin, 11:00 UTC.
    'r-pago review mgr-berlin@acme.example 2027-03-15T12:00 Europe/Berlin',
    'r-pago review pago@acme.example 2027-03-15T00:00 Pacific/Pago_Pago',
    'r-pago review vp-sales@acme.example 2027-03-15T11:00 UTC',
    // No zone: the rule's (UTC). No manager: nothing for `rep.manager`, and a note (below).
    'r-solo checkin solo@acme.example 2027-03-08T09:00 UTC',
    'r-solo review solo@acme.example 2027-03-15T00:00 UTC',
    'r-solo review vp-sales@acme.example 2027-03-15T00:00 UTC',
    // A zone the tz database does not know (a typo): the rule's too, and a note (below).
    'r-typo checkin mgr-pago@acme.example 2027-03-07T22:00 Pacific/Pago_Pago',
    'r-typo checkin typo@acme.example 2027-03-08T09:00 UTC',
    'r-typo review mgr-pago@acme.example 2027-03-14T13:00 Pacific/Pago_Pago',
    'r-typo review typo@acme.example 2027-03-15T00:00 UTC',
    'r-typo review vp-sales@acme.example 2027-03-15T00:00 UTC',
  ]);
  const review = result.timeline.find((e): e is EmailEntry => e.kind === 'email' && e.to === 'mgr-berlin@acme.example' && e.template === 'review');
  expect(review?.subject).toBe('Review Pago 2027-W10 50%');
});

// Was: no note for r-solo (no zone) nor r-typo (a zone the tz database does not know): their
// times were silently the rule's.
test('notes name a rep whose manager a send cannot reach, once per send, a goal whose `for reps where` selects nobody, and each rep replayed in the rule\'s zone', () => {
  expect(result.notes).toEqual([
    'goal "Weekly bookings", rep r-solo, send "checkin": rep.manager is empty; not sent to it',
    'goal "Weekly bookings", rep r-solo, send "review": rep.manager is empty; not sent to it',
    'goal "EMEA bookings" ran for no rep in this window: no rep in the data source matches its `for reps where` (employed in its periods)',
    'rep r-solo has no time zone: replayed in the rule\'s zone (goal "Weekly bookings": UTC); ' +
      'set the rep\'s timezone (an IANA name such as Europe/Berlin) in the reps data for its own',
    'rep r-typo (time zone "Europe/Berlinn" is not one the tz database knows): replayed in the rule\'s zone (goal "Weekly bookings": UTC); ' +
      'set the rep\'s timezone (an IANA name such as Europe/Berlin) in the reps data for its own',
  ]);
  expect(result.timeline.some((e) => e.rule === 'EMEA bookings')).toBe(false);
});
