import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { column, openDatabase, sql } from '../../src/data/db.js';
import { upsertDeal } from '../../src/data/deals.js';
import { findRepsWhere, upsertRep } from '../../src/data/reps.js';
import { conditionToSql } from '../../src/data/sql-condition.js';
import { holds } from '../../src/plan/evaluate.js';
import type { DealRecord, RepRecord } from '../../src/plan/records.js';
import type { Expr } from '../../src/plan/schema.js';
import { bin, field, str, usd } from '../payouts/spec-rule.js';
import { tempDir } from './tmp.js';

const products = [null, 'Core', 'Analytics', "O'Brien"];
const regions = [null, 'EMEA', 'AMER'];

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.tuple(fc.constantFrom('=', '!=' as const), fc.constantFrom('product', 'stage', 'type', 'source'), fc.constantFrom('Core', 'Analytics', 'won', 'new', "O'Brien"))
    .map(([op, f, v]) => bin(op as '=' | '!=', field('deal', f), str(v))),
  fc.tuple(fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const), fc.constantFrom('0', '500', '1000.5', '20000'), fc.constantFrom('USD', 'EUR'))
    .map(([op, a, c]) => bin(op as '=', field('deal', 'amount', 'money'), { ...usd(a), currency: c, value: { type: 'money', value: { amount: a, currency: c } } } as Expr)),
  fc.tuple(fc.constantFrom('<', '>=' as const), fc.constantFrom('2026-01-15', '2026-02-01')).map(([op, d]) =>
    bin(op as '<', field('deal', 'closed_at', 'date'), { kind: 'literal', type: 'date', value: { type: 'date', value: d } })),
  fc.tuple(fc.boolean(), fc.subarray(['Core', 'Analytics', 'X'])).map(([negated, items]) =>
    ({ kind: 'in', type: 'bool', negated, operand: field('deal', 'product'), items: items.map(str) }) as Expr),
  fc.constantFrom('EMEA', 'AMER').map((r) => bin('=', field('rep', 'region'), str(r))),
);

const condition: fc.Arbitrary<Expr> = fc.letrec<{ c: Expr }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.tuple(fc.constantFrom('and', 'or' as const), tie('c'), tie('c')).map(([op, l, r]) => bin(op as 'and', l, r)),
    tie('c').map((operand): Expr => ({ kind: 'not', type: 'bool', operand })),
  ),
})).c;

describe('conditions in SQL mean what the evaluator means', () => {
  it('selects the same deals as evaluate.ts for random conditions over nulls, currencies and quotes', async () => {
    const db = await openDatabase(join(tempDir(), 'p.db'));
    const deals: DealRecord[] = [];
    const reps: RepRecord[] = ['r1', 'r2', 'r3'].map((id, i) => ({
      id, name: id, email: `${id}@x.example`, team: null, role: null, region: regions[i], manager: null, timezone: null, start_date: null,
    }));
    for (const r of reps) await upsertRep(db, r);
    let n = 0;
    for (const product of products) for (const stage of ['won', 'lost', 'open'] as const) for (const [amount, currency] of [['500', 'USD'], ['1000.5', 'EUR'], ['20000', 'USD']]) {
      const deal: DealRecord = {
        id: `D${n}`, rep: `r${(n % 4) + 1}`, name: null, amount, currency, stage, product, type: n % 3 ? 'new' : null,
        source: n % 2 ? null : 'webinar', closed_at: n % 5 ? `2026-0${1 + (n % 3)}-1${n % 10}` : null, contact: null,
      };
      n++;
      deals.push(deal);
      await upsertDeal(db, deal);
    }
    await fc.assert(
      fc.asyncProperty(condition, async (expr) => {
        const where = conditionToSql(expr);
        expect(where).not.toBeNull();
        const fromSql = await column(db, sql`SELECT d.id FROM deals d LEFT JOIN reps r ON r.id = d.rep WHERE ${sql.raw(where!.sql)} ORDER BY d.id`);
        const fromJs = deals.filter((deal) => holds(expr, { deal, rep: reps.find((r) => r.id === deal.rep) })).map((d) => d.id).sort();
        expect(fromSql).toEqual(fromJs);
      }),
      { numRuns: 400 },
    );
    await db.close();
  });
});

describe('rep conditions', () => {
  const repLeaf: fc.Arbitrary<Expr> = fc.tuple(fc.constantFrom('=', '!=' as const), fc.constantFrom('region', 'role', 'team'), fc.constantFrom('EMEA', 'AE', 'x'))
    .map(([op, f, v]) => bin(op as '=', field('rep', f), str(v)));
  const repCondition = fc.letrec<{ c: Expr }>((tie) => ({
    c: fc.oneof({ depthSize: 'small' }, repLeaf,
      fc.tuple(fc.constantFrom('and', 'or' as const), tie('c'), tie('c')).map(([op, l, r]) => bin(op as 'and', l, r)),
      tie('c').map((operand): Expr => ({ kind: 'not', type: 'bool', operand }))),
  })).c;

  it('findRepsWhere selects in SQL exactly the reps the evaluator selects', async () => {
    const db = await openDatabase(join(tempDir(), 'r.db'));
    const reps: RepRecord[] = [];
    let i = 0;
    for (const region of [null, 'EMEA', 'AMER']) for (const role of [null, 'AE']) for (const team of [null, 'x']) {
      const rep: RepRecord = { id: `r${i++}`, name: 'n', email: 'n@x.example', team, role, region, manager: null, timezone: null, start_date: null };
      reps.push(rep);
      await upsertRep(db, rep);
    }
    await fc.assert(fc.asyncProperty(repCondition, async (expr) => {
      expect((await findRepsWhere(db, expr)).map((r) => r.id)).toEqual(reps.filter((rep) => holds(expr, { rep })).map((r) => r.id).sort());
    }), { numRuns: 200 });
    await db.close();
  });
});
