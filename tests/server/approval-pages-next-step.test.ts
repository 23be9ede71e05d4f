// What the approver reads when a link cannot be used or a payout was rejected: what happened and
// what happens next, so a manager is not left guessing whether the rep is paid or how to go on.
import { describe, expect, it } from 'vitest';
import { decidedPage, linkProblemPage } from '../../src/server/pages/approval.js';

const text = (page: { toString(): string }) => page.toString().replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

describe('approval pages say what to do next', () => {
  it('a link to a payout that no longer exists says whom to tell and how it is started again', () => {
    const page = text(linkProblemPage('not-found'));
    expect(page).toContain('The payout this link belongs to no longer exists. Nothing was changed.');
    expect(page).toContain('If it still needs your decision, tell sales ops');
    expect(page).toContain('salesflow payouts run');
  });

  it('the rejected page says nothing is paid and how the statement comes back for approval', () => {
    const page = text(decidedPage({ outcome: 'rejected', decidedBy: 'mgr@acme.example', decidedAt: '2026-04-02T09:00:00.000Z' }, null, false, 'D-1 is double counted', 'UTC'));
    expect(page).toContain('Rejected by mgr@acme.example at 2026-04-02 09:00 UTC.');
    expect(page).toContain('Nothing is paid for this statement.');
    expect(page).toContain('salesflow payouts run --rerun-rejected');
    // The approved page keeps its own next step.
    const approved = text(decidedPage({ outcome: 'approved', decidedBy: 'mgr@acme.example', decidedAt: '2026-04-02T09:00:00.000Z' }, null, false, undefined, 'UTC'));
    expect(approved).toContain('The payout is recorded in the ledger once and the rep is emailed the statement.');
    expect(approved).not.toContain('Nothing is paid');
  });
});
