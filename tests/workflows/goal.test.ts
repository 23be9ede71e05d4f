import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { listOutbox } from '../../src/data/outbox.js';
import { upsertRep } from '../../src/data/reps.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { GoalCheckpoint, GoalRule } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { localTime } from '../../src/workflows/calendar.js';
import { goalWorkflow } from '../../src/workflows/goal.js';
import { startHarness, type Harness } from './support/harness.js';
import { attainmentBelow, goalRule, template, to } from './support/rules.js';

let h: Harness;
/**
 * A year whose March (with Berlin's spring change) and whole year lie ahead of the server clock,
 * read per test: the time-skipping server's clock moves on between tests.
 */
let year: number;

beforeAll(async () => {
  h = await startHarness('goal');
});
beforeEach(async () => {
  year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
});
afterAll(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };
const checkinTpl = template('goal-checkin', 'Progress on {{goal.name}}: {{progress.attainment}}', 'Hi {{rep.name}}, you are at {{progress.measure}} of {{progress.target}} ({{progress.remaining}} to go, {{progress.days_left}} days left).');
const riskTpl = template('goal-at-risk', 'At risk: {{rep.name}} at {{progress.attainment}}', '{{rep.name}} has {{progress.measure}} of {{progress.target}} halfway through {{progress.period}}, {{progress.days_left}} days left.');
const reviewTpl = template('goal-review', 'Review of {{progress.period}}: {{progress.attainment}}', '{{rep.name}} closed {{progress.measure}} of {{progress.target}} ({{progress.days_left}} days left).');

const checkpoints: GoalCheckpoint[] = [
  { id: 'every-1', when: { kind: 'every', schedule: { days: ['monday'], at: '09:00' } }, condition: null, sends: [{ id: 'send-1', template: 'goal-checkin', to: [to.rep], source }] },
  { id: 'fraction-1', when: { kind: 'fraction', percent: '50' }, condition: attainmentBelow(40), sends: [{ id: 'send-2', template: 'goal-at-risk', to: [to.repManager], source }] },
  { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-3', template: 'goal-review', to: [to.rep, to.repManager], source }] },
];

async function seedRep(id: string, timezone: string, revenue: string, closedAt: string): Promise<RepRecord> {
  const rep: RepRecord = {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: `mgr-${id}@acme.example`, timezone, start_date: null,
  };
  await upsertRep(h.db, rep);
  await upsertDeal(h.db, {
    id: `${id}-d1`, rep: id, name: 'Deal', amount: revenue, currency: 'EUR', stage: 'won', product: 'Core',
    type: 'new', source: null, closed_at: closedAt, contact: null,
  });
  return rep;
}

function run(rule: GoalRule, repId: string, period: string, extra: { checkpointsPerRun?: number } = {}) {
  return h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: workflowIds.goal(rule.id, repId, period),
    args: [{ rule, repId, period, ...extra }],
  });
}

/**
 * The first year from `from` whose March has a Monday after Berlin's spring change (its last
 * Sunday): not one where 31 March is that Sunday (2030, 2041), whose Mondays all come before it.
 */
function marchWithMondayAfterSpringChange(from: number): number {
  let y = from;
  while (new Date(Date.UTC(y, 2, 31)).getUTCDay() === 0) y += 1;
  return y;
}

