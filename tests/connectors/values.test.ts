// CRM values as the vendors write them → salesflow's: exact amounts, calendar days in the
// mapping's time zone (independent of the zone the test runs in), instants for ordering.
import { describe, expect, it } from 'vitest';
import { parseAmount, parseDate, parseInstant, readInstant } from '../../src/connectors/values.js';

describe('parseAmount', () => {
  it('keeps the exact digits and reads a currency written beside the amount', () => {
    expect(parseAmount('1500.50')).toEqual({ ok: true, value: { amount: '1500.50', currency: null } });
    expect(parseAmount('1,234,567.89')).toEqual({ ok: true, value: { amount: '1234567.89', currency: null } });
    expect(parseAmount('USD 48,000.00')).toEqual({ ok: true, value: { amount: '48000.00', currency: 'USD' } });
    expect(parseAmount('99.95 EUR')).toEqual({ ok: true, value: { amount: '99.95', currency: 'EUR' } });
    expect(parseAmount('€1,500.00')).toEqual({ ok: true, value: { amount: '1500.00', currency: 'EUR' } });
    expect(parseAmount('£ 20')).toEqual({ ok: true, value: { amount: '20', currency: 'GBP' } });
    expect(parseAmount('EUR €20')).toEqual({ ok: true, value: { amount: '20', currency: 'EUR' } });
    // $ is the dollar of many countries, ¥ the yen and the yuan: they name no currency.
    expect(parseAmount('$1,500')).toEqual({ ok: true, value: { amount: '1500', currency: null } });
    expect(parseAmount('CAD $15')).toEqual({ ok: true, value: { amount: '15', currency: 'CAD' } });
    expect(parseAmount('USD 5 EUR')).toEqual({ ok: false, message: '"USD 5 EUR" names two currencies, USD and EUR' });
    expect(parseAmount(125000.5)).toEqual({ ok: true, value: { amount: '125000.5', currency: null } });
  });

  it('reads the scientific form Salesforce writes from ten million up (a Java double) by moving digits, exactly', () => {
    expect(parseAmount('1.0E7')).toEqual({ ok: true, value: { amount: '10000000', currency: null } });
    expect(parseAmount('1.23456789012E7')).toEqual({ ok: true, value: { amount: '12345678.9012', currency: null } });
    expect(parseAmount('-2.5E8')).toEqual({ ok: true, value: { amount: '-250000000', currency: null } });
    expect(parseAmount('1.5E-3')).toEqual({ ok: true, value: { amount: '0.0015', currency: null } });
    expect(parseAmount('1.5E400')).toEqual({ ok: false, message: '"1.5E400" is out of range for an amount' });
  });

  it('reads amounts grouped in lakhs and crores, as an Indian locale writes them (were refused)', () => {
    expect(parseAmount('1,50,000.00')).toEqual({ ok: true, value: { amount: '150000.00', currency: null } });
    expect(parseAmount('INR 12,34,56,789.50')).toEqual({ ok: true, value: { amount: '123456789.50', currency: 'INR' } });
    expect(parseAmount('1,5,000')).toMatchObject({ ok: false });
  });

  it('reads the rupee sign as INR, as a Zoho CRM account in India writes its currency (was refused as no amount), and other signs of one currency', () => {
    expect(parseAmount('₹1,50,000.00')).toEqual({ ok: true, value: { amount: '150000.00', currency: 'INR' } });
    expect(parseAmount('₹ 2,500')).toEqual({ ok: true, value: { amount: '2500', currency: 'INR' } });
    expect(parseAmount('INR ₹1,000')).toEqual({ ok: true, value: { amount: '1000', currency: 'INR' } });
    expect(parseAmount('R$ 1,200.50')).toEqual({ ok: true, value: { amount: '1200.50', currency: 'BRL' } });
    expect(parseAmount('₩5,000,000')).toEqual({ ok: true, value: { amount: '5000000', currency: 'KRW' } });
    expect(parseAmount('₺750')).toEqual({ ok: true, value: { amount: '750', currency: 'TRY' } });
    expect(parseAmount('USD ₹5')).toEqual({ ok: false, message: '"USD ₹5" names two currencies, USD and INR' });
    // "Rs." is the rupee of India, Pakistan, Sri Lanka and Nepal: it names none of them.
    expect(parseAmount('Rs. 1,50,000.00')).toEqual({ ok: false, message: 'expected an amount like 1500.50, got "Rs. 1,50,000.00" ("Rs." names no one currency: send the amount without it, and the currency as its code)' });
  });

  it('refuses an amount written with a decimal comma, saying so, rather than guessing which comma it is', () => {
    const hint = ' (a decimal comma? amounts are read with a decimal point: set the CRM user\'s or the export\'s number format to 1,500.50)';
    expect(parseAmount('1.500,50')).toEqual({ ok: false, message: `expected an amount like 1500.50, got "1.500,50"${hint}` });
    expect(parseAmount('€1.500,50')).toEqual({ ok: false, message: `expected an amount like 1500.50, got "€1.500,50"${hint}` });
    expect(parseAmount('1500,5')).toEqual({ ok: false, message: `expected an amount like 1,500.50, got "1500,5"${hint}` });
    expect(parseAmount('1 500,50 EUR')).toEqual({ ok: false, message: `expected an amount like 1500.50, got "1 500,50 EUR"${hint}` });
  });

  it('refuses what it cannot read exactly', () => {
    expect(parseAmount('12,34.5')).toMatchObject({ ok: false });
    expect(parseAmount('ten')).toEqual({ ok: false, message: 'expected an amount like 1500.50, got "ten"' });
    expect(parseAmount(12345678901234567)).toMatchObject({ ok: false, message: expect.stringContaining('send the amount as a string') });
    expect(parseAmount('')).toEqual({ ok: false, message: 'is empty' });
  });
});

