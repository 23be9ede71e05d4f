// Properties of credited-deal facts on real SQLite files, with fast-check:
// - shares: whatever the split, the revenue credited over all reps is each deal's amount exactly;
// - conversion: a rep's revenue from foreign deals is Σ amount × rate × share exactly, as
//   decimal.js (60 significant digits, exact at these sizes) computes it.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { creditedAmount } from '../../src/data/credited.js';
import { microsFixed, numberMicrosText as microsText } from '../../src/data/micros.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { gatherFacts } from '../../src/data/facts.js';
import { formatProblem, importCsv, type ImportKind } from '../../src/data/import.js';
import { listReps } from '../../src/data/reps.js';
import { parseFixed, plainFixed } from '../../src/money/fixed.js';
import { Decimal } from '../../src/money/index.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { specRule } from '../payouts/spec-rule.js';
import { tempDir } from './tmp.js';

const REPS = ['r1', 'r2', 'r3', 'r4'];

/** A decimal string with up to `places` decimals and at most `max` units. */
const decimalText = (max: bigint, places: number, min = 0n) =>
  fc.tuple(fc.bigInt({ min, max }), fc.integer({ min: 0, max: places }))
    .map(([units, scale]) => new Decimal(units.toString()).div(new Decimal(10).pow(scale)).toFixed());

/** Shares of 100% among 1–4 distinct reps, with up to 4 decimals each (units of 0.0001%). */
const split = fc.tuple(fc.shuffledSubarray(REPS, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 4, maxLength: 4 }))
  .map(([reps, weights]) => {
    const total = weights.slice(0, reps.length).reduce((a, b) => a + b, 0);
    let left = 1_000_000;
    return reps.map((rep, i) => {
      const units = i === reps.length - 1 ? left : Math.max(1, Math.floor((weights[i] * 1_000_000) / total));
      left -= units;
      return { rep, share: new Decimal(units).div(10_000).toFixed() };
    }).filter((s) => Number(s.share) > 0);
  })
  .filter((shares) => shares.length > 0 && shares.reduce((a, s) => a.plus(s.share), new Decimal(0)).eq(100));

async function crm(files: Partial<Record<ImportKind, string>>): Promise<Db> {
  const db = await openDatabase(join(tempDir(), 'crm.db'));
  const reps = `id,name,email,role\n${REPS.map((r) => `${r},Rep ${r},${r}@acme.example,AE`).join('\n')}\n`;
  for (const [kind, text] of [['reps', reps], ...Object.entries(files)] as [ImportKind, string][]) {
    const r = await importCsv(db, kind, text, `${kind}.csv`);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  }
  return db;
}

async function revenueByRep(db: Db, rule: IncentiveRule): Promise<Map<string, string>> {
  const gathered = await gatherFacts(db, rule, await listReps(db), '2026-Q1');
  if (!gathered.ok) throw new Error(gathered.message);
  const out = new Map<string, string>();
  for (const [rep, facts] of gathered.facts) {
    const m = facts.metrics.revenue;
    out.set(rep, m.type === 'money' ? m.amount : 'none');
  }
  return out;
}

describe('credit splits', () => {
  it('credits every deal exactly once over all reps: Σ revenue = Σ deal amounts', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(decimalText(10n ** 12n, 6, 1n), fc.option(split, { nil: null }), fc.constantFrom(...REPS)), { minLength: 1, maxLength: 6 }),
      async (deals) => {
        const db = await crm({
          deals: `id,rep,amount,currency,stage,closed_at\n${deals.map(([amount, , owner], i) => `D${i},${owner},${amount},USD,won,2026-02-0${(i % 9) + 1}`).join('\n')}\n`,
          credits: `deal,rep,share,type\n${deals.flatMap(([, shares], i) => (shares ?? []).map((s) => `D${i},${s.rep},${s.share},revenue`)).join('\n')}\n`,
        });
        try {
          const revenue = await revenueByRep(db, specRule({ credit: 'splits' }));
          const credited = [...revenue.values()].reduce((a, v) => a.plus(v), new Decimal(0));
          const amounts = deals.reduce((a, [amount]) => a.plus(amount), new Decimal(0));
          expect(credited.toFixed()).toBe(amounts.toFixed());
        } finally {
          await db.close();
        }
      },
    ), { numRuns: 40 });
  });
});

