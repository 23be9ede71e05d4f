// Two backtests of the same rules on the same data print the same JSON (docs/backtesting.md, "In
// review": a diff of the two shows exactly what a change alters). The send time the mail catcher
// sees is the test server's clock, which runs on with real time while work is in flight, so the
// same check-in is stamped 09:00:00 in one replay and 09:00:01 in the next. Before, `at` carried
// that second, and the timeline's order (time, then rule, rep, recipient) changed with it.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openDatabase, type Db } from '../../src/data/db.js';
import { upsertRep } from '../../src/data/reps.js';
import type { Plan } from '../../src/plan/schema.js';
import { emailEntries, sortTimeline } from '../../src/runtime/backtest/timeline.js';
import { parseWindow } from '../../src/runtime/backtest/window.js';

let db: Db;
beforeEach(async () => {
  db = await openDatabase(':memory:');
});
afterEach(async () => {
  await db.close();
});

test('the same sends stamped a second apart in two replays give the same timeline, to the minute', async () => {
  const parsed = parseWindow('2026-03-01', '2026-03-31');
  if (!parsed.ok) throw new Error(parsed.message);
  const plan = { rules: [{ kind: 'goal', id: 'weekly', name: 'Weekly', timezone: 'UTC' }] } as unknown as Plan;
  const reps = [['r-a', 'Asia/Kathmandu'], ['r-b', 'Asia/Kathmandu']] as const;
  for (const [id, timezone] of reps) {
    await upsertRep(db, { id, name: id, email: `${id}@acme.example`, team: 'AEs', role: 'AE', region: 'APAC', manager: null, timezone, start_date: null });
  }
  // Monday 2 March 2026, 09:00 in Kathmandu (UTC+05:45).
  const due = '2026-03-02T03:15:00.000Z';
  for (const [id] of reps) {
    const workflowId = `goal:weekly:${id}:2026-W10`;
    await db.kysely.insertInto('outbox').values({
      key: `${workflowId}:send-checkin@${due}:${id}@acme.example`, workflow_id: workflowId, rule_id: 'weekly', template: 'checkin',
      to_addr: `${id}@acme.example`, from_addr: 'ops@acme.example', subject: 'Check-in', html: '', text: '', headers: '{}',
      status: 'sent', message_id: `<${id}@test>`, error: null, created_at: due, sent_at: due, claimed_by: null, claimed_until: null,
    }).execute();
  }
  const replay = async (stamps: Record<string, number>) => sortTimeline(await emailEntries(db, plan, parsed.window, new Map(
    Object.entries(stamps).map(([id, late]) => [`<${id}@test>`, Date.parse(due) + late]),
  )));
  const first = await replay({ 'r-a': 1_000, 'r-b': 0 });
  const second = await replay({ 'r-a': 0, 'r-b': 2_000 });
  expect(second).toEqual(first);
  expect(first.map((e) => [e.at, e.rep, e.kind === 'email' ? e.local : ''])).toEqual([
    [due, 'r-a', '2026-03-02T09:00'],
    [due, 'r-b', '2026-03-02T09:00'],
  ]);
});
