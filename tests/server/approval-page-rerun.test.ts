// The approval page of a statement computed again after a rejection says who rejected the earlier
// one as its email does: the rule's `otherwise reject` when no one decided in time, not a person
// named "otherwise" who gave "no reason".
import { expect, test } from 'vitest';
import { approvalForm } from '../../src/server/pages/approval.js';
import type { PayoutStatus } from '../../src/workflows/api.js';

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
