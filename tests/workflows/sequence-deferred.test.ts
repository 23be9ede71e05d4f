// A sequence email the relay turns away for now (451: a full mailbox, greylisting) must not push
// back the lead's later emails: they keep the plan's schedule, and one still not accepted when the
// next email to the same person is due is given up (recorded failed with the reason), never sent
// late. Real parts: the time-skipping Temporal server, a real SMTP server answering 451 to one
// subject, a real SQLite file.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { listOutbox } from '../../src/data/outbox.js';
import { upsertLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import type { LeadRecord } from '../../src/plan/records.js';
import { heldSendQuery, workflowIds, type HeldSend, type SequenceInput, type SequenceResult } from '../../src/workflows/api.js';
import { sequenceWorkflow } from '../../src/workflows/sequence.js';
import { startHarness, type Harness } from './support/harness.js';
import { sequenceRule, step, template, to } from './support/rules.js';

const DAY = 86_400_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness('sequence-deferred');
  await upsertRep(h.db, {
    id: 'r-ada', name: 'Ada Rep', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: 'boss@acme.example', timezone: 'UTC', start_date: null,
  });
});
afterAll(async () => {
  await h?.close();
});

async function lead(id: string): Promise<LeadRecord> {
  const record: LeadRecord = {
    id, name: `Lead ${id}`, email: `${id}@prospect.example`, company: 'Prospect Inc', source: 'webinar',
    stage: 'new', owner: 'r-ada', timezone: 'UTC', score: '10',
  };
  await upsertLead(h.db, record);
  return record;
}

const thanks = template('webinar-thanks', 'Thanks for joining, {{lead.name}}', 'Hi {{lead.name}}, thanks for joining.');
const caseStudy = template('case-study', 'A case study for {{lead.name}}', 'How Acme did it.');
const hot = template('hot-lead', 'Hot lead: {{lead.name}}', 'Call them.');

/** The run's result, or null when it was still running after `ms` of real time (then it is terminated). */
async function resultWithin(input: SequenceInput, ms: number): Promise<SequenceResult | null> {
  const handle = await h.testEnv.client.workflow.start(sequenceWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.sequence(input.rule.id, 'lead', input.subject.kind === 'lead' ? input.subject.lead.id : 'x'), args: [input],
  });
  const result = await Promise.race([handle.result(), new Promise<null>((resolve) => setTimeout(() => resolve(null), ms))]);
  if (!result) await handle.terminate('still held by the deferred email');
  return result;
}

test('an email the relay keeps deferring does not hold the lead\'s next email: that one goes out on time, the first is given up, never sent late', async () => {
  const l = await lead('full-mailbox');
  h.mail.deferSubjects.set('Thanks for joining, Lead full-mailbox', Infinity);
  const rule = sequenceRule({
    id: 'deferred-for-good', templates: [thanks, caseStudy, hot],
    steps: [step.send('webinar-thanks'), step.wait(1, 'hours'), step.send('hot-lead', to.leadOwner), step.wait(2, 'days'), step.send('case-study')],
  });
  const result = await resultWithin({ rule, subject: { kind: 'lead', lead: l } }, 90_000);
  h.mail.deferSubjects.delete('Thanks for joining, Lead full-mailbox');
  expect(result, 'the run was still held by the deferred email').not.toBeNull();

  const started = Date.parse(result!.sends[0].at);
  // The owner's alert an hour in, the case study two days after that: the plan's schedule.
  const [alert] = h.mail.to('ada@acme.example').filter((m) => m.subject === 'Hot lead: Lead full-mailbox');
  expect(alert.date.getTime() - (started + 3_600_000)).toBeLessThan(60_000);
  const study = h.mail.to(l.email).filter((m) => m.subject === 'A case study for Lead full-mailbox');
  expect(study).toHaveLength(1);
  expect(study[0].date.getTime() - (started + 3_600_000 + 2 * DAY)).toBeLessThan(60_000);
  // The thank-you never reached the lead, and the run and the outbox say why.
  expect(h.mail.to(l.email).map((m) => m.subject)).toEqual(['A case study for Lead full-mailbox']);
  const reason = `the mail server had not accepted it when the sequence's next email to ${l.email} was due`;
  expect(result!.sends.map((s) => [s.to, s.outcome, s.reason])).toEqual([
    [l.email, 'failed', reason], ['ada@acme.example', 'sent', undefined], [l.email, 'sent', undefined],
  ]);
  const rows = await listOutbox(h.db, { to: l.email });
  expect(rows.map((row) => [row.template, row.status, row.error])).toEqual([['case-study', 'sent', null], ['webinar-thanks', 'failed', reason]]);
}, 120_000);