describe('revenue facts', () => {
  it('a sum of whole deals below 2^53 micros is written as the exact decimal, as plainFixed writes it', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (micros) => {
      expect(microsText(micros)).toBe(plainFixed({ units: BigInt(micros), scale: 6 }));
    }), { numRuns: 5000 });
    for (const micros of [0, 1, -1, 10, 100000, 1000000, -1000000, 1234500000, 2 ** 52, -(2 ** 52)]) {
      expect(microsText(micros)).toBe(plainFixed({ units: BigInt(micros), scale: 6 }));
    }
  });

  it("a money fact's exact value beside its text is the text's value, scale included (the statement reads it instead of the text)", () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (micros) => {
      expect(microsFixed(micros)).toEqual(parseFixed(microsText(micros)));
    }), { numRuns: 5000 });
    for (const micros of [0, 1, -1, 10, -10, 100000, 1000000, -1000000, 1234500000, 2 ** 52, -(2 ** 52)]) {
      expect(microsFixed(micros)).toEqual(parseFixed(microsText(micros)));
    }
  });
});

describe('convert currencies at closing rate', () => {
  it('credited amount = amount × rate × share ÷ 100, digit for digit with decimal.js', () => {
    fc.assert(fc.property(
      decimalText(10n ** 18n, 6, 1n), decimalText(1_000_000n, 4, 1n), fc.option(decimalText(10n ** 10n, 8, 1n), { nil: null }),
      (amount, share, rate) => {
        const exact = creditedAmount(parseFixed(amount)!, parseFixed(share)!, rate === null ? null : parseFixed(rate)!);
        const reference = new Decimal(amount).times(rate ?? 1).times(share).div(100);
        expect(plainFixed(exact)).toBe(reference.toFixed());
      },
    ), { numRuns: 2000 });
  });

  it("a rep's revenue from EUR deals is the exact sum of each at the rate effective on its close", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(decimalText(10n ** 12n, 6, 1n), fc.integer({ min: 1, max: 90 })), { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(decimalText(10n ** 9n, 8, 1n), fc.integer({ min: 0, max: 89 })), { minLength: 1, maxLength: 4 }),
      async (deals, rates) => {
        const day = (n: number) => new Date(Date.UTC(2026, 0, n)).toISOString().slice(0, 10);
        const byDate = new Map(rates.map(([rate, d]) => [day(d + 1), rate]));
        const db = await crm({
          deals: `id,rep,amount,currency,stage,closed_at\n${deals.map(([amount, d], i) => `E${i},r1,${amount},EUR,won,${day(d)}`).join('\n')}\n`,
          rates: `currency,to,rate,from\n${[...byDate].map(([from, rate]) => `EUR,USD,${rate},${from}`).join('\n')}\n`,
        });
        try {
          const gathered = await gatherFacts(db, specRule({ convert: 'closing_rate' }), await listReps(db), '2026-Q1');
          if (!gathered.ok) throw new Error(gathered.message);
          const facts = gathered.facts.get('r1')!;
          let expected = new Decimal(0);
          const leftOut: string[] = [];
          deals.forEach(([amount, d], i) => {
            const effective = [...byDate.keys()].filter((from) => from <= day(d)).sort().pop();
            if (effective === undefined) leftOut.push(`E${i}`);
            else expected = expected.plus(new Decimal(amount).times(byDate.get(effective)!));
          });
          const revenue = facts.metrics.revenue;
          expect(revenue.type === 'money' ? new Decimal(revenue.amount).toFixed() : null).toBe(expected.toFixed());
          expect(facts.leftOut.map((d) => d.id).sort()).toEqual(leftOut.sort());
          expect(facts.credited?.every((c) => c.conversion !== undefined && byDate.get(c.conversion.from) === c.conversion.rate)).toBe(true);
        } finally {
          await db.close();
        }
      },
    ), { numRuns: 40 });
  });
});
