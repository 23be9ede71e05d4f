// `salesflow backtest` end to end, in process: a fixture quarter (rules, reps and deals CSVs, an
// event log) replayed on a real Java time-skipping server with the production workflows, the
// replay's in-process mail catcher (nodemailer up to the wire) and a real SQLite file. The timeline
// is compared structurally: which emails went to whom at what local time, and the statement
// totals; and the data source is left as it was.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countOf, openDatabase, sql } from '../../src/data/db.js';
import { recordEventOnce } from '../../src/data/events.js';
import { importCsv } from '../../src/data/import.js';
import { insertOutboxIfAbsent } from '../../src/data/outbox.js';
import { parseEvent } from '../../src/events/schema.js';
import type { BacktestResult } from '../../src/runtime/backtest/run.js';
import type { EmailEntry, StatementEntry } from '../../src/runtime/backtest/timeline.js';
import { backtestFolder } from './support/backtest.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const fixtures = new URL('../fixtures/backtest/', import.meta.url).pathname;
const read = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

let dir: string;
let dbPath: string;
let result: BacktestResult;
let before: { file: string; rows: Record<string, number> };

const TABLES = ['reps', 'deals', 'leads', 'events', 'statements', 'ledger', 'outbox', 'suppressions', 'caught_mail'];

async function snapshot(): Promise<{ file: string; rows: Record<string, number> }> {
  const db = await openDatabase(dbPath, { readonly: true });
  const rows: Record<string, number> = {};
  for (const t of TABLES) rows[t] = await countOf(db, sql`SELECT count(*) FROM ${sql.table(t)}`);
  await db.close();
  return { file: createHash('sha256').update(fs.readFileSync(dbPath)).digest('hex'), rows };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-backtest-'));
  dbPath = path.join(dir, 'salesflow.db');
  const db = await openDatabase(dbPath);
  expect(await importCsv(db, 'reps', read('reps.csv'), 'reps.csv')).toMatchObject({ ok: true });
  expect(await importCsv(db, 'deals', read('deals.csv'), 'deals.csv')).toMatchObject({ ok: true });
  for (const raw of JSON.parse(read('events.json')) as unknown[]) {
    const parsed = parseEvent(JSON.stringify(raw));
    if (!parsed.ok) throw new Error(parsed.message);
    await recordEventOnce(db, parsed.event);
  }
  // A real email already sent before the backtest: the replay must neither see nor touch it.
  await insertOutboxIfAbsent(db, {
    key: 'seq:webinar-follow-up:lead:L-1:s1:priya@northwind.example', workflow_id: 'seq:webinar-follow-up:lead:L-1',
    rule_id: 'webinar-follow-up', template: 'webinar-thanks', to_addr: 'priya@northwind.example', from_addr: 'ops@acme.example',
    subject: 'old', html: '', text: '', headers: {},
  }, 'sent');
  await db.close();
  before = await snapshot();

  result = await backtestFolder(path.join(fixtures, 'rules'), dbPath, '2026-07-01', '2026-09-30');
}, 240_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const emails = () => result.timeline.filter((e): e is EmailEntry => e.kind === 'email');
const statements = () => result.timeline.filter((e): e is StatementEntry => e.kind === 'statement');
const key = (e: EmailEntry) => `${e.rule} | ${e.rep} | ${e.to} | ${e.template} | ${e.local} ${e.zone}`;
const keysOf = (rule: string) => emails().filter((e) => e.rule === rule).map(key).sort();

