// The approval page of an escalated request says why it is this approver's, as their email does:
// also when the earlier approver's email was refused by the mail server.
import { expect, test } from 'vitest';
import { approvalForm } from '../../src/server/pages/approval.js';
import type { PayoutStatus } from '../../src/workflows/api.js';

const status: PayoutStatus = {
  phase: 'awaiting-approval', statement: null, approver: 'vp-sales@acme.example', round: 1,
  deadline: '2026-04-09T09:00:00.000Z', deadlineZone: 'Europe/Berlin', decision: null, afterDeadline: 'rejected',
};

test('an escalation after a refused approval email names the refused address, not a missing manager', () => {
  const page = approvalForm(status, 'vp-sales@acme.example', undefined, { earlierAsked: false, refusedTo: ['gone@acme.example'] }).toString();
  expect(page).toContain('<p class="escalated">It comes to you because the mail server refused the approval email to gone@acme.example.</p>');
  const noManager = approvalForm(status, 'vp-sales@acme.example', undefined, { earlierAsked: false, refusedTo: [] }).toString();
  expect(noManager).toContain('no earlier approver could be asked (e.g. no manager on record)');
});