test('an email the relay accepts only after half an hour of retries does not push the later emails back', async () => {
  const l = await lead('greylisted');
  // Retried after 1, 2, 4 ... 512 s, then every 10 minutes: taken about 27 minutes in.
  h.mail.deferSubjects.set('Thanks for joining, Lead greylisted', 12);
  const rule = sequenceRule({ id: 'deferred-a-while', templates: [thanks, caseStudy], steps: [step.send('webinar-thanks'), step.wait(2, 'days'), step.send('case-study')] });
  const result = await resultWithin({ rule, subject: { kind: 'lead', lead: l } }, 90_000);
  expect(result).not.toBeNull();
  expect(h.mail.deferSubjects.get('Thanks for joining, Lead greylisted')).toBe(0);
  expect(result!.sends.map((s) => [s.to, s.outcome])).toEqual([[l.email, 'sent'], [l.email, 'sent']]);
  const started = Date.parse(result!.sends[0].at);
  // Both reached the lead, once each; the case study two days after the thank-you was due, not after it was taken.
  expect(h.mail.to(l.email).map((m) => m.subject)).toEqual(['Thanks for joining, Lead greylisted', 'A case study for Lead greylisted']);
  const study = Date.parse(result!.sends[1].at);
  expect(study - (started + 2 * DAY)).toBeGreaterThanOrEqual(0);
  expect(study - (started + 2 * DAY)).toBeLessThan(60_000);
}, 120_000);

test('the last email of a sequence is retried for a week, then recorded failed; the run ends', async () => {
  const l = await lead('away-for-good');
  h.mail.deferSubjects.set('Thanks for joining, Lead away-for-good', Infinity);
  const rule = sequenceRule({ id: 'deferred-last', templates: [thanks], steps: [step.send('webinar-thanks')] });
  const result = await resultWithin({ rule, subject: { kind: 'lead', lead: l } }, 90_000);
  h.mail.deferSubjects.delete('Thanks for joining, Lead away-for-good');
  expect(result).not.toBeNull();
  expect(result!.sends.map((s) => [s.outcome, s.reason])).toEqual([['failed', 'the mail server did not accept it within a week']]);
  expect(h.mail.to(l.email)).toEqual([]);
  expect((await listOutbox(h.db, { to: l.email })).map((row) => row.status)).toEqual(['failed']);
}, 120_000);

test('two emails back to back: the first, greylisted for a few minutes, still goes out before the second', async () => {
  const l = await lead('greylisted-twice');
  // Deferred for the first attempts (about 3 minutes of retries), as a greylisting relay does.
  h.mail.deferSubjects.set('Thanks for joining, Lead greylisted-twice', 8);
  const rule = sequenceRule({ id: 'back-to-back', templates: [thanks, caseStudy], steps: [step.send('webinar-thanks'), step.send('case-study')] });
  const result = await resultWithin({ rule, subject: { kind: 'lead', lead: l } }, 90_000);
  expect(result).not.toBeNull();
  expect(result!.sends.map((s) => [s.to, s.outcome])).toEqual([[l.email, 'sent'], [l.email, 'sent']]);
  expect(h.mail.to(l.email).map((m) => m.subject)).toEqual(['Thanks for joining, Lead greylisted-twice', 'A case study for Lead greylisted-twice']);
}, 120_000);

test('while the next email waits for a deferred one\'s retries, the run says so (what the dev outbox lists as held)', async () => {
  const l = await lead('full-now');
  h.mail.deferSubjects.set('Thanks for joining, Lead full-now', Infinity);
  const rule = sequenceRule({ id: 'waits-for-retries', templates: [thanks, caseStudy], steps: [step.send('webinar-thanks'), step.send('case-study')] });
  const handle = await h.testEnv.client.workflow.start(sequenceWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', l.id), args: [{ rule, subject: { kind: 'lead', lead: l } }],
  });
  let held: HeldSend | null = null;
  for (let tries = 0; !held && tries < 200; tries++) {
    held = await handle.query(heldSendQuery);
    if (!held) await new Promise((r) => setTimeout(r, 100));
  }
  expect(held).toMatchObject({
    template: 'case-study', to: [l.email], reason: `the mail server deferred the earlier email to ${l.email}; it is retried first`,
  });
  const result = await handle.result();
  h.mail.deferSubjects.delete('Thanks for joining, Lead full-now');
  // Given up 20 minutes after its first attempt; the case study went out then.
  expect(Date.parse(held!.at) - Date.parse(result.sends[0].at)).toBe(20 * 60_000);
  expect(result.sends.map((s) => [s.outcome, s.reason])).toEqual([
    ['failed', `the mail server had not accepted it when the sequence's next email to ${l.email} was due`], ['sent', undefined],
  ]);
  expect(Date.parse(result.sends[1].at)).toBeGreaterThanOrEqual(Date.parse(held!.at));
}, 120_000);
