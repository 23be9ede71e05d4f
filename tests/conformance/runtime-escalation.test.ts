// SPEC §5 escalation and §9 superseded links, on short windows so the dev server gets there in a
// minute: no decision → the escalation approver gets a new link; the first approver's old link then
// shows a clear page and decides nothing; still none → `otherwise reject` tells rep and manager.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Dev, form, linkIn } from './dev-server.js';
import { closedQuarter } from './periods.js';

const q = closedQuarter();
const files = {
  'rules/incentive.rules': `incentive "Short window" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission retroactive {
    up to 100% pay 8%
    above pay 10%
  }
  approve by rep.manager within 1 minute {
    escalate to "vp-sales@audit.example" within 1 minute
    otherwise reject
  }
}
`,
  'data/reps.csv': 'id,name,email,team,role,region,manager,timezone,start_date\nr-dan,Dan Double,dan@audit.example,AEs,AE,EMEA,mia@audit.example,Europe/Berlin,2023-01-01\n',
  'data/deals.csv': `id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\nD-4,r-dan,Dan deal,40000,USD,won,Platform,new,webinar,${q.day(5)},x4@cust.example\n`,
};

let dev: Dev;
// Of the period paid here: dev applied the rule's period-end schedule, and a quarter ending while
// the test runs records a (zero) statement of that quarter too.
const statement = () => dev.statements().find((s) => s.period === q.label)!;
beforeAll(async () => {
  dev = await Dev.start(files, [['reps', 'data/reps.csv'], ['deals', 'data/deals.csv']]);
}, 240_000);
afterAll(async () => { await dev?.stop(); }, 30_000);

it('escalation supersedes the first link; the window running out applies `otherwise reject` and tells rep and manager', async () => {
  expect(dev.cli(['payouts', 'run', '--period', q.label, 'rules']).code).toBe(0);
  const first = await dev.until('approval email to the manager', () => dev.outbox().find((m) => m.template === 'incentive-approval' && m.to_addr === 'mia@audit.example'));
  expect(first.text).toContain('40,000.00 USD × 8% = 3,200.00 USD');
  const escalated = await dev.until('escalation email', () => dev.outbox().find((m) => m.template === 'incentive-approval' && m.to_addr === 'vp-sales@audit.example'), 120_000);
  expect(statement().status).toBe('pending');

  const old = linkIn(first.text, '/approvals/');
  const get = await fetch(old);
  expect(get.status).toBeGreaterThanOrEqual(400);
  expect(await get.text()).toMatch(/expired|no longer|superseded|moved on/i);
  const post = await form(old, { decision: 'approve' });
  expect(post.status).toBeGreaterThanOrEqual(400);
  expect(post.text).toMatch(/nothing was changed|expired|no longer|superseded/i);
  expect(statement().status).toBe('pending');
  expect(dev.ledger()).toEqual([]);

  const told = await dev.until('rejection emails after the window', () => {
    const rows = dev.outbox().filter((m) => m.template === 'incentive-rejected');
    return rows.length >= 2 ? rows : undefined;
  }, 120_000);
  expect(told.map((m) => m.to_addr).sort()).toEqual(['dan@audit.example', 'mia@audit.example']);
  expect(statement().status).toBe('rejected');
  const late = await form(linkIn(escalated.text, '/approvals/'), { decision: 'approve' });
  expect(late.status).toBeGreaterThanOrEqual(400);
  expect(dev.ledger()).toEqual([]);
}, 300_000);
