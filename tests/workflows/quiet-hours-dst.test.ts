// Quiet hours that end in the hour an autumn clock change repeats (SPEC §5: quiet hours in the
// recipient's time zone). A lead created at 02:10 in the second pass of that hour, with quiet hours
// until 02:30, must get the email at the second 02:30, not at once (the first 02:30 is already
// gone). Real time-skipping server, worker, SQLite and SMTP; the server's clock is moved to the next
// change after today, so the test does not depend on when it runs.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertLead } from '../../src/data/leads.js';
import type { LeadRecord } from '../../src/plan/records.js';
import { workflowIds, type SequenceResult } from '../../src/workflows/api.js';
import { sequenceWorkflow } from '../../src/workflows/sequence.js';
import { sleepTo } from './support/clock.js';
import { startHarness, type Harness } from './support/harness.js';
import { sequenceRule, step, template } from './support/rules.js';

const DAY = 86_400_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness('quiet-hours-dst');
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** The UTC day (ms) of the first Sunday on or after the given day of `month` (0-based) of `year`. */
function sundayOnOrAfter(year: number, month: number, day: number): number {
  const first = Date.UTC(year, month, day);
  return first + ((7 - new Date(first).getUTCDay()) % 7) * DAY;
}

/** The next autumn change after `now`: Europe's last Sunday of October, the US's first Sunday of November. */
function nextChange(now: number, change: (year: number) => number): number {
  const year = new Date(now).getUTCFullYear();
  return change(year) > now + DAY ? change(year) : change(year + 1);
}

const berlinChange = (year: number) => sundayOnOrAfter(year, 9, 25); // the last Sunday of October
const newYorkChange = (year: number) => sundayOnOrAfter(year, 10, 1); // the first Sunday of November

async function createdAt(at: number, id: string, timezone: string, quietTo: string): Promise<SequenceResult> {
  await sleepTo(h, at);
  const l: LeadRecord = {
    id, name: `Lead ${id}`, email: `${id}@prospect.example`, company: null, source: 'webinar', stage: 'new', owner: null, timezone, score: null,
  };
  await upsertLead(h.db, l);
  const rule = sequenceRule({
    id: `quiet-${id}`, templates: [template('webinar-thanks', 'Thanks, {{lead.name}}', 'Hi.')],
    quietHours: { from: '20:00', to: quietTo, weekends: false }, steps: [step.send('webinar-thanks')],
  });
  const handle = await h.testEnv.client.workflow.start(sequenceWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', id), args: [{ rule, subject: { kind: 'lead', lead: l } }],
  });
  return handle.result();
}

test('quiet hours ending in the repeated hour of an autumn change hold the email until their second end, in Berlin and New York', async () => {
  // Berlin: 01:10 UTC is 02:10 CET, the second 02:10 of the night; quiet until 02:30 CET = 01:30 UTC.
  const berlin = nextChange(await h.testEnv.currentTimeMs(), berlinChange);
  const inBerlin = await createdAt(berlin + 70 * 60_000, 'berlin', 'Europe/Berlin', '02:30');
  expect(inBerlin.sends).toHaveLength(1);
  const berlinSent = Date.parse(inBerlin.sends[0].at);
  expect(berlinSent).toBeGreaterThanOrEqual(berlin + 90 * 60_000);
  expect(berlinSent).toBeLessThan(berlin + 91 * 60_000);

  // New York: 06:10 UTC is 01:10 EST, the second 01:10; quiet until 01:30 EST = 06:30 UTC.
  const newYork = nextChange(await h.testEnv.currentTimeMs(), newYorkChange);
  const inNewYork = await createdAt(newYork + (6 * 60 + 10) * 60_000, 'newyork', 'America/New_York', '01:30');
  const newYorkSent = Date.parse(inNewYork.sends[0].at);
  expect(newYorkSent).toBeGreaterThanOrEqual(newYork + (6 * 60 + 30) * 60_000);
  expect(newYorkSent).toBeLessThan(newYork + (6 * 60 + 31) * 60_000);
  const [mail] = h.mail.to('newyork@prospect.example');
  expect(Math.abs(mail.date.getTime() - newYorkSent)).toBeLessThan(1000);
}, 120_000);
