// Back-to-back backtest windows list each goal email once. The midnight that ends `to` belongs to
// the window for the review of a period ending then, not for a check-in at 00:00 on the next day of
// a period still going on: that one is the next window's (it was listed by both, and the first
// window showed a check-in dated after its `--to`). Real Java time-skipping server, real SQLite file.
import fs from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BacktestResult } from '../../src/runtime/backtest/run.js';
import type { EmailEntry } from '../../src/runtime/backtest/timeline.js';
import { backtestFolder, goalProject } from './support/backtest.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let dir: string;
let firstWeek: BacktestResult;
let restOfMonth: BacktestResult;

const RULES = `
goal "March bookings" {
  measure revenue
  target 10_000 USD per month
  every monday at 00:00 {
    send "checkin" to rep
  }
  at end of period {
    send "review" to rep
  }
}
`;

beforeAll(async () => {
  const project = await goalProject('backtest-window-end', RULES, { checkin: 'Check-in {{progress.attainment}}', review: 'Review {{progress.period}}' }, [
    'r-kiri,Kiri,kiri@acme.example,AEs,AE,APAC,,Pacific/Kiritimati,2020-01-01',
    'r-pago,Pago,pago@acme.example,AEs,AE,APAC,,Pacific/Pago_Pago,2020-01-01',
  ]);
  dir = project.dir;
  const dbPath = project.dbPath;

  // 1 March 2027 is a Monday: the first window is that week, the second the rest of March.
  firstWeek = await backtestFolder(project.rulesDir, dbPath, '2027-03-01', '2027-03-07');
  restOfMonth = await backtestFolder(project.rulesDir, dbPath, '2027-03-08', '2027-03-31');
}, 240_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const listed = (result: BacktestResult) => result.timeline
  .filter((e): e is EmailEntry => e.kind === 'email')
  .map((e) => `${e.rep} ${e.template} ${e.local}`)
  .sort();

test("a check-in at 00:00 on the day after `to` is the next window's, in every zone", () => {
  expect(listed(firstWeek)).toEqual([
    'r-kiri checkin 2027-03-01T00:00',
    'r-pago checkin 2027-03-01T00:00',
  ]);
});

test('the next window lists it, and the review at the midnight ending its `to`', () => {
  const all = listed(restOfMonth);
  expect(all.filter((e) => e.includes('2027-03-08T00:00'))).toEqual([
    'r-kiri checkin 2027-03-08T00:00',
    'r-pago checkin 2027-03-08T00:00',
  ]);
  expect(all.filter((e) => e.includes(' review '))).toEqual([
    'r-kiri review 2027-04-01T00:00',
    'r-pago review 2027-04-01T00:00',
  ]);
  expect(all).toHaveLength(10); // four Mondays from the 8th and the review, for each rep
});
