// parseFixed reads every statement's amounts, shares and rates: whatever the length of the text
// (its number fast path below 16 digits, BigInt of the text past it), it must read exactly the
// decimal written, scale included, and refuse anything that is not a plain decimal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFixed } from '../../src/money/fixed.js';

/** The reference: what the text says, by regular expression and BigInt of its digits. */
function reference(text: string): { units: bigint; scale: number } | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  return { units: BigInt(`${m[1]}${m[2]}${m[3] ?? ''}`), scale: (m[3] ?? '').length };
}

const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

describe('parseFixed', () => {
  it('reads plain decimals of 1 to 30 digits exactly, around the 15-digit fast path too', () => {
    const text = fc.tuple(fc.boolean(), digits(1, 18), fc.option(digits(1, 12), { nil: undefined }))
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`);
    fc.assert(fc.property(text, (t) => {
      expect(parseFixed(t)).toEqual(reference(t));
    }), { numRuns: 20_000 });
    for (const t of ['0', '-0', '0.0', '999999999999999', '9999999999999999', '99999999999999.9', '9007199254740993', '-9007199254740993.5',
      '0.000000000000000000001', '123456789012345', '1234567890123456', '12345678901234.5', '1234567890123.45']) {
      expect(parseFixed(t)).toEqual(reference(t));
    }
  });

  it('refuses what is not a plain decimal', () => {
    for (const t of ['', '-', '.5', '5.', '1.2.3', '1e5', ' 1', '1 ', '+1', '--1', '1,000', '0x10', '١٢']) {
      expect(parseFixed(t)).toBeNull();
    }
    fc.assert(fc.property(fc.string({ maxLength: 20 }), (t) => {
      expect(parseFixed(t)).toEqual(reference(t));
    }), { numRuns: 5_000 });
  });
});
