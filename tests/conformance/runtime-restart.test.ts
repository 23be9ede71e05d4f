// SPEC §5 "one ledger entry ... whatever retries, restarts or double clicks happen" and §1 durable
// workflows: a pending approval survives Ctrl-C and a fresh `salesflow dev` on the same folder; the
// link in the email still decides once; `payouts run` after the restart still starts nothing new.
// Plus quiet hours (§5): the first send waits while it is night in the recipient's time zone.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Dev, form, linkIn } from './dev-server.js';
import { closedQuarter } from './periods.js';

const q = closedQuarter();
const zones = ['Pacific/Auckland', 'Asia/Tokyo', 'Asia/Kolkata', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu'];
const hourIn = (zone: string): number => Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
// Margins of an hour either side, so the test does not race the quiet-hours boundary.
const night = zones.find((z) => { const h = hourIn(z); return h >= 21 || h < 7; })!;
const day = zones.find((z) => { const h = hourIn(z); return h >= 9 && h < 19; })!;

const files = {
  'rules/incentive.rules': `incentive "Durable" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission retroactive {
    up to 100% pay 10%
    above pay 10%
  }
  approve by rep.manager within 5 days {
    otherwise reject
  }
}
`,
  'rules/sequence.rules': `sequence "Quiet" {
  on lead.created
  stop on lead.replied, lead.unsubscribed
  quiet hours 20:00 to 08:00
  send "hello" to lead
}
`,
  'rules/templates/hello.md': '---\nsubject: Hello {{lead.name}}\n---\nHello\n',
  'data/reps.csv': 'id,name,email,team,role,region,manager,timezone,start_date\nr-eve,Eve Early,eve@audit.example,AEs,AE,EMEA,mia@audit.example,Europe/Berlin,2023-01-01\n',
  'data/deals.csv': `id,rep,name,amount,currency,stage,product,type,source,closed_at,contact\nD-7,r-eve,Eve deal,12345.67,USD,won,Platform,new,webinar,${q.day(3)},x7@cust.example\n`,
};

let dev: Dev;
beforeAll(async () => { dev = await Dev.start(files, [['reps', 'data/reps.csv'], ['deals', 'data/deals.csv']]); }, 240_000);
afterAll(async () => { await dev?.stop(); }, 30_000);

it('a pending approval survives a restart; the emailed link then decides once, and payouts run starts nothing new', async () => {
  expect(dev.cli(['payouts', 'run', '--period', q.label, 'rules']).code).toBe(0);
  const mail = await dev.until('approval email', () => dev.outbox().find((m) => m.template === 'incentive-approval'));
  await dev.restart();
  const again = dev.cli(['payouts', 'run', '--period', q.label, 'rules']);
  expect(again.stdout).toMatch(/0 payout run\(s\) started/);
  const link = linkIn(mail.text, '/approvals/');
  const r = await form(link, { decision: 'approve' });
  expect(r.status, r.text).toBe(200);
  await dev.until('statement email to Eve', () => dev.outbox().find((m) => m.to_addr === 'eve@audit.example'));
  expect((await form(link, { decision: 'approve' })).status).toBeLessThan(500);
  await new Promise((res) => setTimeout(res, 1500));
  expect(dev.ledger()).toEqual([{ rep: 'r-eve', period: q.label, amount: '1234.57' }]);
  expect(dev.outbox().filter((m) => m.template === 'incentive-approval')).toHaveLength(1);
}, 240_000);

it(`quiet hours: a lead in ${night} (night now) waits; a lead in ${day} (daytime) is mailed at once`, async () => {
  const ev = (id: string, zone: string) => ({
    id: `q-${id}`, type: 'lead.created', occurred_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    lead: { id, name: id, email: `${id.toLowerCase()}@lead.example`, company: 'X', source: 'webinar', stage: 'new', owner: 'r-eve', timezone: zone, score: 1 },
  });
  expect((await dev.postEvent(ev('L-NIGHT', night))).status).toBe(202);
  expect((await dev.postEvent(ev('L-DAY', day))).status).toBe(202);
  await dev.until('hello to the daytime lead', () => dev.caught().find((c) => c.rcpt_to === 'l-day@lead.example'));
  await new Promise((res) => setTimeout(res, 3000));
  expect(dev.caught().filter((c) => c.rcpt_to === 'l-night@lead.example')).toEqual([]);
});
