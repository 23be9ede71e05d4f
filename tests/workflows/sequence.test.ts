import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import { listOutbox } from '../../src/data/outbox.js';
import { suppress } from '../../src/data/suppressions.js';
import type { LeadRecord } from '../../src/plan/records.js';
import { verifyToken } from '../../src/tokens/index.js';
import { stopSignal, workflowIds, type SequenceInput } from '../../src/workflows/api.js';
import { fromLocal, localTime } from '../../src/workflows/calendar.js';
import { sequenceWorkflow } from '../../src/workflows/sequence.js';
import { waitForHistory } from '../temporal/fixtures/history.js';
import { until } from './support/clock.js';
import { SECRET, startHarness, type Harness } from './support/harness.js';
import { scoreAtLeast, sequenceRule, step, template, to } from './support/rules.js';

const DAY = 86_400_000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness('sequence');
  await upsertRep(h.db, {
    id: 'r-ada', name: 'Ada Rep', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null,
  });
});
afterAll(async () => {
  await h?.close();
});

async function lead(id: string, extra: Partial<LeadRecord> = {}): Promise<LeadRecord> {
  const record: LeadRecord = {
    id, name: `Lead ${id}`, email: `${id}@prospect.example`, company: 'Prospect Inc', source: 'webinar',
    stage: 'new', owner: 'r-ada', timezone: 'UTC', score: '10', ...extra,
  };
  await upsertLead(h.db, record);
  return record;
}

function start(input: SequenceInput) {
  const subjectId = input.subject.kind === 'lead' ? input.subject.lead.id : 'x';
  return h.testEnv.client.workflow.start(sequenceWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: workflowIds.sequence(input.rule.id, input.subject.kind, subjectId),
    args: [input],
  });
}

const thanks = template('webinar-thanks', 'Thanks for joining, {{lead.name}}', 'Hi {{lead.name}},\n\nthanks for joining.');
const survey = template('csat-survey', 'How did we do?', 'Hi {{lead.name}}, one question for you.');

