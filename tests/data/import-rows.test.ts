// The import's fast paths must never disagree with the schema they stand in for: the fast deal
// check accepts only what DealRecord accepts and returns what it returns, plain-amount micros
// equal toMicros, and the compact id index finds every repeated id with its first line.
import { describe, expect, it } from 'vitest';
import { fastDeal, microsOf } from '../../src/data/import-rows.js';
import { IdIndex } from '../../src/data/id-index.js';
import { toMicros } from '../../src/data/micros.js';
import { DealRecord } from '../../src/plan/records.js';

const base = { id: 'd1', rep: 'r1', amount: '100', currency: 'USD', stage: 'won' };

describe('fast deal check', () => {
  const variants: Record<string, string>[] = [
    base,
    { ...base, name: 'Acme, Inc', product: 'Core', source: 'web', type: 'renewal', closed_at: '2026-02-28', contact: 'a.b@x.example' },
    ...['0', '-0', '007', '12.5', '-12.500000', '999999999999.999999', '1234567890123', '1.1234567', '1e5', '.5', '5.', '+5', '1,000', '12.5.3', 'abc']
      .map((amount) => ({ ...base, amount })),
    ...['usd', 'US', 'USDX', 'U$D'].map((currency) => ({ ...base, currency })),
    ...['Won', 'pending', 'open', 'lost'].map((stage) => ({ ...base, stage })),
    ...['New', 'expansion', 'other'].map((type) => ({ ...base, type })),
    ...['2026-02-29', '2024-02-29', '2026-13-01', '2026-1-01', '26-01-01', '2026-04-31'].map((closed_at) => ({ ...base, closed_at })),
    ...['not-an-email', 'a@b', 'a@b.c', "o'neil@x.example", 'a..b@x.example', 'a@x.example.', 'a b@x.example'].map((contact) => ({ ...base, contact })),
    { id: 'd1', rep: 'r1', amount: '5', currency: 'USD' },
    ...[{ id: 'd'.repeat(200) }, { id: 'd'.repeat(201) }, { rep: 'r'.repeat(201) }].map((ids) => ({ ...base, ...ids })),
    { rep: 'r1', amount: '5', currency: 'USD', stage: 'won' },
  ];

  it('returns exactly the schema record for rows it accepts and leaves every other row to the schema', () => {
    let accepted = 0;
    for (const raw of variants) {
      const fast = fastDeal(raw);
      const schema = DealRecord.safeParse(raw);
      if (fast) {
        accepted++;
        expect(schema.success, JSON.stringify(raw)).toBe(true);
        expect(fast, JSON.stringify(raw)).toEqual(schema.data);
        expect(toMicros(String(fast.amount)).ok).toBe(true);
      }
    }
    // The common rows take the fast path (otherwise it saves nothing).
    expect(accepted).toBeGreaterThanOrEqual(12);
    expect(fastDeal({ ...base, amount: '1.1234567' })).toBeNull();
    expect(fastDeal({ ...base, contact: 'not-an-email' })).toBeNull();
  });

  it('plain-amount micros equal toMicros', () => {
    for (const amount of ['0', '-0', '007', '12.5', '-12.500000', '999999999999.999999', '9007199254.740993', '1234567890123.5']) {
      const exact = toMicros(amount);
      expect(exact.ok && exact.micros, amount).toBe(microsOf(amount));
    }
  });
});

describe('id index', () => {
  it('finds every repeated id with the line it was first on, across growth', () => {
    const index = new IdIndex();
    let repeated = 0;
    for (let i = 1; i <= 200_000; i++) if (index.firstLine(`D${i}`, i + 1) !== undefined) repeated++;
    expect(repeated).toBe(0);
    expect(index.firstLine('D1', 999_999)).toBe(2);
    expect(index.firstLine('D150000', 999_999)).toBe(150_001);
    expect(index.firstLine('d1', 5)).toBeUndefined();
    expect(index.firstLine('', 6)).toBeUndefined();
    expect(index.firstLine('', 7)).toBe(6);
  });
});
