// `simulate` for all reps reads reps and the grouped deal scan side by side in id order; given an
// explicit rep list it takes the general way (reps, a map of facts, statements). Both must give
// the same statements, whatever the rule reads, whichever scan plan SQLite is told to use, and
// whatever characters rep ids hold.
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/data/db.js';
import { upsertDeal } from '../../src/data/deals.js';
import { computeMetrics } from '../../src/data/metrics.js';
import { statementsForPeriod } from '../../src/data/period-statements.js';
import { listReps, upsertRep } from '../../src/data/reps.js';
import { compareBinary } from '../../src/data/text-order.js';
import type { Expr, IncentiveRule, MetricDef } from '../../src/plan/schema.js';
import { bin, field, metric, num, specRule, str, usd } from '../payouts/spec-rule.js';
import { forEachDialect, type DialectTarget } from '../support/dialects.js';
import { tempDir } from './tmp.js';

// Ids in every part of the BINARY order: ASCII, Latin-1, U+E000–U+FFFF and above U+FFFF (surrogate pairs).
const REP_IDS = ['r1', 'r10', 'r2', 'R3', 'é4', '\uE000x', '\uFFFDy', '😀z', '𝔸w', 'r_no_deals', "o'brien"];

async function crm(target: DialectTarget, deals = 400): Promise<Db> {
  const db = await openDatabase(await target.fresh());
  for (const [i, id] of REP_IDS.entries()) {
    await upsertRep(db, {
      id, name: `Rep ${i}`, email: `rep${i}@acme.example`, team: i % 3 ? 'EMEA AEs' : null, role: i % 4 ? 'AE' : 'SE',
      region: i % 2 ? 'EMEA' : 'AMER', manager: null, timezone: null, start_date: null,
    });
  }
  let seed = 7;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const owners = [...REP_IDS.filter((id) => id !== 'r_no_deals'), 'ghost-rep'];
  for (let i = 0; i < deals; i++) {
    const stage = (['won', 'won', 'lost', 'open'] as const)[next(4)];
    const day = new Date(Date.UTC(2026, 0, 1 + next(200))).toISOString().slice(0, 10);
    await upsertDeal(db, {
      id: `D${i}`, rep: owners[next(owners.length)], name: null,
      amount: `${next(90000)}.${String(next(100)).padStart(2, '0')}`, currency: next(10) ? 'USD' : 'EUR', stage,
      product: (['Core', 'Analytics', null] as const)[next(3)], type: (['new', 'renewal', null] as const)[next(3)],
      source: null, closed_at: stage === 'open' && next(2) ? null : day, contact: null,
    });
  }
  return db;
}

const def = (name: string, where: Expr | null, aggregate: MetricDef['aggregate'], type: MetricDef['type'] = 'money'): MetricDef => ({
  name, aggregate, entity: 'deal', field: aggregate === 'count' ? null : 'deal.amount', where, type, source: { file: 'm.rules', line: 1 },
});
const won = bin('=', field('deal', 'stage'), str('won'));
// Arithmetic SQL cannot take: the evaluator fallback runs for this metric.
const doubled: Expr = { kind: 'binary', type: 'money', currency: 'USD', op: '*', left: field('deal', 'amount', 'money'), right: num('2') };

const rules: Record<string, IncentiveRule> = {
  spec: specRule(),
  allReps: specRule({ reps: null }),
  emea: specRule({ reps: bin('=', field('rep', 'region'), str('EMEA')), effective: { from: '2026-02-01', to: null } }),
  retroactive: specRule({ commission: { method: 'retroactive', bands: specRule().commission!.bands } }),
  custom: specRule({
    metrics: {
      analytics: def('analytics', bin('and', won, bin('=', field('deal', 'product'), str('Analytics'))), 'sum'),
      undated_open: def('undated_open', bin('=', field('deal', 'stage'), str('open')), 'count', 'number'),
      avg_core: def('avg_core', bin('=', field('deal', 'product'), str('Core')), 'avg'),
      big_by_js: def('big_by_js', bin('and', won, bin('>=', doubled, usd('100000'))), 'count', 'number'),
    },
    measure: { metric: 'analytics', builtin: false, type: 'money' },
    bonuses: [
      { id: 'b1', amount: { amount: '500', currency: 'USD' }, when: bin('and', bin('>=', metric('big_by_js'), num('1')), bin('=', field('rep', 'region'), str('EMEA'))), description: 'big and EMEA' },
      { id: 'b2', amount: { amount: '100', currency: 'USD' }, when: bin('>', metric('pipeline', 'money'), usd('1000')), description: 'pipeline' },
      { id: 'b3', amount: { amount: '50', currency: 'USD' }, when: bin('>=', metric('undated_open'), num('1')), description: 'undated' },
      { id: 'b4', amount: { amount: '10', currency: 'USD' }, when: bin('<', metric('avg_core', 'money'), usd('40000')), description: 'avg' },
    ],
    spiffs: [{ id: 's1', amount: { amount: '25', currency: 'USD' }, where: bin('=', field('rep', 'team'), str('EMEA AEs')), description: 'team spiff' }],
  }),
};

