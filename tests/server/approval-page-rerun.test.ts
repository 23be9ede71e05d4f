// The approval page of a statement computed again after a rejection says who rejected the earlier
// one as its email does: the rule's `otherwise reject` when no one decided in time, not a person
// named "otherwise" who gave "no reason".
import { expect, test } from 'vitest';
import { approvalForm } from '../../src/server/pages/approval.js';
import type { PayoutStatus } from '../../src/workflows/api.js';
import { payoutScope } from '../../src/activities/payout-emails.js';
import type { Statement } from '../../src/payouts/statement.js';
import type { RepRecord } from '../../src/plan/records.js';
import { specRule } from '../payouts/spec-rule.js';

const status: PayoutStatus = {
  phase: 'awaiting-approval', statement: null, approver: 'hana@corp.example', round: 0,
  deadline: '2026-12-09T03:59:00.000Z', deadlineZone: 'Asia/Seoul', decision: null, afterDeadline: 'escalated',
};
const earlier = { at: '2026-12-07T04:07:00.000Z', total: '550.00', currency: 'USD' };

test('an earlier statement the rule\'s otherwise rejected is said to be so', () => {
  const page = approvalForm(status, 'hana@corp.example', { ...earlier, by: 'otherwise', reason: null }).toString();
  expect(page).toContain("(total 550.00 USD) was rejected by the rule's <code>otherwise reject</code> (no decision in time) at 2026-12-07 13:07 Asia/Seoul.</p>");
  expect(page).not.toContain('<strong>otherwise</strong>');
  expect(page).not.toContain('no reason given');
});

test('an earlier statement an approver rejected names them, and says when they gave no reason', () => {
  const page = approvalForm(status, 'hana@corp.example', { ...earlier, by: 'hana@corp.example', reason: null }).toString();
  expect(page).toContain('was rejected by <strong>hana@corp.example</strong> at 2026-12-07 13:07 Asia/Seoul (no reason given).</p>');
});

// A re-run that came to the very total that was rejected (the data was likely not corrected):
// the approver is told so on the page and in the email, instead of having to compare totals.
test('a re-run with the rejected total says the total is unchanged, on the page and in the email', () => {
  const withTotal = (total: string): PayoutStatus => ({ ...status, statement: { total, currency: 'USD', lines: [], rewards: [], warnings: [] } });
  const replaced = { ...earlier, by: 'hana@corp.example', reason: 'D-7 is counted twice' };
  expect(approvalForm(withTotal('550.00'), 'hana@corp.example', replaced).toString()).toContain('“D-7 is counted twice”. The new total is the same as the rejected one.</p>');
  expect(approvalForm(withTotal('500.00'), 'hana@corp.example', replaced).toString()).not.toContain('same as the rejected');

  const rule = specRule({});
  const rep = { id: 'r1', name: 'Ada', email: 'ada@acme.example', team: null, role: null, region: null, manager: 'hana@corp.example', timezone: null, start_date: null } as unknown as RepRecord;
  const email = (total: string) => payoutScope({
    rule, rep, statement: { period: '2026-Q1', currency: 'USD', measure: '0', target: '100000.00', attainment: '0', lines: [], rewards: [], total, warnings: [] } as unknown as Statement,
    approval: { url: 'http://localhost/approvals/t', approver: 'hana@corp.example', due: 0, rejectedBefore: replaced },
  }).approval as Record<string, unknown>;
  expect(email('550.00').rejected_before).toContain('Reason given: "D-7 is counted twice". The new total is the same as the rejected one.');
  expect(email('550').rejected_before).toContain('The new total is the same as the rejected one.');
  expect(email('500.00').rejected_before).not.toContain('same as the rejected');
});
