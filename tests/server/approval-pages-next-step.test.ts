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

});
