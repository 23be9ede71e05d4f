// SPEC §5: "reward lines are non-monetary and listed on the statement"; "The statement lists every
// line"; a statement with a reward asks for approval. The approver's email shows the reward it is
// asked to approve, and the emails carry the warning naming a deal left out for its currency.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Dev } from './dev-server.js';
import { closedQuarter } from './periods.js';

const q = closedQuarter();
let dev: Dev;
beforeAll(async () => {
  dev = await Dev.start({
    'rules/reward.rules': `incentive "Trophy club" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission marginal {
    up to 100% pay 8%
    above pay 12%
  }
  reward "Golden trophy" when attainment >= 120%
  approve by rep.manager within 5 days {
    otherwise reject
  }
}
incentive "Reward only" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  reward "Team dinner" when attainment >= 40%
  approve by rep.manager within 5 days {
    otherwise reject
  }
}
`,
    'data/reps.csv': 'id,name,email,team,role,region,manager,timezone,start_date\nr-ann,Ann Able,ann@audit.example,AEs,AE,EMEA,mia@audit.example,Europe/Berlin,2023-01-01\n',
    'data/deals.csv': `id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\nD-1,r-ann,Big,160000,USD,won,Platform,new,webinar,${q.day(5)},x@cust.example\nD-2,r-ann,Euro deal,7000,EUR,won,Platform,new,webinar,${q.day(6)},y@cust.example\n`,
  }, [['reps', 'data/reps.csv'], ['deals', 'data/deals.csv']]);
  expect(dev.cli(['payouts', 'run', '--period', q.label, 'rules']).code).toBe(0);
}, 240_000);
afterAll(async () => { await dev?.stop(); }, 30_000);

it('the approval email names the rewards on the statement, with or without money lines', async () => {
  const mails = await dev.until('two approval emails', () => {
    const rows = dev.outbox().filter((m) => m.template === 'incentive-approval');
    return rows.length >= 2 ? rows : undefined;
  });
  const withMoney = mails.find((m) => m.workflow_id!.includes('trophy-club'))!;
  const rewardOnly = mails.find((m) => m.workflow_id!.includes('reward-only'))!;
  expect(withMoney.text).toContain('Golden trophy');
  expect(rewardOnly.text).toContain('Team dinner');
});

// SPEC §5: deals in another currency are left out "and the statement carries a warning naming
// them". The approval page shows the warning; the approval email (and the rep's statement email)
// do not, so an approver deciding from the email never learns a deal was left out.
it('the approval email carries the currency warning naming the left-out deal', async () => {
  const mail = dev.outbox().find((m) => m.template === 'incentive-approval' && m.workflow_id!.includes('trophy-club'))!;
  expect(mail.text).toContain('D-2');
});
