// The record of goal runs begun (data/goal-runs.ts) on both data sources: several processes
// recording the same run at once leave one row and none fails, and the dispatch's rep pages leave
// out the reps whose run of the period has begun (so a goal's daily pass tries to start only the
// runs missing), while apply's count of matching reps still counts them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { dispatchActivities } from '../../src/activities/dispatch.js';
import { openDatabase } from '../../src/data/db.js';
import { goalRunsStartedAmong, recordGoalRunStarted } from '../../src/data/goal-runs.js';
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
});
