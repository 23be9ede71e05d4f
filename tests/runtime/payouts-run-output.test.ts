// What `payouts run` prints for each rep (describePayoutRuns), without Temporal: one line per rep,
// whatever the approver typed as their reason.
import { expect, test } from 'vitest';
import { parsePeriod } from '../../src/payouts/period.js';
import { describePayoutRuns } from '../../src/runtime/payouts-run.js';
import { specRule } from '../payouts/spec-rule.js';

test('a rejection reason written over several lines is shown on its rep\'s one line', () => {
  const rule = specRule();
  const period = parsePeriod('2026-Q1');
  if (!period.ok) throw new Error(period.message);
  const said = describePayoutRuns([rule], period.period, [{
    ruleId: rule.id, repId: 'r-9', repName: 'Closer', workflowId: 'payout:ae-commission-fy26:r-9:2026-Q1',
    outcome: 'already-run', state: 'rejected',
    rejected: { by: 'boss@acme.example', reason: 'D-9 is 50,000, not 500,000.\r\n\r\nPlease fix the import.' },
  }]);
  const lines = said.split('\n');
  expect(lines[1]).toBe('  already run  Closer (r-9)  payout:ae-commission-fy26:r-9:2026-Q1  (rejected by boss@acme.example: "D-9 is 50,000, not 500,000. Please fix the import.")');
  expect(lines[2]).toBe('0 payout run(s) started, 1 already run');
});
