// A sequence run lasts days or weeks, and the CRM changes under it: a rep gets a new manager, a
// manager leaves, a lead moves to another time zone. Each email goes to whom the data names when it
// goes out (a recipient who is gone by then is skipped, and the run's record says why), and each
// wait counts in the zone the subject has when the wait begins. Real time-skipping server, real
// SMTP server, real SQLite file; the CRM changes are written to the data source mid-run.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import type { LeadRecord, RepRecord } from '../../src/plan/records.js';
import { workflowIds, type SequenceInput } from '../../src/workflows/api.js';
import { localTime } from '../../src/workflows/calendar.js';
import { sequenceWorkflow } from '../../src/workflows/sequence.js';
import { waitForHistory } from '../temporal/fixtures/history.js';
import { sleepTo, wallClock } from './support/clock.js';
import { startHarness, type Harness } from './support/harness.js';
import { sequenceRule, step, template, to } from './support/rules.js';

const DAY = 86_400_000;
const QUIET = { from: '20:00', to: '08:00', weekends: false };
let h: Harness;

beforeAll(async () => {
  h = await startHarness('sequence-current-data');
});
afterAll(async () => {
  await h?.close();
});

/** A fixed-offset zone in which it is `hour`:xx at `at`, whatever the hour of the test run. */
function zoneAt(hour: number, at: number): string {
  const offset = ((hour - new Date(at).getUTCHours() + 36) % 24) - 12;
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

async function rep(id: string, extra: Partial<RepRecord> = {}): Promise<RepRecord> {
  const record: RepRecord = {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: null, timezone: 'UTC', start_date: '2020-01-01', end_date: null, ...extra,
  };
  await upsertRep(h.db, record);
  return record;
}

async function lead(id: string, extra: Partial<LeadRecord> = {}): Promise<LeadRecord> {
  const record: LeadRecord = {
    id, name: `Lead ${id}`, email: `${id}@prospect.example`, company: 'Prospect Inc', source: 'webinar',
    stage: 'new', owner: null, timezone: 'UTC', score: '10', ...extra,
  };
  await upsertLead(h.db, record);
  return record;
}

function start(input: SequenceInput) {
  const id = input.subject.kind === 'lead' ? input.subject.lead.id : input.subject.kind === 'rep' ? input.subject.rep.id : input.subject.deal.id;
  const workflowId = input.occurrence ? workflowIds.sequenceTick(input.rule.id, id, input.occurrence) : workflowIds.sequence(input.rule.id, input.subject.kind, id);
  return h.testEnv.client.workflow.start(sequenceWorkflow, { taskQueue: h.taskQueue, workflowId, args: [input] });
}

/** Waits until the run sleeps on its first timer: the CRM change written next happens during that sleep. */
const asleep = (handle: Awaited<ReturnType<typeof start>>) => waitForHistory(handle, (events) => events.some((e) => e.timerStartedEventAttributes));

const digest = template('team-digest', 'Team digest for {{rep.name}}', 'Your report {{rep.name}} this week.');
const weeklyDigest = (id: string) => ({
  ...sequenceRule({ id, templates: [digest], quietHours: QUIET, steps: [step.send('team-digest', to.repManager)] }),
  subject: 'rep' as const,
  stopOn: [],
  trigger: { kind: 'schedule' as const, schedule: { days: ['friday' as const], at: '15:00' }, reps: null },
});

describe('recipients are whom the data names when the email goes out', () => {
  test('a digest to rep.manager held by the manager\'s night goes to the manager named by then, in their own morning; the replaced one gets nothing', async () => {
    const now = await h.testEnv.currentTimeMs();
    // The old manager is at 23:xx (held about nine hours); the new one at 15:xx, so at 23:xx when
    // the old one's night ends: their own night holds it again, to 08:00 their time.
    const oldBoss = await rep('old-boss', { timezone: zoneAt(23, now) });
    const newBoss = await rep('new-boss', { timezone: zoneAt(15, now) });
    const ada = await rep('ada', { manager: oldBoss.email });
    const handle = await start({ rule: weeklyDigest('digest-replaced'), subject: { kind: 'rep', rep: ada }, occurrence: '2030-01-04' });
    await asleep(handle);
    await upsertRep(h.db, { ...ada, manager: newBoss.email });
    const result = await handle.result();
    expect(h.mail.to(oldBoss.email)).toEqual([]);
    const [mail] = h.mail.to(newBoss.email);
    expect(mail.subject).toBe('Team digest for Rep ada');
    expect(localTime(mail.date.getTime(), newBoss.timezone!)).toMatchObject({ hour: 8, minute: 0 });
    expect(result.sends.map((s) => [s.to, s.outcome])).toEqual([[newBoss.email, 'sent']]);
  });

  test('a manager who leaves before the digest goes out gets nothing; the run records the send as skipped and why', async () => {
    const now = await h.testEnv.currentTimeMs();
    const leaver = await rep('leaving-boss', { timezone: zoneAt(23, now) });
    const bo = await rep('bo', { manager: leaver.email });
    const handle = await start({ rule: weeklyDigest('digest-leaver'), subject: { kind: 'rep', rep: bo }, occurrence: '2030-01-04' });
    await asleep(handle);
    // The HR import that runs overnight: their last day was yesterday (in their zone).
    const yesterday = new Date(now - DAY).toISOString().slice(0, 10);
    await upsertRep(h.db, { ...leaver, end_date: yesterday });
    const result = await handle.result();
    expect(h.mail.to(leaver.email)).toEqual([]);
    expect(result.outcome).toBe('completed');
    expect(result.sends).toHaveLength(1);
    expect(result.sends[0]).toMatchObject({ to: leaver.email, outcome: 'skipped' });
    expect(result.sends[0].reason).toContain(`${leaver.email} is a rep not employed on`);
  });

  test('a manager field emptied before the digest goes out mails nobody; the run records rep.manager is empty', async () => {
    const now = await h.testEnv.currentTimeMs();
    const boss = await rep('emptied-boss', { timezone: zoneAt(23, now) });
    const cy = await rep('cy', { manager: boss.email });
    const handle = await start({ rule: weeklyDigest('digest-emptied'), subject: { kind: 'rep', rep: cy }, occurrence: '2030-01-04' });
    await asleep(handle);
    await upsertRep(h.db, { ...cy, manager: null });
    const result = await handle.result();
    expect(h.mail.to(boss.email)).toEqual([]);
    expect(result.sends.map((s) => [s.to, s.outcome, s.reason])).toEqual([[boss.email, 'skipped', 'rep.manager is empty']]);
  });

  test('a lead whose zone changes while the email is held by quiet hours gets it at 08:00 in the new zone', async () => {
    const now = await h.testEnv.currentTimeMs();
    const l = await lead('traveller', { timezone: zoneAt(23, now) });
    const rule = sequenceRule({ id: 'quiet-moved', templates: [digest], quietHours: QUIET, steps: [step.send('team-digest', to.lead)] });
    const handle = await start({ rule, subject: { kind: 'lead', lead: l } });
    await asleep(handle);
    // 18:xx where the lead is now: at 08:00 in the old zone it is 02:xx there, still night.
    const moved = zoneAt(18, now);
    await upsertLead(h.db, { ...l, timezone: moved });
    const result = await handle.result();
    const [mail] = h.mail.to(l.email);
    expect(localTime(mail.date.getTime(), moved)).toMatchObject({ hour: 8, minute: 0 });
    expect(result.sends.map((s) => s.outcome)).toEqual(['sent']);
  });
});

describe('waits count in the zone the subject has when the wait begins', () => {
  test('a lead who moves from UTC+14 to New York before `wait 1 business days` gets the follow-up on Monday at that time in New York', async () => {
    // A Friday in June of next year (no clock change on either side that weekend), 19:00 UTC.
    const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
    const june10 = Date.UTC(year, 5, 10);
    const friday = june10 + ((5 - new Date(june10).getUTCDay() + 7) % 7) * DAY;
    await sleepTo(h, friday + 19 * 3_600_000);
    const l = await lead('mover', { timezone: 'Pacific/Kiritimati' });
    const followUp = template('follow-up', 'Following up, {{lead.name}}', 'As promised.');
    const rule = sequenceRule({ id: 'wait-moved', templates: [followUp], steps: [step.wait(1, 'hours'), step.wait(1, 'business_days'), step.send('follow-up')] });
    const handle = await start({ rule, subject: { kind: 'lead', lead: l } });
    await asleep(handle);
    // During the first hour the CRM moves the lead: the business-day wait starts at Friday 20:00
    // UTC, which is Friday 16:00 in New York (and already Saturday 10:00 in Kiritimati).
    await upsertLead(h.db, { ...l, timezone: 'America/New_York' });
    await handle.result();
    const [mail] = h.mail.to(l.email);
    const monday = new Date(friday + 3 * DAY).toISOString().slice(0, 10);
    expect(wallClock(mail.date, 'America/New_York')).toBe(`Monday ${monday} 16:00`);
    // Counted in Kiritimati it would have gone on Sunday in New York.
    expect(mail.date.getTime()).toBeGreaterThanOrEqual(friday + 3 * DAY + 20 * 3_600_000);
  });
});
