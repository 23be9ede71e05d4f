// `salesflow dev`'s sample lead gets a zone where its first email goes out at once, at any day and
// hour: checked with explicit clocks over whole weeks (winter and summer), never the real one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadRules } from '../../src/dsl/index.js';
import type { Plan, SequenceRule } from '../../src/plan/schema.js';
import { devInstructions } from '../../src/runtime/dev-instructions.js';
import type { RunningDev } from '../../src/runtime/dev.js';
import { chooseSampleZone, SAMPLE_MARGIN_MS, SAMPLE_ZONES } from '../../src/runtime/sample-zone.js';
import { localTime, nextAllowed, type QuietHours } from '../../src/workflows/calendar.js';

const HOUR = 3_600_000;
const webinarQuiet: QuietHours = { from: '20:00', to: '08:00', weekends: false };
const weekendQuiet: QuietHours = { from: '19:00', to: '08:00', weekends: true };

/** Every hour and half hour of a week from a Monday 00:00 UTC: 7 weekdays × 48 clocks. */
function weekOfClocks(mondayIso: string): number[] {
  const start = Date.parse(mondayIso);
  return Array.from({ length: 7 * 48 }, (_, i) => start + i * HOUR / 2);
}

const weeks = { winter: '2026-12-07T00:00:00Z', summer: '2026-07-06T00:00:00Z' };

describe('chooseSampleZone', () => {
  for (const [season, monday] of Object.entries(weeks)) {
    test(`quiet hours 20:00 to 08:00: a ${season} week, every weekday and half hour, sending is allowed now and for the margin`, () => {
      const weekdaysSeen = new Set<number>();
      for (const now of weekOfClocks(monday)) {
        weekdaysSeen.add(localTime(now, 'UTC').weekday);
        const chosen = chooseSampleZone(now, webinarQuiet);
        expect(chosen.heldUntil, new Date(now).toISOString()).toBeNull();
        for (let t = now; t <= now + SAMPLE_MARGIN_MS; t += 15 * 60_000) {
          expect(nextAllowed(t, webinarQuiet, chosen.zone), `${new Date(now).toISOString()} in ${chosen.zone}`).toBe(t);
        }
      }
      expect(weekdaysSeen.size).toBe(7);
    });
  }

  test('a familiar zone first: London at noon UTC on a Sunday', () => {
    expect(chooseSampleZone(Date.parse('2026-12-06T12:00:00Z'), webinarQuiet)).toEqual({ zone: 'Europe/London', heldUntil: null });
    // 19:00 in London leaves less than the margin: the next familiar zone where it is earlier.
    expect(chooseSampleZone(Date.parse('2026-12-06T19:00:00Z'), webinarQuiet)).toEqual({ zone: 'America/New_York', heldUntil: null });
  });

  test('no quiet hours: any day and hour is fine in the first zone', () => {
    expect(chooseSampleZone(Date.parse('2026-12-05T03:00:00Z'), null)).toEqual({ zone: SAMPLE_ZONES[0], heldUntil: null });
  });

  test('with weekends, a Sunday morning UTC is the weekend everywhere: held until Monday 08:00 where Monday comes first', () => {
    const chosen = chooseSampleZone(Date.parse('2026-12-06T11:00:00Z'), weekendQuiet);
    expect(chosen).toEqual({ zone: 'Pacific/Kiritimati', heldUntil: Date.parse('2026-12-06T18:00:00Z') });
  });

  for (const [season, monday] of Object.entries(weeks)) {
    test(`with weekends, a ${season} week: either sending is allowed now, or held until the earliest end of quiet hours of any zone`, () => {
      let held = 0;
      for (const now of weekOfClocks(monday)) {
        const chosen = chooseSampleZone(now, weekendQuiet);
        if (chosen.heldUntil === null) {
          expect(nextAllowed(now, weekendQuiet, chosen.zone)).toBe(now);
        } else {
          held += 1;
          expect(chosen.heldUntil).toBe(Math.min(...SAMPLE_ZONES.map((z) => nextAllowed(now, weekendQuiet, z))));
          expect(chosen.heldUntil).toBeGreaterThan(now);
        }
      }
      // Saturday and Sunday UTC hold for part of the day; weekdays never do.
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThan(2 * 48);
    });
  }
});

describe('devInstructions', () => {
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-dev-instructions-'));
  afterAll(() => fs.rmSync(varDir, { recursive: true, force: true }));
  const dev = {
    applied: { version: 1, hash: '0123456789abcdef' }, httpUrl: 'http://127.0.0.1:3000', temporalAddress: '127.0.0.1:7233', smtpUrl: 'smtp://127.0.0.1:2525', secret: 's',
    config: loadConfig({ SALESFLOW_SECRET: 'dev-instructions-secret-0123', DATABASE_URL: path.join(varDir, 'x.db') }),
  } as unknown as RunningDev;
  const sundayMorning = Date.parse('2026-12-06T11:00:00Z');

  // `salesflow dev` with SMTP_URL set to a real relay printed `Mail  smtp://apikey:<password>@…` to the terminal.
  test('a real relay named by SMTP_URL is shown without its password', async () => {
    const { plan } = await loadRules(['rules/']);
    const relay = { ...dev, smtpUrl: 'smtps://apikey:SG.s3cret-Pass@smtp.sendgrid.example:465?tls.rejectUnauthorized=false' } as RunningDev;
    const text = devInstructions(relay, plan!, varDir, sundayMorning);
    expect(text).toContain('Mail          smtps://apikey:***@smtp.sendgrid.example:465');
    expect(text).not.toContain('s3cret');
  });

  test('the demo rules on a Sunday morning: the sample lead is in a zone outside the webinar quiet hours, nothing is said to be held', async () => {
    const { plan } = await loadRules(['rules/']);
    const text = devInstructions(dev, plan!, varDir, sundayMorning);
    const event = JSON.parse(fs.readFileSync(path.join(varDir, 'dev-event.json'), 'utf8')) as { type: string; occurred_at: string; lead: { timezone: string } };
    expect(event.type).toBe('lead.created');
    expect(event.occurred_at).toBe('2026-12-06T11:00:00Z');
    const webinar = plan!.rules.find((r): r is SequenceRule => r.name === 'Webinar follow-up')!;
    expect(nextAllowed(sundayMorning, webinar.quietHours, event.lead.timezone)).toBe(sundayMorning);
    expect(text).not.toContain('will be held');
    expect(text).toContain('The outbox also lists emails');
  });

  test('rules whose quiet hours cover every zone now: the instructions say the first email is held, and until when', async () => {
    const { plan } = await loadRules(['rules/']);
    const webinar = plan!.rules.find((r): r is SequenceRule => r.name === 'Webinar follow-up')!;
    const own: Plan = { ...plan!, rules: [{ ...webinar, quietHours: weekendQuiet }] };
    const text = devInstructions(dev, own, varDir, sundayMorning);
    expect(text).toContain('"Webinar follow-up" keeps quiet hours 19:00 to 08:00 and weekends');
    expect(text).toContain('held until\n  2026-12-07 08:00 in Pacific/Kiritimati (2026-12-06 18:00 UTC)');
  });
});