describe('parseDate', () => {
  it('takes an instant as the day it falls on in the mapping\'s time zone', () => {
    // 2026-03-02T03:30Z is still 1 March in New York and already 2 March in Shanghai.
    expect(parseDate('2026-03-02T03:30:00.000Z', 'America/New_York', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-01' });
    expect(parseDate('2026-03-02T03:30:00.000Z', 'Asia/Shanghai', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-02' });
    expect(parseDate('1772422200000', 'America/New_York', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-01' });
    expect(parseDate('2026-03-01T23:30:00-05:00', 'UTC', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-02' });
  });

  it('takes epoch milliseconds at exactly midnight UTC as that day (a HubSpot date property), in any zone (was the day before west of UTC)', () => {
    // 2026-04-01T00:00:00Z: HubSpot's webhook value for a date property set to 1 April.
    expect(parseDate('1775001600000', 'America/Los_Angeles', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-04-01' });
    expect(parseDate('1775001600000', 'Asia/Tokyo', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-04-01' });
    // A millisecond later it is an instant again: still 31 March in Los Angeles.
    expect(parseDate('1775001600001', 'America/Los_Angeles', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-31' });
  });

  it('takes plain dates and local date-times as written, slashed ones in the declared order', () => {
    expect(parseDate('2026-03-15 17:00', 'Asia/Tokyo', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-15' });
    expect(parseDate('3/5/2026', 'UTC', 'MM/DD/YYYY')).toEqual({ ok: true, value: '2026-03-05' });
    expect(parseDate('3/5/2026', 'UTC', 'DD/MM/YYYY')).toEqual({ ok: true, value: '2026-05-03' });
    expect(parseDate('02/30/2026', 'UTC', 'MM/DD/YYYY')).toEqual({ ok: false, message: '02/30/2026 is not a calendar date in MM/DD/YYYY' });
    expect(parseDate('3/5/2026', 'UTC', 'YYYY-MM-DD')).toMatchObject({ ok: false, message: expect.stringContaining('expected a date like 2026-03-31') });
  });
});

describe('parseInstant', () => {
  it('orders ISO timestamps with offsets and epoch milliseconds on one scale', () => {
    expect(parseInstant('2026-02-27T18:40:12+05:30')).toBe(Date.parse('2026-02-27T13:10:12Z'));
    expect(parseInstant('1772380800000')).toBe(1772380800000);
    expect(parseInstant('soon')).toBeNull();
  });

  it('reads a time without an offset in the mapping\'s zone, whatever zone the server process runs in', () => {
    const savedTz = process.env.TZ;
    try {
      for (const tz of ['UTC', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Kolkata']) {
        process.env.TZ = tz;
        // 09:30 in Shanghai (UTC+8), as a CRM there writes its local time.
        expect(parseInstant('2026-03-02 09:30:00', 'Asia/Shanghai'), tz).toBe(Date.parse('2026-03-02T01:30:00Z'));
        expect(parseInstant('2026-03-02T09:30:00.250', 'Asia/Shanghai'), tz).toBe(Date.parse('2026-03-02T01:30:00.250Z'));
        // Without a mapping zone: UTC, as the SPEC's default zone.
        expect(parseInstant('2026-03-02T09:30:00'), tz).toBe(Date.parse('2026-03-02T09:30:00Z'));
        // New York's spring-forward day: 12:00 is EDT (UTC−4), not the EST of the day before.
        expect(parseInstant('2026-03-08 12:00', 'America/New_York'), tz).toBe(Date.parse('2026-03-08T16:00:00Z'));
        // An offset or a named zone wins over the mapping's zone.
        expect(parseInstant('2026-02-27T18:40:12+0530', 'Asia/Shanghai'), tz).toBe(Date.parse('2026-02-27T13:10:12Z'));
        expect(parseInstant('2026-02-27T18:40:12Z', 'Asia/Shanghai'), tz).toBe(Date.parse('2026-02-27T18:40:12Z'));
        expect(parseInstant('Fri, 27 Feb 2026 18:40:12 GMT', 'Asia/Shanghai'), tz).toBe(Date.parse('2026-02-27T18:40:12Z'));
        // A date with a month name and no zone is local time in the mapping's zone too, never the process's.
        expect(parseInstant('Feb 27 2026 18:40:12', 'Asia/Shanghai'), tz).toBe(Date.parse('2026-02-27T10:40:12Z'));
        expect(parseInstant('03/15/2026 10:30 AM', 'Asia/Kolkata', 'MM/DD/YYYY'), tz).toBe(Date.parse('2026-03-15T05:00:00Z'));
        expect(parseInstant('2026-02-30 10:00', 'Asia/Shanghai'), tz).toBeNull();
      }
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });
});

describe('a date and time as a CRM user\'s locale writes it (Zoho CRM merge fields such as ${Deals.Modified Time})', () => {
  const at = (text: string, format: 'YYYY-MM-DD' | 'MM/DD/YYYY' | 'DD/MM/YYYY' = 'YYYY-MM-DD') => readInstant(text, 'Asia/Kolkata', format, ' in rules/crm/zoho.yaml');
  // 10:30 in Kolkata (UTC+5:30) on 15 March 2026.
  const morning = { ok: true, value: Date.parse('2026-03-15T05:00:00Z') };

  it('reads the numeric orders the mapping declares, 12- and 24-hour clocks, month names and Deluge\'s form', () => {
    expect(at('03/15/2026 10:30 AM', 'MM/DD/YYYY')).toEqual(morning);
    expect(at('3/15/2026 10:30am', 'MM/DD/YYYY')).toEqual(morning);
    expect(at('15/03/2026 10:30', 'DD/MM/YYYY')).toEqual(morning);
    expect(at('15.03.2026 10:30', 'DD/MM/YYYY')).toEqual(morning);
    expect(at('15-03-2026 10:30:00', 'DD/MM/YYYY')).toEqual(morning);
    expect(at('2026/03/15 10:30 AM')).toEqual(morning);
    expect(at('Mar 15, 2026 10:30 AM')).toEqual(morning);
    expect(at('Sun, Mar 15, 2026 10:30 AM')).toEqual(morning);
    expect(at('15 March 2026 10:30')).toEqual(morning);
    expect(at('15-Mar-2026 10:30:00')).toEqual(morning);
    // Seconds are kept when written; 12 AM is midnight, 12 PM noon.
    expect(at('Mar 15, 2026 10:30:45 AM')).toEqual({ ok: true, value: Date.parse('2026-03-15T05:00:45Z') });
    expect(at('Mar 15, 2026 12:05 AM')).toEqual({ ok: true, value: Date.parse('2026-03-14T18:35:00Z') });
    expect(at('Mar 15, 2026 12:05 PM')).toEqual({ ok: true, value: Date.parse('2026-03-15T06:35:00Z') });
  });

  it('refuses, saying why, what it cannot read as one instant', () => {
    expect(at('03/15/2026 10:30 AM')).toEqual({ ok: false, message: '"03/15/2026 10:30 AM" writes the day and month in an order the mapping does not declare: set date_format: MM/DD/YYYY or DD/MM/YYYY in rules/crm/zoho.yaml' });
    expect(at('03/15/2026 10:30 AM', 'DD/MM/YYYY')).toEqual({ ok: false, message: '"03/15/2026 10:30 AM" is not a calendar date in DD/MM/YYYY' });
    expect(at('15 März 2026 10:30')).toEqual({ ok: false, message: '"März" is not an English month name (Jan to Dec)' });
    expect(at('Mar 15, 2026 13:30 PM')).toEqual({ ok: false, message: '"13:30 PM": a 12-hour time has hours 1 to 12' });
    expect(at('Feb 30, 2026 10:30')).toEqual({ ok: false, message: '"Feb 30, 2026 10:30" is not a calendar date' });
    expect(at('03/15/26 10:30', 'MM/DD/YYYY')).toEqual({ ok: false, message: '"03/15/26 10:30" has no four-digit year' });
    expect(at('soon')).toEqual({ ok: false, message: 'expected a time like 2026-03-01T10:00:00Z, Mar 1, 2026 10:00 AM or epoch milliseconds, got "soon"' });
  });

  it('reads close dates written the same way', () => {
    expect(parseDate('Mar 15, 2026', 'UTC', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-15' });
    expect(parseDate('15-Mar-2026', 'UTC', 'YYYY-MM-DD')).toEqual({ ok: true, value: '2026-03-15' });
    expect(parseDate('15-03-2026', 'UTC', 'DD/MM/YYYY')).toEqual({ ok: true, value: '2026-03-15' });
  });
});