describe('sequence workflow', () => {
  test('a 30-day nurture finishes in seconds of wall time, the second email 30 days after the first', async () => {
    const l = await lead('nurture');
    const rule = sequenceRule({ id: 'nurture', templates: [thanks, survey], steps: [step.send('webinar-thanks'), step.wait(30, 'days'), step.send('csat-survey')] });
    const wall = Date.now();
    const result = await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    expect(Date.now() - wall).toBeLessThan(30_000);
    expect(result.outcome).toBe('completed');
    expect(result.sends.map((s) => s.outcome)).toEqual(['sent', 'sent']);
    const mails = h.mail.to(l.email);
    expect(mails.map((m) => m.subject)).toEqual(['Thanks for joining, Lead nurture', 'How did we do?']);
    expect(mails[1].date.getTime() - mails[0].date.getTime()).toBeGreaterThanOrEqual(30 * DAY - 1000);
  });

  test('a stop event during a wait ends the run at once: no later email', async () => {
    const l = await lead('stopper');
    const rule = sequenceRule({ id: 'stoppable', templates: [thanks, survey], steps: [step.send('webinar-thanks'), step.wait(2, 'days'), step.send('csat-survey')] });
    const handle = await start({ rule, subject: { kind: 'lead', lead: l } });
    await h.mail.waitFor(() => h.mail.to(l.email).length === 1);
    await handle.signal(stopSignal, { eventType: 'lead.replied', eventId: 'ev-1' });
    const result = await handle.result();
    expect(result.outcome).toBe('stopped');
    expect(result.stoppedBy).toEqual({ eventType: 'lead.replied', eventId: 'ev-1' });
    expect(h.mail.to(l.email)).toHaveLength(1);
  });

  test('a second start for a subject already in the sequence is refused', async () => {
    const l = await lead('twice');
    const rule = sequenceRule({ id: 'once-only', templates: [thanks], steps: [step.wait(1, 'days'), step.send('webinar-thanks')] });
    const first = await start({ rule, subject: { kind: 'lead', lead: l } });
    await expect(start({ rule, subject: { kind: 'lead', lead: l } })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await first.result();
    expect(h.mail.to(l.email)).toHaveLength(1);
  });

  test('quiet hours 20:00 to 08:00 move a 21:xx send to 08:00 the next morning in the recipient zone', async () => {
    // A fixed-offset zone in which it is 21:xx now, whatever the time of the test run.
    const now = await h.testEnv.currentTimeMs();
    const utcHour = new Date(now).getUTCHours();
    const offset = ((21 - utcHour + 36) % 24) - 12; // -12..+11
    const zone = offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    expect(localTime(now, zone).hour).toBe(21);
    const l = await lead('night-owl', { timezone: zone });
    const rule = sequenceRule({
      id: 'quiet', templates: [thanks], quietHours: { from: '20:00', to: '08:00', weekends: false },
      steps: [step.send('webinar-thanks')],
    });
    const result = await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    const expected = fromLocal(localTime(now, zone).day + 1, 8, 0, zone);
    // Sent in the first allowed minute (the workflow wakes a few ms after its timer).
    const sentAt = Date.parse(result.sends[0].at);
    expect(sentAt - expected).toBeGreaterThanOrEqual(0);
    expect(sentAt - expected).toBeLessThan(60_000);
    const [mail] = h.mail.to(l.email);
    expect(Math.abs(mail.date.getTime() - sentAt)).toBeLessThan(1000);
    expect(localTime(mail.date.getTime(), zone)).toMatchObject({ hour: 8, minute: 0 });
  });

  test('a send to several people reaches each as soon as their own quiet hours allow, not after the others\' night', async () => {
    // Fixed-offset zones in which it is 23:xx (the lead) and 12:xx (the owner, the rule) now, whatever the hour of the run.
    const now = await h.testEnv.currentTimeMs();
    const zoneAt = (hour: number) => {
      const offset = ((hour - new Date(now).getUTCHours() + 36) % 24) - 12;
      return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    };
    const [night, noon] = [zoneAt(23), zoneAt(12)];
    await upsertRep(h.db, {
      id: 'r-noon', name: 'Noon Rep', email: 'noon@acme.example', team: 'AEs', role: 'AE', region: 'EMEA', manager: null, timezone: noon, start_date: null,
    });
    const l = await lead('asleep', { timezone: night, owner: 'r-noon' });
    const rule = sequenceRule({
      id: 'several', templates: [thanks], timezone: noon, quietHours: { from: '20:00', to: '08:00', weekends: false },
      steps: [step.send('webinar-thanks', to.lead, to.leadOwner, to.address('copy@acme.example'))],
    });
    const result = await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    const sentAt = (address: string) => Date.parse(result.sends.find((s) => s.to === address)!.at);
    // The owner and the copy are in their working day: at once.
    expect(sentAt('noon@acme.example') - now).toBeLessThan(60_000);
    expect(sentAt('copy@acme.example') - now).toBeLessThan(60_000);
    // The lead at 08:00 their time.
    expect(localTime(sentAt(l.email), night)).toMatchObject({ hour: 8, minute: 0 });
    expect(result.sends.map((s) => s.to)).toEqual(['noon@acme.example', 'copy@acme.example', l.email]);
  });

  test('a stop while the relay turns the email away for now (451) ends the run at once: the email never goes out', async () => {
    const l = await lead('deferred');
    h.mail.defer.add(l.email);
    const rule = sequenceRule({ id: 'deferred', templates: [thanks, survey], steps: [step.send('webinar-thanks'), step.wait(2, 'days'), step.send('csat-survey')] });
    const attempts = () => (h.calls.get('sendToCurrentRecipient') ?? 0) + (h.calls.get('sendSequenceEmail') ?? 0);
    const before = attempts();
    const handle = await start({ rule, subject: { kind: 'lead', lead: l } });
    // Turned away and being retried: the lead replies meanwhile.
    await until(async () => attempts() >= before + 2, 30_000);
    await handle.signal(stopSignal, { eventType: 'lead.replied', eventId: 'ev-deferred' });
    await until(async () => (await handle.describe()).status.name !== 'RUNNING', 10_000).catch(() => undefined);
    // The relay takes mail again: a send still being retried would go out now.
    h.mail.defer.delete(l.email);
    const result = await handle.result();
    const reason = 'the sequence stopped (lead.replied) before the mail server accepted it';
    expect(result).toMatchObject({ outcome: 'stopped', stoppedBy: { eventType: 'lead.replied' }, sends: [{ to: l.email, outcome: 'failed', reason }] });
    expect(h.mail.to(l.email)).toHaveLength(0);
    expect((await listOutbox(h.db, { to: l.email })).map((row) => [row.status, row.error])).toEqual([['failed', reason]]);
  });

  test('a recipient the relay turns away for now (451) does not hold up the other recipients of the send', async () => {
    const l = await lead('full-mailbox');
    h.mail.defer.add(l.email);
    const rule = sequenceRule({ id: 'deferred-one', templates: [thanks], steps: [step.send('webinar-thanks', to.lead, to.leadOwner, to.address('copy@acme.example'))] });
    const handle = await start({ rule, subject: { kind: 'lead', lead: l } });
    // The lead's email is still being retried, and the owner and the copy have theirs.
    await h.mail.waitFor(() => h.mail.to('ada@acme.example').some((m) => m.subject === 'Thanks for joining, Lead full-mailbox') && h.mail.to('copy@acme.example').some((m) => m.subject === 'Thanks for joining, Lead full-mailbox'), 20_000);
    expect(h.mail.to(l.email)).toEqual([]);
    h.mail.defer.delete(l.email);
    const result = await handle.result();
    // Recorded in the order written, each once.
    expect(result.sends.map((s) => [s.to, s.outcome])).toEqual([[l.email, 'sent'], ['ada@acme.example', 'sent'], ['copy@acme.example', 'sent']]);
    expect(h.mail.to(l.email)).toHaveLength(1);
    expect(h.mail.to('copy@acme.example').filter((m) => m.subject === 'Thanks for joining, Lead full-mailbox')).toHaveLength(1);
  });

  test('a stop while a send is held by quiet hours ends the run without the email', async () => {
    const now = await h.testEnv.currentTimeMs();
    const offset = ((23 - new Date(now).getUTCHours() + 36) % 24) - 12;
    const zone = offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    const l = await lead('held', { timezone: zone });
    const rule = sequenceRule({ id: 'held', templates: [thanks], quietHours: { from: '20:00', to: '08:00', weekends: false }, steps: [step.send('webinar-thanks')] });
    const handle = await start({ rule, subject: { kind: 'lead', lead: l } });
    await waitForHistory(handle, (events) => events.some((e) => e.timerStartedEventAttributes));
    await handle.signal(stopSignal, { eventType: 'lead.unsubscribed', eventId: 'ev-held' });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'stopped', sends: [] });
    expect(h.mail.to(l.email)).toHaveLength(0);
  });

  test('if-else reads the lead as it is when the step runs, not as it was at the start', async () => {
    const l = await lead('warming', { score: '10' });
    const hot = template('book-a-call', 'Shall we talk?', 'Book a call, {{lead.name}}.');
    const cold = template('newsletter-invite', 'Our newsletter', 'Subscribe, {{lead.name}}.');
    const alert = template('hot-lead', 'Hot lead: {{lead.name}}', '{{lead.name}} scored {{lead.score}}.');
    const rule = sequenceRule({
      id: 'branching', templates: [hot, cold, alert],
      steps: [step.wait(3, 'business_days'), step.if(scoreAtLeast(50), [step.send('book-a-call'), step.send('hot-lead', to.leadOwner)], [step.send('newsletter-invite')])],
    });
    const handle = await start({ rule, subject: { kind: 'lead', lead: l } });
    await upsertLead(h.db, { ...l, score: '80' });
    await handle.result();
    expect(h.mail.to(l.email).map((m) => m.subject)).toEqual(['Shall we talk?']);
    const owner = h.mail.to('ada@acme.example').filter((m) => m.subject === 'Hot lead: Lead warming');
    expect(owner).toHaveLength(1);
    expect(owner[0].body).toContain('scored 80');
  });

  test('sequence emails carry a signed one-click unsubscribe link and List-Unsubscribe headers', async () => {
    const l = await lead('listener');
    const rule = sequenceRule({ id: 'unsub', templates: [thanks], steps: [step.send('webinar-thanks')] });
    await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    const [mail] = h.mail.to(l.email);
    expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const link = /^<(http:\/\/salesflow\.test\/unsubscribe\/([^>]+))>$/.exec(mail.headers.get('list-unsubscribe') ?? '');
    expect(link).not.toBeNull();
    expect(mail.body).toContain(link![1]);
    const check = verifyToken(link![2], SECRET, 'unsubscribe');
    expect(check).toMatchObject({ ok: true, claims: { email: 'listener@prospect.example', ruleId: 'unsub' } });
  });

  test('a template naming {{unsubscribe.url}} only in its subject still gets the unsubscribe link in its body', async () => {
    const l = await lead('subject-link');
    const odd = template('odd-link', 'News (leave: {{unsubscribe.url}})', 'Hi {{lead.name}}, our news.');
    const rule = sequenceRule({ id: 'subject-link', templates: [odd], steps: [step.send('odd-link')] });
    await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    const [mail] = h.mail.to(l.email);
    const link = /^<(http:\/\/salesflow\.test\/unsubscribe\/[^>]+)>$/.exec(mail.headers.get('list-unsubscribe') ?? '')![1];
    expect(mail.subject).toContain(link);
    // Both parts: the HTML footer link and the text footer.
    expect(mail.body).toContain(`<a href="${link}">Unsubscribe</a>`);
    expect(mail.body).toContain(`Unsubscribe: ${link}`);
  });

  test('an unsubscribed address gets no email: the send is recorded as suppressed', async () => {
    const l = await lead('gone');
    await suppress(h.db, l.email.toUpperCase(), 'unsubscribed');
    const rule = sequenceRule({ id: 'suppressed', templates: [thanks], steps: [step.send('webinar-thanks')] });
    const result = await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    expect(result.sends.map((s) => s.outcome)).toEqual(['suppressed']);
    expect(h.mail.to(l.email)).toHaveLength(0);
    expect((await listOutbox(h.db, { to: l.email })).map((r) => r.status)).toEqual(['suppressed']);
  });

  test('an address the relay refuses for good is recorded as failed and the sequence goes on', async () => {
    const l = await lead('bounce');
    h.mail.refuse.add(l.email);
    const rule = sequenceRule({ id: 'bouncing', templates: [thanks, survey], steps: [step.send('webinar-thanks'), step.send('csat-survey', to.address('ops@acme.example'))] });
    const result = await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    expect(result.sends.map((s) => [s.to, s.outcome])).toEqual([[l.email, 'failed'], ['ops@acme.example', 'sent']]);
    const [row] = await listOutbox(h.db, { to: l.email });
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/550|mailbox unavailable/);
  });

  test('a send retried after it already mailed does not mail twice', async () => {
    const l = await lead('retry');
    const rule = sequenceRule({ id: 'retried', templates: [thanks], steps: [step.send('webinar-thanks')] });
    const before = h.calls.get('sendToCurrentRecipient') ?? 0;
    h.failAfterWork('sendToCurrentRecipient');
    const result = await (await start({ rule, subject: { kind: 'lead', lead: l } })).result();
    expect((h.calls.get('sendToCurrentRecipient') ?? 0) - before).toBe(2);
    expect(result.sends.map((s) => s.outcome)).toEqual(['already-sent']);
    expect(h.mail.to(l.email)).toHaveLength(1);
    const rows = await listOutbox(h.db, { to: l.email });
    expect(rows.map((r) => [r.key, r.status])).toEqual([[`seq:retried:lead:retry:${rule.steps[0].kind === 'send' ? rule.steps[0].send.id : ''}:retry@prospect.example`, 'sent']]);
  });

  test('CSAT after close: a deal sequence waits 30 days and mails the deal contact; a deal subject has no lead', async () => {
    const deal = {
      id: 'won-1', rep: 'r-ada', name: 'Big deal', amount: '50000', currency: 'USD', stage: 'won' as const, product: 'Core',
      type: 'new' as const, source: null, closed_at: '2026-03-01', contact: 'buyer@customer.example',
    };
    await upsertDeal(h.db, deal);
    const csat = template('csat-survey', 'How did {{deal.name}} go?', 'Your {{deal.amount}} purchase, handled by {{rep.name}}.');
    const base = sequenceRule({ id: 'csat', templates: [csat], steps: [step.wait(30, 'days'), step.send('csat-survey', { kind: 'entity', entity: 'deal' })] });
    const rule = { ...base, subject: 'deal' as const, trigger: { kind: 'event' as const, event: 'deal.won' as const, where: null } };
    const handle = await h.testEnv.client.workflow.start(sequenceWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'deal', deal.id), args: [{ rule, subject: { kind: 'deal', deal } }],
    });
    const result = await handle.result();
    expect(result.sends.map((s) => [s.to, s.outcome])).toEqual([['buyer@customer.example', 'sent']]);
    const [mail] = h.mail.to('buyer@customer.example');
    expect(mail.subject).toBe('How did Big deal go?');
    expect(mail.body).toContain('Your 50,000.00 USD purchase, handled by Ada Rep.');
  });

  test('a scheduled run about a rep who has left mails nobody; one about a rep still employed mails them', async () => {
    const prep = template('one-on-one-prep', '1:1 prep for {{rep.name}}', 'See you Friday.');
    const rule = { ...sequenceRule({ id: 'prep-leavers', templates: [prep], steps: [step.send('one-on-one-prep', to.rep)] }), subject: 'rep' as const };
    const base = { team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: null, timezone: 'Pacific/Chatham', start_date: '2020-01-01' };
    const left = { id: 'r-left', name: 'Left Rep', email: 'left@acme.example', ...base, end_date: '2020-06-30' };
    const stays = { id: 'r-stays', name: 'Stays Rep', email: 'stays@acme.example', ...base, end_date: null };
    for (const r of [left, stays]) await upsertRep(h.db, r);
    const run = (r: typeof left | typeof stays) => h.testEnv.client.workflow.execute(sequenceWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'rep', r.id), args: [{ rule, subject: { kind: 'rep', rep: r } }],
    });
    // Not "suppressed" (which says the address unsubscribed): skipped, saying why.
    expect((await run(left)).sends.map((x) => [x.outcome, x.reason])).toEqual([['skipped', expect.stringMatching(/^rep r-left is not employed on \d{4}-\d{2}-\d{2}$/)]]);
    expect((await run(stays)).sends.map((x) => x.outcome)).toEqual(['sent']);
    expect(h.mail.to('left@acme.example')).toEqual([]);
    expect(h.mail.to('stays@acme.example').map((m) => m.subject)).toEqual(['1:1 prep for Stays Rep']);
  });

  test('a scheduled run about a rep without a zone reads the send\'s date in the rule\'s zone (the settings), not UTC', async () => {
    const prep = template('one-on-one-prep', '1:1 prep for {{rep.name}}', 'See you Friday.');
    const rule = { ...sequenceRule({ id: 'prep-rule-zone', timezone: 'Pacific/Kiritimati', templates: [prep], steps: [step.send('one-on-one-prep', to.rep)] }), subject: 'rep' as const };
    const base = { team: 'EMEA AEs', role: 'AE', region: 'EMEA', manager: null, timezone: null, start_date: '2020-01-01' };
    /**
     * The run sends at 20:00 UTC on 30 June next year (read off the server's clock per run: it
     * jumps ahead between runs), which is 10:00 on 1 July in Kiritimati (UTC+14), the rule's zone.
     * The send waits on a timer to that instant, so it goes out exactly then.
     */
    const sendOn30June = async (id: string, name: string, lastDay: (year: number) => string) => {
      const year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
      const rep = { id, name, email: `${id}@acme.example`, ...base, end_date: lastDay(year) };
      await upsertRep(h.db, rep);
      const result = await h.testEnv.client.workflow.execute(sequenceWorkflow, {
        taskQueue: h.taskQueue, workflowId: workflowIds.sequenceTick(rule.id, id, `${year}-07-01`),
        args: [{ rule, subject: { kind: 'rep', rep }, occurrence: `${year}-07-01`, startAt: `${year}-06-30T20:00:00.000Z` }],
      });
      expect(result.sends.map((x) => x.at.slice(0, 16))).toEqual([`${year}-06-30T20:00`]);
      return result.sends.map((x) => x.outcome);
    };
    // It is already 1 July where the rule's times are: the rep whose last day was 30 June has left.
    expect(await sendOn30June('r-left-june', 'June Leaver', (y) => `${y}-06-30`)).toEqual(['skipped']);
    expect(await sendOn30June('r-leaves-july', 'July Leaver', (y) => `${y}-07-01`)).toEqual(['sent']);
    expect(h.mail.to('r-left-june@acme.example')).toEqual([]);
    expect(h.mail.to('r-leaves-july@acme.example').map((m) => m.subject)).toEqual(['1:1 prep for July Leaver']);
  });

  test('a long run continues as new, carrying its position: every email once, in order', async () => {
    const l = await lead('marathon');
    const mails = [1, 2, 3, 4, 5].map((n) => template(`m${n}`, `Mail ${n}`, `Number ${n}.`));
    const steps = mails.flatMap((m) => [step.send(m.name), step.wait(1, 'weeks')]);
    const rule = sequenceRule({ id: 'marathon', templates: mails, steps });
    const handle = await start({ rule, subject: { kind: 'lead', lead: l }, stepsPerRun: 3 });
    const firstRunId = handle.firstExecutionRunId;
    const result = await handle.result();
    expect(result.outcome).toBe('completed');
    expect(h.mail.to(l.email).map((m) => m.subject)).toEqual(['Mail 1', 'Mail 2', 'Mail 3', 'Mail 4', 'Mail 5']);
    expect(result.sends).toHaveLength(5);
    const first = await h.testEnv.client.workflow.getHandle(handle.workflowId, firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
  });
});
