import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromMicros, microsText, toMicros } from '../../src/data/micros.js';

describe('money as micros', () => {
  it('stores up to 6 decimals exactly and refuses more', () => {
    expect(toMicros('1500.50')).toEqual({ ok: true, micros: 1500500000n });
    expect(toMicros('-0.000001')).toEqual({ ok: true, micros: -1n });
    expect(toMicros('1.0000001')).toEqual({ ok: false, message: '1.0000001 has more than 6 decimal places' });
    expect(toMicros('9223372036854.775808').ok).toBe(false);
    expect(toMicros('12,5').ok).toBe(false);
  });

  it('turns micros back into plain decimal text exactly, for numbers, bigints and SQL text', () => {
    for (const [micros, text] of [[0, '0'], [1, '0.000001'], [-1, '-0.000001'], [1500500000, '1500.5'], [-2000000, '-2'], ['9223372036854775807', '9223372036854.775807']] as const) {
      expect(microsText(micros)).toBe(text);
      expect(fromMicros(BigInt(micros)).toFixed()).toBe(text);
    }
  });
});

describe('micros to text', () => {
  it('moves the decimal point exactly like Decimal division, for every int64', () => {
    fc.assert(fc.property(
      fc.oneof(fc.bigInt({ min: -9223372036854775807n, max: 9223372036854775807n }), fc.bigInt({ min: -20_000_000n, max: 20_000_000n })),
      (micros) => {
        expect(microsText(micros)).toBe(fromMicros(micros).toFixed());
        expect(microsText(micros.toString())).toBe(fromMicros(micros).toFixed());
      },
    ), { numRuns: 3000 });
    expect(() => microsText('12.5')).toThrow();
    expect(() => microsText('-')).toThrow();
  });
});
