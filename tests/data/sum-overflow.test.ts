// A rep's deals summing past int64 micros (9,223,372,036,854.775807 major units: one quarter of a
// large IDR pipeline) used to crash every statement on SQLite with "integer overflow" (SQLite's
// SUM stops at int64; PostgreSQL sums as NUMERIC). The statements now come out exact, digit for
// digit the same on both data sources: for all reps streamed and for an explicit rep list, on the
// plain grouped scan and on the credited (credit splits, convert) one.
import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type Db } from '../../src/data/db.js';
import { formatProblem, importCsv, type ImportKind } from '../../src/data/import.js';
import { statementsForPeriod } from '../../src/data/period-statements.js';
import { listReps } from '../../src/data/reps.js';
import { resumeOnOverflow, joinSplitSum, sumTextSql } from '../../src/data/wide-sums.js';
import type { Expr, IncentiveRule, MetricDef } from '../../src/plan/schema.js';
import type { Statement } from '../../src/payouts/statement.js';
import { bin, field, metric, specRule, str } from '../payouts/spec-rule.js';
import { forEachDialect, type DialectTarget } from '../support/dialects.js';

async function load(db: Db, kind: ImportKind, text: string): Promise<void> {
  const result = await importCsv(db, kind, text, `${kind}.csv`);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
}

// 2^62 micros: two of them are exactly 2^63 micros, one past the largest int64.
const HALF = '4611686018427.387904';

/**
 * a0 (small, before the others), r1 (three deals of 5 trillion IDR and a split deal it owns), r2
 * (40% of that split, a USD deal converted at 16000.5), r3 (two new deals of 2^62 micros), z9 (small).
 */
async function crm(target: DialectTarget): Promise<Db> {
  const db = await openDatabase(await target.fresh());
  await load(db, 'reps', 'id,name,email,role\na0,A Zero,a0@acme.example,AE\nr1,Rep One,r1@acme.example,AE\nr2,Rep Two,r2@acme.example,AE\nr3,Rep Three,r3@acme.example,AE\nz9,Zed,z9@acme.example,AE\n');
  await load(db, 'deals', [
    'id,rep,amount,currency,stage,product,type,closed_at',
    'A1,a0,1000.5,IDR,won,Core,renewal,2026-01-10',
    'D1,r1,5000000000000.123457,IDR,won,Core,renewal,2026-01-15',
    'D2,r1,5000000000000.123457,IDR,won,Analytics,renewal,2026-02-15',
    'D3,r1,5000000000000.123457,IDR,won,Core,renewal,2026-03-15',
    'S1,r1,1000000000000.5,IDR,won,Core,renewal,2026-03-20',
    'U1,r2,600000000,USD,won,Core,renewal,2026-02-01',
    `N1,r3,${HALF},IDR,won,Core,new,2026-01-20`,
    `N2,r3,${HALF},IDR,won,Core,new,2026-02-20`,
    'Z1,z9,2.25,IDR,won,Core,new,2026-03-01',
  ].join('\n') + '\n');
  await load(db, 'credits', 'deal,rep,share,type\nS1,r1,60,revenue\nS1,r2,40,revenue\n');
  await load(db, 'rates', 'currency,to,rate,from\nUSD,IDR,16000.5,2026-01-01\n');
  return db;
}

const idr = (amount: string) => ({ amount, currency: 'IDR' });
const base = specRule({
  reps: null,
  currency: 'IDR',
  target: { type: 'money', value: idr('20000000000000') },
  commission: { method: 'marginal', bands: [{ upTo: '100', rate: '8' }, { upTo: null, rate: '10' }] },
  bonuses: [],
  rewards: [],
  cap: null,
  spiffs: [{ id: 'spiff-1', amount: idr('250'), where: null, description: 'spiff 250 IDR per won deal' }],
});
const newRevenue: IncentiveRule = { ...base, measure: { metric: 'new_revenue', builtin: true, type: 'money' } };
const credited: IncentiveRule = { ...base, credit: 'splits', convert: 'closing_rate' };
const def = (name: string, where: Expr | null, aggregate: MetricDef['aggregate']): MetricDef => ({
  name, aggregate, entity: 'deal', field: 'deal.amount', where, type: 'money', source: { file: 'm.rules', line: 1 },
});
const idrLiteral = (amount: string): Expr => ({ kind: 'literal', type: 'money', currency: 'IDR', value: { type: 'money', value: idr(amount) } });
/** Custom sum and average metrics, summed in SQL too. */
const custom: IncentiveRule = {
  ...base,
  metrics: {
    core: def('core', bin('and', bin('=', field('deal', 'stage'), str('won')), bin('=', field('deal', 'product'), str('Core'))), 'sum'),
    avg_all: def('avg_all', null, 'avg'),
  },
  measure: { metric: 'core', builtin: false, type: 'money' },
  bonuses: [{ id: 'b1', amount: idr('1000'), when: bin('>=', metric('avg_all', 'money'), idrLiteral('4000000000000')), description: 'big deals on average' }],
};

/** rep → [measure, total]: the figures a rep reads on the statement (the measure shown cut to minor units). */
const figures = (statements: Statement[]) => Object.fromEntries(statements.map((s) => [s.rep, [s.measure, s.total]]));

