// The record of goal runs begun (data/goal-runs.ts) on both data sources: several processes
// recording the same run at once leave one row and none fails, and the dispatch's rep pages leave
// out the reps whose run of the period has begun (so a goal's daily pass tries to start only the
// runs missing), while apply's count of matching reps still counts them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { dispatchActivities } from '../../src/activities/dispatch.js';
import { openDatabase } from '../../src/data/db.js';
import { forgetGoalRunsEndedBefore, goalRunsStartedAmong, recordGoalRunStarted } from '../../src/data/goal-runs.js';
import { upsertRep } from '../../src/data/reps.js';
import type { RepRecord } from '../../src/plan/records.js';
import { goalRule } from '../workflows/support/rules.js';
import { forEachDialect } from '../support/dialects.js';

const child = fileURLToPath(new URL('../support/race-child.mjs', import.meta.url));

function racer(target: string, startAt: number, who: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, target, 'goal-run', String(startAt), String(who)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as string) : reject(new Error(`racer ${who} exited ${code}: ${err}`))));
  });
}

const rep = (id: string): RepRecord => ({
  id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'AEs', role: 'AE', region: 'EMEA', manager: null, timezone: 'Europe/Berlin', start_date: null,
});

forEachDialect('goal runs begun', (target) => {
  it('four processes recording the same run at once: all succeed, one row', async () => {
    const url = await target.fresh();
    (await openDatabase(url)).close();
    const startAt = Date.now() + 1500;
    expect(await Promise.all([0, 1, 2, 3].map((who) => racer(url, startAt, who)))).toEqual(['recorded', 'recorded', 'recorded', 'recorded']);
    const db = await openDatabase(url);
    try {
      const rows = await db.kysely.selectFrom('goal_runs_started').selectAll().execute();
      expect(rows.map((r) => [r.rule_id, r.period, r.rep_id])).toEqual([['q-bookings', '2026-Q4', 'r1']]);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('a goal\'s rep pages leave out reps whose run of that period has begun; another period or goal, and apply\'s count, still have them', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) await upsertRep(db, rep(id));
      const goal = goalRule({ id: 'q-bookings', period: 'quarter', target: '100000', checkpoints: [], templates: [] });
      await recordGoalRunStarted(db, { ruleId: goal.id, period: '2026-Q4', repId: 'r2' }, new Date('2026-10-01T00:00:00Z'));
      await recordGoalRunStarted(db, { ruleId: goal.id, period: '2026-Q4', repId: 'r4' }, new Date('2026-10-01T00:00:00Z'));
      await recordGoalRunStarted(db, { ruleId: goal.id, period: '2026-Q4', repId: 'r4' }, new Date('2026-10-02T00:00:00Z'));
      const { dispatchReps } = dispatchActivities({ db });
      const ids = async (input: Parameters<typeof dispatchReps>[0]) => (await dispatchReps(input)).reps.map((r) => r.id);
      expect(await ids({ rule: goal, period: '2026-Q4', afterRepId: '', limit: 100 })).toEqual(['r1', 'r3', 'r5']);
      // Paging from a cursor past a begun rep.
      expect(await ids({ rule: goal, period: '2026-Q4', afterRepId: 'r1', limit: 1 })).toEqual(['r3']);
      expect(await ids({ rule: goal, period: '2027-Q1', afterRepId: '', limit: 100 })).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
      expect(await ids({ rule: { ...goal, id: 'other' }, period: '2026-Q4', afterRepId: '', limit: 100 })).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
      expect(await ids({ rule: goal, period: '2026-Q4', afterRepId: '', limit: 100, includeStarted: true })).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
      expect([...await goalRunsStartedAmong(db, [goal.id], '2026-Q4', ['r1', 'r2', 'r3', 'r4', 'r5'])].sort()).toEqual(['r2', 'r4']);
    } finally {
      await db.close();
    }
  });

  // The table kept a row per rep and period for ever. The clock here is the period a pass is for
  // (as a schedule's fire time picks it): never the day the test runs.
  it('a goal\'s daily pass forgets the runs of periods over for more than five weeks before its own began; the current and recent ones stay', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      for (const id of ['r1', 'r2']) await upsertRep(db, rep(id));
      const goal = goalRule({ id: 'q-bookings', period: 'quarter', target: '100000', checkpoints: [], templates: [] });
      const at = new Date('2026-01-01T00:00:00Z');
      const begun = [
        ['q-bookings', '2025-Q4'], ['q-bookings', '2026-Q1'], ['q-bookings', '2026-Q2'],
        // Another goal, removed since, and a weekly one: the same retention, whatever the kind.
        ['gone-goal', '2025-Q3'], ['weekly', '2026-W08'], ['weekly', '2026-W09'],
      ];
      for (const [ruleId, period] of begun) await recordGoalRunStarted(db, { ruleId, period, repId: 'r1' }, at);
      const rows = async () => (await db.kysely.selectFrom('goal_runs_started').select(['rule_id', 'period']).orderBy('rule_id').orderBy('period').execute())
        .map((r) => `${r.rule_id} ${r.period}`);
      const { dispatchReps } = dispatchActivities({ db });

      // Apply's count (includeStarted) and a later page of a pass only read.
      await dispatchReps({ rule: goal, period: '2026-Q2', afterRepId: '', limit: 100, includeStarted: true });
      await dispatchReps({ rule: goal, period: '2026-Q2', afterRepId: 'r1', limit: 100 });
      expect(await rows()).toHaveLength(6);

      // The pass for 2026-Q2 (begun 1 April): periods whose last day is before 25 February go.
      const page = await dispatchReps({ rule: goal, period: '2026-Q2', afterRepId: '', limit: 100 });
      expect(await rows()).toEqual(['q-bookings 2026-Q1', 'q-bookings 2026-Q2', 'weekly 2026-W09']);
      // The period under way still leaves out the rep whose run has begun.
      expect(page.reps.map((r) => r.id)).toEqual(['r2']);

      // The boundary: a period whose last day is the day before the cutoff goes, one ending on it stays.
      expect(await forgetGoalRunsEndedBefore(db, '2026-03-31')).toBe(1); // weekly 2026-W09 ended 1 March
      expect(await forgetGoalRunsEndedBefore(db, '2026-03-31')).toBe(0);
      expect(await rows()).toEqual(['q-bookings 2026-Q1', 'q-bookings 2026-Q2']);
      expect(await forgetGoalRunsEndedBefore(db, '2026-04-01')).toBe(1);
      expect(await rows()).toEqual(['q-bookings 2026-Q2']);
    } finally {
      await db.close();
    }
  });
});
