// Durations (`wait`, `approve by ... within`, `escalate to ... within`): what each unit does with a
// fraction, the warning (SF5010) where a fraction of a day or week quietly stops keeping the time
// of day that whole days keep, and the longest a run can wait (SF5011).
import { describe, expect, it } from 'vitest';
import type { SequenceRule } from '../../src/plan/schema.js';
import { addDuration } from '../../src/workflows/calendar.js';
import { compile, diagnose, errors } from './helpers.js';

const sequence = (waits: string[]) =>
  `sequence "s" {\n  on lead.created\n  stop on lead.replied\n  send "case-study" to lead\n${waits.map((w) => `  wait ${w}\n  send "case-study" to lead\n`).join('')}}\n`;
const approval = (within: string, escalate: string) =>
  `incentive "i" {\n  period quarter\n  measure revenue\n  target 1000 USD\n  commission marginal { above pay 1% }\n  approve by rep.manager within ${within} { escalate to "vp@acme.example" within ${escalate} otherwise reject }\n}\n`;

describe('durations with a fraction', () => {
  it('a fraction of days or weeks warns at the duration with the hours it is counted as; minutes, hours, business days and whole days do not', () => {
    const found = diagnose(sequence(['1.5 days', '2.5 weeks', '1.5 minutes', '0.25 hours', '1.5 business days', '2.0 days', '1 week']))
      .filter((d) => d.code === 'SF5010');
    expect(found.map((d) => [d.line, d.col, d.endCol, d.severity, d.suggestion])).toEqual([
      [5, 8, 16, 'warning', '36 hours'],
      [7, 8, 17, 'warning', '420 hours'],
    ]);
    expect(found[0].message).toBe('`1.5 days` is counted as 36 hours, a fixed span: whole days and weeks keep the time of day across a daylight-saving change, a fraction of one does not (it ends an hour earlier or later on the clock when a change falls inside it); write 36 hours to say so, or whole days');
  });

  it('approval windows warn the same way, at each `within`', () => {
    const found = diagnose(approval('0.5 days', '0.5 weeks')).filter((d) => d.code === 'SF5010');
    expect(found.map((d) => [d.line, d.col, d.suggestion])).toEqual([[6, 33, '12 hours'], [6, 81, '84 hours']]);
    expect(diagnose(approval('5 days', '36 hours')).map((d) => d.code)).not.toContain('SF5010');
  });

  it('a duration of more than 100 years is an error at it; 100 years in any unit is not', () => {
    // Was: `wait 99999999999 days` checked clean, and the run failed at the wait on every retry
    // (its end is past what a date holds: "Invalid time value").
    const found = errors(diagnose(sequence(['99_999_999_999 days', '52_596_001 minutes', '26_090 business days'])));
    expect(found.map((d) => [d.code, d.line, d.col])).toEqual([['SF5011', 5, 8], ['SF5011', 7, 8], ['SF5011', 9, 8]]);
    expect(found[0].message).toBe('`99_999_999_999 days` is more than 100 years: no run waits that long (at most 36525 days, or 876600 hours)');
    expect(errors(diagnose(approval('36_525 days', '876_600 hours')))).toEqual([]);
    expect(errors(diagnose(sequence(['5_217 weeks', '52_596_000 minutes'])))).toEqual([]);
  });

  it('the plan keeps the fraction as written, and the wait it makes is the span the warning names', async () => {
    const { plan } = await compile(sequence(['1.5 days', '1.5 minutes']));
    const waits = (plan!.rules[0] as SequenceRule).steps.filter((s) => s.kind === 'wait');
    expect(waits.map((w) => w.kind === 'wait' && w.duration)).toEqual([{ amount: '1.5', unit: 'days' }, { amount: '1.5', unit: 'minutes' }]);
    // Saturday 28 March 2026, 11:00 in Berlin; the clocks go forward that night.
    const start = Date.parse('2026-03-28T10:00:00Z');
    const end = (amount: string, unit: 'days' | 'hours' | 'minutes' | 'weeks') => new Date(addDuration(start, { amount, unit }, 'Europe/Berlin')).toISOString();
    expect(end('1', 'days')).toBe('2026-03-29T09:00:00.000Z'); // Sunday 11:00: a whole day keeps the clock time
    expect(end('1.5', 'days')).toBe(end('36', 'hours')); // Monday 00:00, not Sunday 23:00
    expect(end('1.5', 'days')).toBe('2026-03-29T22:00:00.000Z');
    expect(end('0.5', 'weeks')).toBe(end('84', 'hours'));
    expect(end('1.5', 'minutes')).toBe('2026-03-28T10:01:30.000Z');
  });
});