forEachDialect('statements for every rep in one pass', (target) => {
  it('equal the general way for every kind of rule, period and data size', async () => {
    for (const size of [40, 400]) {
      const db = await crm(target, size);
      const everyone = await listReps(db);
      for (const [name, rule] of Object.entries(rules)) {
        for (const period of ['2026-Q1', '2026-Q2']) {
          const streamed = await statementsForPeriod(db, rule, period);
          const general = await statementsForPeriod(db, rule, period, { reps: everyone });
          expect(streamed.ok, `${name} ${period}`).toBe(true);
          expect(streamed, `${name} ${period} (${size} deals)`).toEqual(general);
        }
      }
      await db.close();
    }
  });

  it('lists statements in the reps order of the general way and reports progress to the end', async () => {
    const db = await crm(target);
    const seen: [number, number][] = [];
    const result = await statementsForPeriod(db, rules.allReps, '2026-Q1', { onProgress: (done, total) => seen.push([done, total]) });
    if (!result.ok) throw new Error(result.message);
    expect(result.statements.map((s) => s.rep)).toEqual((await listReps(db)).map((r) => r.id));
    expect(seen.at(-1)).toEqual([REP_IDS.length, REP_IDS.length]);
    expect(result.statements.find((s) => s.rep === 'r_no_deals')).toMatchObject({ measure: '0.00', lines: [], total: '0.00' });
    await db.close();
  });

  it('period errors read the same as the general way', async () => {
    const db = await crm(target, 10);
    expect(await statementsForPeriod(db, rules.spec, '2026-03')).toEqual(await statementsForPeriod(db, rules.spec, '2026-03', { reps: await listReps(db) }));
    expect(await statementsForPeriod(db, rules.spec, '2027-Q1')).toMatchObject({ ok: false, message: expect.stringContaining('outside') });
    await db.close();
  });
});

forEachDialect('the deal scan plan', (target) => {
  it('gives the same metrics through a table pass (wide window) and through the index (few reps)', async () => {
    const db = await crm(target);
    const query = { window: { start: '2026-01-01', end: '2026-06-30' }, currency: 'USD', metrics: ['revenue', 'deals_won', 'win_rate', 'pipeline', 'avg_deal_size'], definitions: {} };
    const wide = await computeMetrics(db, query);
    for (const id of REP_IDS) {
      expect((await computeMetrics(db, { ...query, reps: [id] })).forRep(id)).toEqual(wide.forRep(id));
    }
    await db.close();
  });
});

describe('BINARY text order in JS', () => {
  it('orders strings exactly as SQLite ORDER BY does', async () => {
    const db = await openDatabase(join(tempDir(), 'order.db'));
    // SQLite's own order, read through the raw handle: the property runs hundreds of times.
    const raw = db.sqlite!;
    const insert = raw.prepare('INSERT INTO reps (id, name, email, updated_at) VALUES (?, ?, ?, ?)');
    const text = fc.string({ unit: fc.constantFrom('a', 'B', '_', 'é', '\uD7FF', '\uE000', '\uFFFD', '😀', '𝔸', '0'), maxLength: 4 });
    fc.assert(fc.property(fc.uniqueArray(text, { minLength: 1, maxLength: 12 }), (ids) => {
      raw.exec('DELETE FROM reps');
      for (const id of ids) insert.run(id, 'n', 'e@x.example', 'now');
      const sqlite = raw.prepare('SELECT id FROM reps ORDER BY id').pluck().all();
      expect([...ids].sort(compareBinary)).toEqual(sqlite);
    }), { numRuns: 200 });
    await db.close();
  });
});
