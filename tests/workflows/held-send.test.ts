// What a sequence run reports about the email it holds back after a wait: the next template (both
// arms of an `if`), the recipients as the rule names them, the wait in the rule's words.
import { describe, expect, test } from 'vitest';
import { heldAfterWait, waitReason } from '../../src/workflows/held-send.js';
import { compileSteps } from '../../src/workflows/program.js';
import { scoreAtLeast, step, to } from './support/rules.js';

const lead = { id: 'L-1', name: 'Ada', email: 'ada@example.com', company: null, source: null, stage: null, owner: 'r-1', timezone: null, score: null };
const subject = { kind: 'lead' as const, lead };
const at = Date.parse('2026-12-09T10:00:00Z');

describe('heldAfterWait', () => {
  test('the send after the wait, to the lead by address and to the owner as the rule names it', () => {
    const program = compileSteps([step.wait(2, 'days'), step.send('case-study', to.lead, to.leadOwner)]);
    expect(heldAfterWait(program, 1, subject, at, waitReason({ amount: '2', unit: 'days' }))).toEqual({
      template: 'case-study', to: ['ada@example.com', 'lead.owner'], at: '2026-12-09T10:00:00.000Z', reason: 'wait 2 days',
      // The names as the rule gives them, with the subject: the outbox looks the owner's address up.
      named: { recipients: [to.lead, to.leadOwner], subject },
    });
  });

  test('an if after the wait: either arm may come next', () => {
    const program = compileSteps([
      step.wait(3, 'business_days'),
      step.if(scoreAtLeast(50), [step.send('book-a-call'), step.send('hot-lead', to.leadOwner)], [step.send('newsletter-invite')]),
    ]);
    expect(heldAfterWait(program, 1, subject, at, 'wait 3 business days')).toMatchObject({
      template: 'book-a-call or newsletter-invite', to: ['ada@example.com'], reason: 'wait 3 business days',
    });
  });

  test('a wait that ends on the lead\'s weekend: held until their Monday morning, and the page says why (Asia/Kathmandu, UTC+05:45)', () => {
    const program = compileSteps([step.wait(1, 'days'), step.send('case-study')]);
    const nepal = { kind: 'lead' as const, lead: { ...lead, timezone: 'Asia/Kathmandu' } };
    const quiet = { hours: { from: '20:00', to: '08:00', weekends: true }, ruleZone: 'Europe/Berlin' };
    // Saturday 10:00 in Kathmandu.
    expect(heldAfterWait(program, 1, nepal, Date.parse('2026-12-12T04:15:00Z'), 'wait 1 day', quiet)).toEqual({
      template: 'case-study', to: ['ada@example.com'], at: '2026-12-14T02:15:00.000Z', reason: 'wait 1 day, then quiet hours',
    });
    // On a weekday morning there: when the wait ends.
    expect(heldAfterWait(program, 1, nepal, Date.parse('2026-12-14T04:15:00Z'), 'wait 1 day', quiet)).toMatchObject({ at: '2026-12-14T04:15:00.000Z', reason: 'wait 1 day' });
  });

  test('a wait that ends in the lead\'s night (Pacific/Chatham, UTC+13:45 in summer): held until 08:00 there; the owner, whose zone the run does not know yet, in the rule\'s', () => {
    const chatham = { kind: 'lead' as const, lead: { ...lead, timezone: 'Pacific/Chatham' } };
    const quiet = { hours: { from: '20:00', to: '08:00', weekends: false }, ruleZone: 'UTC' };
    // 23:45 on 9 December in Chatham; 10:00 UTC.
    const until = Date.parse('2026-12-09T10:00:00Z');
    expect(heldAfterWait(compileSteps([step.wait(2, 'hours'), step.send('case-study')]), 1, chatham, until, 'wait 2 hours', quiet))
      .toMatchObject({ at: '2026-12-09T18:15:00.000Z', reason: 'wait 2 hours, then quiet hours' });
    // The owner may have it at once: the earliest is shown.
    expect(heldAfterWait(compileSteps([step.wait(2, 'hours'), step.send('hot-lead', to.lead, to.leadOwner)]), 1, chatham, until, 'wait 2 hours', quiet))
      .toMatchObject({ at: '2026-12-09T10:00:00.000Z', reason: 'wait 2 hours' });
  });

  test('nothing after the wait: nothing held', () => {
    expect(heldAfterWait(compileSteps([step.send('x'), step.wait(1, 'days')]), 2, subject, at, 'wait 1 day')).toBeNull();
  });
});

test('waits in the rule\'s words', () => {
  expect(waitReason({ amount: '1', unit: 'days' })).toBe('wait 1 day');
  expect(waitReason({ amount: '3', unit: 'business_days' })).toBe('wait 3 business days');
  expect(waitReason({ amount: '30', unit: 'minutes' })).toBe('wait 30 minutes');
  expect(waitReason({ amount: '1', unit: 'business_days' })).toBe('wait 1 business day');
});