/** Dates of a weekday (1 = Monday … 7 = Sunday) in 2026-Q3. */
function q3Days(isoWeekday: number): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(2026, 6, 1); t < Date.UTC(2026, 9, 1); t += 86_400_000) {
    if (((new Date(t).getUTCDay() + 6) % 7) + 1 === isoWeekday) days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

const reps = [
  { id: 'r-tevita', email: 'tevita@acme.example', zone: 'Pacific/Tongatapu', manager: 'mgr-apac@acme.example' },
  { id: 'r-nina', email: 'nina@acme.example', zone: 'America/New_York', manager: 'mgr-na@acme.example' },
];

describe('backtest of a fixture quarter (2026-Q3)', () => {
  test('every Monday 09:00 check-in arrives at 09:00 in each rep\'s own zone, and nothing for reps the goal does not select', () => {
    const checkins = keysOf('Monthly bookings').filter((k) => k.includes('goal-checkin'));
    expect(checkins).toEqual(
      reps.flatMap((r) => q3Days(1).map((d) => `Monthly bookings | ${r.id} | ${r.email} | goal-checkin | ${d}T09:00 ${r.zone}`)).sort(),
    );
    expect(emails().some((e) => e.rep === 'r-sam')).toBe(false);
  });

  test('the at-risk alert goes out at the local 50% point, judged on the deals closed by then', () => {
    // Nina closed 3,000 by 16 July (30% < 40%) and 9,000 more on 20 July: live, the alert went out.
    // Tevita closed 5,000 on 3 August (50%): no alert in August. Managers have no zone: the rule's (UTC).
    const atRisk = keysOf('Monthly bookings').filter((k) => k.includes('goal-at-risk'));
    expect(atRisk).toEqual([
      'Monthly bookings | r-nina | mgr-na@acme.example | goal-at-risk | 2026-07-16T16:00 UTC', // 12:00 EDT
      'Monthly bookings | r-nina | mgr-na@acme.example | goal-at-risk | 2026-08-16T16:00 UTC',
      'Monthly bookings | r-nina | mgr-na@acme.example | goal-at-risk | 2026-09-16T04:00 UTC', // 00:00 EDT, 30-day month
      'Monthly bookings | r-tevita | mgr-apac@acme.example | goal-at-risk | 2026-07-15T23:00 UTC', // 12:00 in Tonga (UTC+13)
      'Monthly bookings | r-tevita | mgr-apac@acme.example | goal-at-risk | 2026-09-15T11:00 UTC',
    ]);
    const nina = emails().find((e) => e.template === 'goal-at-risk' && e.local.startsWith('2026-07-16'));
    expect(nina?.subject).toBe('At risk, Nina Ortiz at 30%');
  });

  test('each month\'s review goes out at the local midnight that ends it, the last one included', () => {
    const reviews = keysOf('Monthly bookings').filter((k) => k.includes('goal-review'));
    expect(reviews).toEqual(
      reps.flatMap((r) => ['2026-08-01', '2026-09-01', '2026-10-01'].map((d) => `Monthly bookings | ${r.id} | ${r.email} | goal-review | ${d}T00:00 ${r.zone}`)).sort(),
    );
    const julyReview = emails().find((e) => e.template === 'goal-review' && e.rep === 'r-nina' && e.local.startsWith('2026-08-01'));
    expect(julyReview?.subject).toBe('Review of 2026-07, 120%');
    expect(julyReview?.at.slice(0, 16)).toBe('2026-08-01T04:00'); // exact to the minute (see docs/backtesting.md)
  });

  test('the scheduled sequence ticks every Friday at 15:00 in each rep\'s zone', () => {
    expect(keysOf('Friday prep')).toEqual(
      reps.flatMap((r) => q3Days(5).map((d) => `Friday prep | ${r.id} | ${r.email} | friday-prep | ${d}T15:00 ${r.zone}`)).sort(),
    );
  });

  test('event-triggered sequences start at the logged times and stop on the logged stop events', () => {
    expect(keysOf('Webinar follow-up')).toEqual([
      // Created 10:00 UTC on 8 July (London, BST): thanks at once, the case study two days later.
      'Webinar follow-up | r-nina | priya@northwind.example | case-study | 2026-07-10T11:00 Europe/London',
      'Webinar follow-up | r-nina | priya@northwind.example | webinar-thanks | 2026-07-08T11:00 Europe/London',
      // Replied the next day: no case study. The June event is before the window; ev-4 is not a webinar lead.
      'Webinar follow-up | r-tevita | tom@globex.example | webinar-thanks | 2026-07-20T15:00 Asia/Kolkata',
    ]);
    expect(result.counts.events).toBe(4);
  });

  test('a statement per rep and month at the month\'s end in the rule\'s zone, with the statement function\'s totals', () => {
    expect(statements().map((s) => `${s.at} ${s.rule} ${s.rep} ${s.period} ${s.total} ${s.currency}`).sort()).toEqual([
      '2026-08-01T00:00:00.000Z AE commission r-nina 2026-07 1400.00 USD', // 10% of 10,000 + 20% of 2,000
      '2026-08-01T00:00:00.000Z AE commission r-tevita 2026-07 0.00 USD',
      '2026-09-01T00:00:00.000Z AE commission r-nina 2026-08 0.00 USD',
      '2026-09-01T00:00:00.000Z AE commission r-tevita 2026-08 500.00 USD',
      '2026-10-01T00:00:00.000Z AE commission r-nina 2026-09 400.00 USD',
      '2026-10-01T00:00:00.000Z AE commission r-tevita 2026-09 0.00 USD',
    ]);
  });

  test('the timeline is in time order and each entry has exactly the documented fields', () => {
    const times = result.timeline.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    for (const e of result.timeline) {
      expect(Object.keys(e).sort()).toEqual(
        e.kind === 'email'
          ? ['at', 'kind', 'local', 'rep', 'rule', 'subject', 'template', 'to', 'zone']
          : ['at', 'currency', 'kind', 'period', 'rep', 'rule', 'total'],
      );
    }
  });

  test('the real data source is exactly as it was: nothing recorded, sent, approved or paid', async () => {
    expect(await snapshot()).toEqual(before);
  });
});