describe('goal workflow', () => {
  test('Monday 09:00 check-ins land at 09:00 Berlin time on both sides of the spring change', async () => {
    const march = marchWithMondayAfterSpringChange(year);
    const rep = await seedRep('berlin', 'Europe/Berlin', '10000', `${march}-03-05`);
    const rule = goalRule({ id: 'march-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] });
    const result = await (await run(rule, rep.id, `${march}-03`)).result();

    const checkinMails = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress on'));
    const mondays = checkinMails.map((m) => localTime(m.date.getTime(), 'Europe/Berlin'));
    expect(mondays.length).toBeGreaterThanOrEqual(4);
    for (const local of mondays) expect(local).toMatchObject({ weekday: 1, hour: 9, minute: 0 });
    // The UTC hour moves from 08:00 (CET) to 07:00 (CEST): the zone, not a fixed offset, decides.
    const utcHours = new Set(checkinMails.map((m) => m.date.getUTCHours()));
    expect(utcHours).toEqual(new Set([8, 7]));
    expect(checkinMails[0].subject).toBe('Progress on march goal: 8.33%');
    expect(checkinMails[0].body).toContain('10,000.00 EUR of 120,000.00 EUR (110,000.00 EUR to go');
    // Days left count the Monday itself, in Berlin: 31 on 1 March, 25 on the 7th, 1 on the 31st.
    for (const m of checkinMails) {
      const dayOfMonth = localTime(m.date.getTime(), 'Europe/Berlin').day - localTime(Date.UTC(march, 2, 1), 'UTC').day + 1;
      expect(m.body).toContain(`to go, ${31 - dayOfMonth + 1} days left)`);
    }

    // 8.33% < 40% halfway through: the manager is warned once, at the middle of the month.
    const risk = h.mail.to(rep.manager!).filter((m) => m.subject.startsWith('At risk'));
    expect(risk).toHaveLength(1);
    const middle = localTime(risk[0].date.getTime(), 'Europe/Berlin');
    expect(middle.day - localTime(Date.UTC(march, 2, 1), 'UTC').day).toBe(15);
    expect(risk[0].body).toContain('16 days left'); // the 16th to the 31st

    // End of period: review to rep and manager when April begins in Berlin.
    const reviews = [...h.mail.to(rep.email), ...h.mail.to(rep.manager!)].filter((m) => m.subject.startsWith('Review'));
    expect(reviews).toHaveLength(2);
    expect(localTime(reviews[0].date.getTime(), 'Europe/Berlin')).toMatchObject({ hour: 0, minute: 0 });
    for (const m of reviews) expect(m.body).toContain('(0 days left)');
    expect(result.checkins.at(-1)).toMatchObject({ checkpointId: 'end-1', conditionHeld: true });
  });

  test('no at-risk alert when attainment is on track', async () => {
    const rep = await seedRep('ontrack', 'America/New_York', '90000', `${year}-03-02`);
    const rule = goalRule({ id: 'march-goal-ny', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] });
    const result = await (await run(rule, rep.id, `${year}-03`)).result();
    expect(h.mail.to(rep.manager!).filter((m) => m.subject.startsWith('At risk'))).toEqual([]);
    expect(result.checkins.find((c) => c.checkpointId === 'fraction-1')).toMatchObject({ conditionHeld: false, attainment: '75.00' });
    const checkins = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress on'));
    for (const m of checkins) expect(localTime(m.date.getTime(), 'America/New_York')).toMatchObject({ weekday: 1, hour: 9, minute: 0 });
  });

  test('a run started mid-period evaluates the passed 50% point once, skips the stale check-ins and lists them', async () => {
    // The 20th of March next year, 10:00 UTC: past the 16th (50%), two or three Mondays gone. Not
    // a Monday (2028, 2045...): its 09:00 check-in, an hour before the start, would be stale too.
    // (The year is the server's, which moves on years between tests, so any year may come.)
    const startDay = new Date(Date.UTC(year, 2, 20)).getUTCDay() === 1 ? 21 : 20;
    const startedAt = Date.UTC(year, 2, startDay, 10);
    await h.testEnv.sleep(startedAt - (await h.testEnv.currentTimeMs()));
    const rep = await seedRep('latecomer', 'UTC', '1000', `${year}-03-02`);
    const rule = goalRule({ id: 'late-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] });
    const result = await (await run(rule, rep.id, `${year}-03`)).result();

    const mondays = (from: number, to: number) => {
      const out: string[] = [];
      for (let t = from; t < to; t += 86_400_000) if (new Date(t).getUTCDay() === 1) out.push(new Date(t + 9 * 3_600_000).toISOString());
      return out;
    };
    const april = Date.UTC(year, 3, 1);
    const gone = mondays(Date.UTC(year, 2, 1), Date.UTC(year, 2, startDay));
    expect(result.skipped).toEqual(gone.map((due) => ({ checkpointId: 'every-1', due, reason: 'stale' })));
    // The at-risk point (16 March 12:00) is evaluated as the run starts: 0.83% < 40%, so the manager hears once.
    const risk = h.mail.to(rep.manager!).filter((m) => m.subject.startsWith('At risk'));
    expect(risk).toHaveLength(1);
    expect(risk[0].date.getTime() - startedAt).toBeGreaterThanOrEqual(0);
    expect(risk[0].date.getTime() - startedAt).toBeLessThan(10_000);
    expect(result.checkins[0]).toMatchObject({ checkpointId: 'fraction-1', due: new Date(Date.UTC(year, 2, 16, 12)).toISOString(), conditionHeld: true });
    // The Mondays still ahead at 09:00, then the review when April begins.
    const checkinMails = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress on'));
    expect(checkinMails.map((m) => m.date.toISOString())).toEqual(mondays(Date.UTC(year, 2, startDay), april));
    expect(result.checkins.at(-1)).toMatchObject({ checkpointId: 'end-1', due: new Date(april).toISOString() });
    expect(h.mail.to(rep.email).filter((m) => m.subject.startsWith('Review')).map((m) => m.date.toISOString())).toEqual([new Date(april).toISOString()]);
  });

  test('a rep starting mid-period gets check-ins from their first day on; one starting after the period hears nothing', async () => {
    // Kolkata (+5:30): the start date is the rep's local date, so the Monday 09:00 IST check-in of
    // the start day (03:30 UTC) counts, and the one a week before does not.
    const rep = await seedRep('newhire', 'Asia/Kolkata', '1000', `${year}-06-20`);
    const firstMonday = [...Array(7).keys()].map((d) => Date.UTC(year, 5, 8 + d)).find((t) => new Date(t).getUTCDay() === 1)!;
    const startDay = new Date(firstMonday).toISOString().slice(0, 10);
    await upsertRep(h.db, { ...rep, start_date: startDay });
    const later = await seedRep('nexthire', 'Asia/Kolkata', '1000', `${year}-06-20`);
    await upsertRep(h.db, { ...later, start_date: `${year}-07-01` });
    const rule = goalRule({ id: 'june-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] });
    // One run at a time: the time-skipping server would skip past one run's in-flight send while the other sleeps.
    await (await run(rule, rep.id, `${year}-06`)).result();
    await (await run(rule, later.id, `${year}-06`)).result();

    const checkins = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress on'));
    expect(checkins.length).toBeGreaterThanOrEqual(2);
    expect(checkins[0].date.toISOString()).toBe(new Date(firstMonday + 3.5 * 3_600_000).toISOString());
    for (const m of checkins) expect(localTime(m.date.getTime(), 'Asia/Kolkata')).toMatchObject({ weekday: 1, hour: 9, minute: 0 });
    // 50% (16 June 12:00) and the review fall after the start: both are sent.
    expect(h.mail.to(rep.manager!).filter((m) => m.subject.startsWith('At risk'))).toHaveLength(1);
    expect(h.mail.to(rep.email).filter((m) => m.subject.startsWith('Review'))).toHaveLength(1);
    expect([...h.mail.to(later.email), ...h.mail.to(later.manager!)]).toEqual([]);
  });

  test('a rep who leaves mid-period gets no check-in dated after their last day; the review of the period still goes out', async () => {
    const rep = await seedRep('leaver', 'America/New_York', '1000', `${year}-08-03`);
    await upsertRep(h.db, { ...rep, start_date: '2020-01-01', end_date: `${year}-08-12` });
    const rule = goalRule({ id: 'august-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] });
    await (await run(rule, rep.id, `${year}-08`)).result();
    const checkins = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress on'));
    expect(checkins.length).toBeGreaterThanOrEqual(1);
    for (const m of checkins) expect(localTime(m.date.getTime(), 'America/New_York').day).toBeLessThanOrEqual(Date.UTC(year, 7, 12) / 86_400_000);
    // 50% (16 August) is after the last day: no at-risk alert though attainment is far below 40%.
    expect(h.mail.to(rep.manager!).filter((m) => m.subject.startsWith('At risk'))).toEqual([]);
    expect(h.mail.to(rep.manager!).filter((m) => m.subject.startsWith('Review'))).toHaveLength(1);
  });

  test('a manager who has left gets no at-risk alert or review about their former rep; the rep still gets the review', async () => {
    const rep = await seedRep('orphan', 'Europe/Berlin', '1000', `${year}-09-03`);
    // The manager is a rep too (Pacific/Auckland), whose last day was 31 August.
    await upsertRep(h.db, {
      id: 'mgr-orphan', name: 'Gone Manager', email: rep.manager!, team: 'EMEA AEs', role: 'Manager', region: 'EMEA',
      manager: null, timezone: 'Pacific/Auckland', start_date: '2020-01-01', end_date: `${year}-08-31`,
    });
    const rule = goalRule({ id: 'september-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] });
    const result = await (await run(rule, rep.id, `${year}-09`)).result();
    // 1,000 of 120,000 at 50%: the alert's condition held, but its only recipient has left.
    expect(result.checkins.find((c) => c.checkpointId === 'fraction-1')).toMatchObject({ conditionHeld: true, sentTo: [] });
    expect(h.mail.to(rep.manager!)).toEqual([]);
    expect(h.mail.to(rep.email).filter((m) => m.subject.startsWith('Review'))).toHaveLength(1);
  });

  test('a review the mail server refuses for the manager (550) is not listed as sent to them; the rep still gets theirs', async () => {
    const rep = await seedRep('refused-mgr', 'Europe/Berlin', '1000', `${year}-10-05`);
    h.mail.refuse.add(rep.manager!);
    const rule = goalRule({ id: 'october-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] });
    const result = await (await run(rule, rep.id, `${year}-10`)).result();
    expect(result.checkins.find((c) => c.checkpointId === 'end-1')).toMatchObject({ conditionHeld: true, sentTo: [rep.email] });
    expect(h.mail.to(rep.email).filter((m) => m.subject.startsWith('Review'))).toHaveLength(1);
    expect((await listOutbox(h.db, { to: rep.manager! })).map((r) => r.status)).toEqual(['failed', 'failed']);
  });

  test('a rep whose zone the tz database does not know (CSVs are not checked) gets the rule zone\'s times, not a failed run', async () => {
    const rep = await seedRep('nowhere', 'Mars/Olympus_Mons', '10000', `${year}-05-04`);
    const rule = { ...goalRule({ id: 'may-goal', period: 'month', target: '120000', checkpoints, templates: [checkinTpl, riskTpl, reviewTpl] }), timezone: 'America/New_York' };
    await (await run(rule, rep.id, `${year}-05`)).result();
    const checkinMails = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress on'));
    expect(checkinMails.length).toBeGreaterThanOrEqual(4);
    for (const m of checkinMails) expect(localTime(m.date.getTime(), 'America/New_York')).toMatchObject({ weekday: 1, hour: 9, minute: 0 });
    const review = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Review'));
    expect(review.map((m) => m.date.toISOString())).toEqual([`${year}-06-01T04:00:00.000Z`]);
  });

  test('a year of weekly check-ins continues as new and sends every check-in exactly once', async () => {
    const rep = await seedRep('yearly', 'Europe/Berlin', '50000', `${year}-06-10`);
    const rule = goalRule({ id: 'year-goal', period: 'year', target: '500000', checkpoints: [checkpoints[0]], templates: [checkinTpl] });
    const handle = await run(rule, rep.id, String(year), { checkpointsPerRun: 10 });
    const result = await handle.result();
    const mondays = h.mail.to(rep.email).filter((m) => m.subject.startsWith('Progress on'));
    expect(mondays.length).toBeGreaterThanOrEqual(52);
    expect(mondays.length).toBeLessThanOrEqual(53);
    expect(result.checkins).toHaveLength(mondays.length);
    const keys = (await listOutbox(h.db, { workflowId: handle.workflowId, limit: 1000 })).map((r) => r.key);
    expect(new Set(keys).size).toBe(mondays.length);
    const first = await h.testEnv.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
  });
});
