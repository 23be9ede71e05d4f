// What `salesflow plan` / `apply` say about a goal taken out of the rules: its schedule goes, but
// the runs it started go on to their period's end (SPEC §10: apply never breaks what is in flight),
// so a team that removed a goal is told its check-ins and review of the period under way still come.
import { expect, test } from 'vitest';
import { renderChanges } from '../../src/runtime/schedule-diff.js';

const removedGoal = {
  scheduleId: 'salesflow:weekly-bookings:goal-period-start',
  memo: { hash: 'h', description: 'at the start of every week in each rep\'s time zone: goal "Weekly bookings"', ruleName: 'Weekly bookings', ruleVersion: 'v1' },
  paused: false,
  goalPeriod: 'week' as const,
  rule: null,
};
const removedIncentive = {
  scheduleId: 'salesflow:ae:incentive-period-end',
  memo: { hash: 'h', description: 'at the end of every quarter: statements for incentive "AE"', ruleName: 'AE', ruleVersion: 'v1' },
  paused: false,
  goalPeriod: null,
  rule: null,
};

test('a removed goal\'s schedule says that the runs already started still send their check-ins and review', () => {
  const text = renderChanges({ added: [], changed: [], unchanged: [], removed: [removedGoal, removedIncentive], renamed: [] }, 'test');
  expect(text).toContain(
    '  - salesflow:weekly-bookings:goal-period-start\n' +
      '      at the start of every week in each rep\'s time zone: goal "Weekly bookings" (no longer in the rules)\n' +
      '      no later week starts; runs already started go on to their week\'s end, its check-ins and review included\n',
  );
  // Only goals have runs that outlive their schedule this way.
  expect(text.match(/runs already started/g)).toHaveLength(1);
});
