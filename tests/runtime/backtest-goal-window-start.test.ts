// A backtest whose window opens while goal periods are running: the replay starts those runs as the
// window begins in UTC+14, so the goal workflow's late start fires what fell due before it (an
// `at 50% of period` alert evaluated late, a check-in within its grace hour). Those belong to the
// past the window does not cover and must not be listed, even for a rep in UTC+14 whose local time
// of that catch-up is inside the window. Real Java time-skipping server, real SQLite file.
import fs from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BacktestResult } from '../../src/runtime/backtest/run.js';
import type { EmailEntry } from '../../src/runtime/backtest/timeline.js';
import { backtestFolder, goalProject } from './support/backtest.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let dir: string;
let result: BacktestResult;

const RULES = `
goal "March bookings" {
  measure revenue
  target 10_000 USD per month
  every day at 23:30 {
    send "checkin" to rep
  }
  at 50% of period when attainment < 40% {
    send "at-risk" to rep
  }
}
`;

beforeAll(async () => {
  const project = await goalProject('backtest-window-start', RULES, { checkin: 'Check-in {{progress.attainment}}', 'at-risk': 'At risk {{progress.attainment}}' }, [
    'r-kiri,Kiri,kiri@acme.example,AEs,AE,APAC,,Pacific/Kiritimati,2020-01-01',
    'r-pago,Pago,pago@acme.example,AEs,AE,APAC,,Pacific/Pago_Pago,2020-01-01',
  ]);
  dir = project.dir;
  const dbPath = project.dbPath;

  // The 50% point of March is the 16th at 12:00; the window opens on Saturday 20 March.
  result = await backtestFolder(project.rulesDir, dbPath, '2027-03-20', '2027-03-21');
}, 240_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a window opening mid-period lists only what fell due inside it, in every zone', () => {
  const listed = result.timeline
    .filter((e): e is EmailEntry => e.kind === 'email')
    .map((e) => `${e.rep} ${e.template} ${e.local} ${e.zone}`)
    .sort();
  // No at-risk alert: it was due on 16 March, before the window, also in Kiritimati. No check-in of
  // 19 March 23:30 in Kiritimati either (due half an hour before the window opened there).
  expect(listed).toEqual([
    'r-kiri checkin 2027-03-20T23:30 Pacific/Kiritimati',
    'r-kiri checkin 2027-03-21T23:30 Pacific/Kiritimati',
    'r-pago checkin 2027-03-20T23:30 Pacific/Pago_Pago',
    'r-pago checkin 2027-03-21T23:30 Pacific/Pago_Pago',
  ]);
});