/** All reps streamed and the explicit rep list (and one rep alone, as a payout computes it) must agree. */
async function statements(db: Db, rule: IncentiveRule): Promise<Statement[]> {
  const streamed = await statementsForPeriod(db, rule, '2026-Q1');
  if (!streamed.ok) throw new Error(streamed.message);
  const reps = await listReps(db);
  const listed = await statementsForPeriod(db, rule, '2026-Q1', { reps });
  expect(listed).toEqual(streamed);
  for (const rep of reps) {
    const one = await statementsForPeriod(db, rule, '2026-Q1', { reps: [rep] });
    expect(one.ok && one.statements).toEqual(streamed.statements.filter((s) => s.rep === rep.id));
  }
  return streamed.statements;
}

forEachDialect('sums past int64 micros', (target) => {
  it('give exact statements on the plain grouped scan (revenue, new_revenue)', async () => {
    const db = await crm(target);
    try {
      // r1: 3 × 5000000000000.123457 + 1000000000000.5 at 8% (below the target), and 250 a won deal.
      expect(figures(await statements(db, base))).toEqual({
        a0: ['1000.50', '330.04'],
        r1: ['16000000000000.87', '1280000001000.07'],
        r2: ['0.00', '0.00'],
        r3: ['9223372036854.77', '737869763448.38'],
        z9: ['2.25', '250.18'],
      });
      expect(figures(await statements(db, newRevenue))).toEqual({
        a0: ['0.00', '250.00'],
        r1: ['0.00', '1000.00'],
        r2: ['0.00', '0.00'],
        r3: ['9223372036854.77', '737869763448.38'],
        z9: ['2.25', '250.18'],
      });
    } finally {
      await db.close();
    }
  });

  it('give exact statements with custom sum and average metrics', async () => {
    const db = await crm(target);
    try {
      // r1: D1 + D3 + S1 at 8%, 4 spiffs, and its average deal (4000000000000.2175...) earns the bonus; r3's too.
      expect(figures(await statements(db, custom))).toEqual({
        a0: ['1000.50', '330.04'],
        r1: ['11000000000000.74', '880000002000.06'],
        r2: ['0.00', '0.00'],
        r3: ['9223372036854.77', '737869764448.38'],
        z9: ['2.25', '250.18'],
      });
    } finally {
      await db.close();
    }
  });

  it('give exact statements on the credited scan (credit splits, convert)', async () => {
    const db = await crm(target);
    try {
      // r1: its own deals and 60% of S1; r2: 40% of S1 and 600000000 USD × 16000.5 (8%); spiffs by share.
      expect(figures(await statements(db, credited))).toEqual({
        a0: ['1000.50', '330.04'],
        r1: ['15600000000000.67', '1248000000900.05'],
        r2: ['10000300000000.20', '800024000350.02'],
        r3: ['9223372036854.77', '737869763448.38'],
        z9: ['2.25', '250.18'],
      });
    } finally {
      await db.close();
    }
  });

  it('resume the streamed scans after the reps already handed out when a later rep overflows', async () => {
    const db = await crm(target);
    try {
      // More reps before r1 than a batch of either cursor (10,000 plain, 2,000 credited): their
      // statements are handed out before r1's sum overflows.
      const many = Array.from({ length: 10_001 }, (_, i) => `a${String(i + 1).padStart(5, '0')}`);
      await load(db, 'reps', `id,name,email,role\n${many.map((id) => `${id},${id},${id}@acme.example,AE`).join('\n')}\n`);
      await load(db, 'deals', `id,rep,amount,currency,stage,closed_at\n${many.map((id, i) => `M${i},${id},${i + 1}.5,IDR,won,2026-02-01`).join('\n')}\n`);
      for (const rule of [base, credited]) {
        const streamed = await statementsForPeriod(db, rule, '2026-Q1');
        if (!streamed.ok) throw new Error(streamed.message);
        expect(streamed.statements).toHaveLength(many.length + 5);
        const got = figures(streamed.statements);
        expect(got.a10001).toEqual(['10001.50', '1050.12']);
        expect(got.r3).toEqual(['9223372036854.77', '737869763448.38']);
        expect(got.r1).toEqual(rule === base ? ['16000000000000.87', '1280000001000.07'] : ['15600000000000.67', '1248000000900.05']);
        const listed = await statementsForPeriod(db, rule, '2026-Q1', { reps: await listReps(db) });
        expect(listed).toEqual(streamed);
      }
    } finally {
      await db.close();
    }
  });

  it('resume a streamed scan after the rows already handed out when SQLite overflows part way', async () => {
    const db = await crm(target);
    try {
      const query = (split: boolean) => sql.raw(`SELECT rep, ${sumTextSql('amount_micros', split)} FROM deals WHERE currency = 'IDR' GROUP BY rep ORDER BY rep`).compile(db.kysely);
      const rows: unknown[][] = [];
      // One row a batch: a0's row is handed out before r1's sum overflows.
      for await (const batch of resumeOnOverflow(db, query(false), () => query(true), (row) => { row[1] = joinSplitSum(row[1]); }, 1)) rows.push(...batch);
      expect(rows.map((r) => [r[0], String(r[1])])).toEqual([
        ['a0', '1000500000'],
        ['r1', '16000000000000870371'],
        ['r3', '9223372036854775808'],
        ['z9', '2250000'],
      ]);
      expect(joinSplitSum('-3 -5')).toBe(String(-3n * 4294967296n - 5n));
    } finally {
      await db.close();
    }
  });
});
