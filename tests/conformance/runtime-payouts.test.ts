// SPEC §5 (incentive semantics when a period ends), §8 `payouts run`, §9 approval links, driven
// against a running `salesflow dev`: the CLI starts the runs, the approver acts through the links
// in the emails the dev mail catcher kept, and the data source shows statements and ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dev, form, linkIn } from './dev-server.js';
import { closedQuarter, openQuarter } from './periods.js';
import { writeAt } from './cli.js';

const q = closedQuarter();
const incentive = `incentive "Audit commission" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission marginal {
    up to 100% pay 8%
    up to 150% pay 12%
    above pay 15%
  }
  bonus 1000 USD when deals_won >= 2
  spiff 250 USD per deal where deal.product = "Analytics"
  reward "Extra day off" when attainment >= 120%
  approve by rep.manager within 10 minutes {
    escalate to "vp-sales@audit.example" within 10 minutes
    otherwise reject
  }
}
`;
const reps = `id,name,email,team,role,region,manager,timezone,start_date
r-mgr,Mia Manager,mia@audit.example,Mgmt,Manager,EMEA,vp-sales@audit.example,Europe/Berlin,2020-01-01
r-ann,Ann <b>Able</b> & Co,ann@audit.example,AEs,AE,EMEA,mia@audit.example,Europe/Berlin,2023-01-01
r-bob,Bob Baker,bob@audit.example,AEs,AE,EMEA,mia@audit.example,Europe/Berlin,2023-01-01
r-cid,Cid Zero,cid@audit.example,AEs,AE,EMEA,mia@audit.example,Europe/Berlin,2023-01-01
`;
const deals = `id,rep,name,amount,currency,stage,product,type,source,closed_at,contact
D-1,r-ann,Ann big,100000,USD,won,Analytics,new,webinar,${q.day(10)},x1@cust.example
D-2,r-ann,Ann bigger,60000,USD,won,Platform,new,webinar,${q.day(40)},x2@cust.example
D-3,r-bob,Bob deal,50000,USD,won,Platform,new,webinar,${q.day(20)},x3@cust.example
`;

let dev: Dev;
const wf = (rep: string): string => `payout:audit-commission:${rep}:${q.label}`;
// Of the period paid here: dev applied the rule's period-end schedule, and a quarter ending while
// the tests run records (zero) statements of that quarter too.
const statementOf = (rep: string) => dev.statements().find((s) => s.rep === rep && s.period === q.label);
const approvalMail = (rep: string) => dev.outbox().find((m) => m.workflow_id === wf(rep) && m.template === 'incentive-approval');

beforeAll(async () => {
  dev = await Dev.start({ 'rules/incentive.rules': incentive, 'data/reps.csv': reps, 'data/deals.csv': deals }, [['reps', 'data/reps.csv'], ['deals', 'data/deals.csv']]);
  const r = dev.cli(['payouts', 'run', '--period', q.label, 'rules']);
  if (r.code !== 0) throw new Error(`payouts run failed: ${r.stdout}${r.stderr}`);
  await dev.until('approval emails for Ann and Bob', () => approvalMail('r-ann') && approvalMail('r-bob'));
}, 240_000);
afterAll(async () => { await dev?.stop(); }, 30_000);

describe('payouts run (§8)', () => {
  it('a period that has not ended is refused with a clear message, and nothing starts', () => {
    const open = openQuarter().label;
    const r = dev.cli(['payouts', 'run', '--period', open, 'rules']);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(new RegExp(`${open}.*(not ended|not closed|has not)`, 'i'));
    expect(dev.statements().filter((s) => s.period === open)).toEqual([]);
  });

  it('a second run for the same period starts nothing: one statement per rep, one approval email each', async () => {
    const r = dev.cli(['payouts', 'run', '--period', q.label, 'rules']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 payout run\(s\) started/);
    await new Promise((res) => setTimeout(res, 2000));
    expect(dev.statements().filter((s) => s.period === q.label).map((s) => s.rep).sort()).toEqual(['r-ann', 'r-bob', 'r-cid']);
    expect(dev.outbox().filter((m) => m.template === 'incentive-approval' && m.workflow_id === wf('r-ann'))).toHaveLength(1);
  });

  it('after the rule changes (a new rule version), a run for the same rule, rep and period is still not started twice', async () => {
    writeAt(dev.dir, 'rules2/incentive.rules', incentive.replace('up to 100% pay 8%', 'up to 100% pay 9%'));
    const r = dev.cli(['payouts', 'run', '--period', q.label, 'rules2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 payout run\(s\) started/);
    await new Promise((res) => setTimeout(res, 2000));
    expect(dev.statements().filter((s) => s.period === q.label)).toHaveLength(3);
    expect(dev.outbox().filter((m) => m.template === 'incentive-approval')).toHaveLength(2);
  });
});

describe('statements and approval emails (§5)', () => {
  it('nothing to pay and no reward: the statement is recorded and no approval is asked', async () => {
    await dev.until('Cid statement', () => statementOf('r-cid'));
    expect(statementOf('r-cid')!.status).toBe('recorded');
    expect(dev.outbox().filter((m) => m.workflow_id === wf('r-cid'))).toEqual([]);
  });

  it('the approval email goes to the manager and shows every line with how it was computed', () => {
    const mail = approvalMail('r-ann')!;
    expect(mail.to_addr).toBe('mia@audit.example');
    for (const how of ['100,000.00 USD × 8% = 8,000.00 USD', '50,000.00 USD × 12% = 6,000.00 USD', '10,000.00 USD × 15% = 1,500.00 USD', 'deals_won', '× 250.00 USD']) {
      expect(mail.text).toContain(how);
    }
    expect(mail.text).toContain('16,750.00 USD');
    // Template values are HTML-escaped in the HTML part (§6).
    expect(mail.html).toContain('Ann &lt;b&gt;Able&lt;/b&gt; &amp; Co');
    expect(mail.html).not.toContain('<b>Able</b>');
  });
});

describe('approval links (§9)', () => {
  it('GET and HEAD of the link show the statement and change nothing', async () => {
    const link = linkIn(approvalMail('r-ann')!.text, '/approvals/');
    const head = await fetch(link, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const get = await fetch(link);
    expect(get.status).toBe(200);
    const page = await get.text();
    expect(page).toMatch(/Approve/);
    expect(page).toContain('Extra day off');
    expect(page).toContain('Ann &lt;b&gt;Able&lt;/b&gt; &amp; Co');
    await new Promise((res) => setTimeout(res, 1500));
    expect(statementOf('r-ann')!.status).toBe('pending');
    expect(dev.ledger()).toEqual([]);
  });

  it('a forged token decides nothing', async () => {
    const link = linkIn(approvalMail('r-bob')!.text, '/approvals/');
    const forged = `${link.slice(0, link.lastIndexOf('.'))}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    const r = await form(forged, { decision: 'approve' });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.text).toMatch(/not valid|invalid/i);
    expect(statementOf('r-bob')!.status).toBe('pending');
  });

  it('approve, clicked three times at once: one decision, one ledger row, the rep emailed the statement once', async () => {
    const link = linkIn(approvalMail('r-ann')!.text, '/approvals/');
    const answers = await Promise.all([1, 2, 3].map(() => form(link, { decision: 'approve' })));
    for (const a of answers) expect(a.status).toBeLessThan(500);
    expect(answers.some((a) => a.status === 200 && /approved/i.test(a.text))).toBe(true);
    const statement = await dev.until('statement email to Ann', () => dev.outbox().find((m) => m.workflow_id === wf('r-ann') && m.to_addr === 'ann@audit.example'));
    expect(statement.text).toContain('16,750.00 USD');
    expect(statement.text).toContain('Extra day off');
    // A replay later, with the other decision, changes nothing either.
    const replay = await form(link, { decision: 'reject', reason: 'changed my mind' });
    expect(replay.status).toBeGreaterThanOrEqual(400);
    await new Promise((res) => setTimeout(res, 1500));
    expect(dev.ledger()).toEqual([{ rep: 'r-ann', period: q.label, amount: '16750.00' }]);
    expect(statementOf('r-ann')!.status).toBe('approved');
    expect(dev.outbox().filter((m) => m.workflow_id === wf('r-ann') && m.to_addr === 'ann@audit.example')).toHaveLength(1);
  });

  it('reject with a reason: rep and manager are told, with the reason; a later approve changes nothing', async () => {
    const link = linkIn(approvalMail('r-bob')!.text, '/approvals/');
    const reason = 'Deal D-3 <b>clawed</b> back & disputed';
    const r = await form(link, { decision: 'reject', reason });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/rejected/i);
    const told = await dev.until('rejection emails', () => {
      const rows = dev.outbox().filter((m) => m.workflow_id === wf('r-bob') && m.template !== 'incentive-approval');
      return rows.length >= 2 ? rows : undefined;
    });
    expect(told.map((m) => m.to_addr).sort()).toEqual(['bob@audit.example', 'mia@audit.example']);
    for (const m of told) {
      expect(m.text).toContain(reason);
      expect(m.html).toContain('Deal D-3 &lt;b&gt;clawed&lt;/b&gt; back &amp; disputed');
    }
    const late = await form(link, { decision: 'approve' });
    expect(late.status).toBeGreaterThanOrEqual(400);
    await new Promise((res) => setTimeout(res, 1500));
    expect(statementOf('r-bob')).toMatchObject({ status: 'rejected', reason });
    expect(dev.ledger().filter((l) => l.rep === 'r-bob')).toEqual([]);
  });
});

describe('a rejected statement asked again (§8 payouts run)', () => {
  it('a plain run names the rejection and how to ask again; --rerun-rejected asks for a new statement once; the approved one is left alone', async () => {
    await dev.until('Bob rejected', () => dev.statements().find((s) => s.rep === 'r-bob' && s.status === 'rejected'));
    const plain = dev.cli(['payouts', 'run', '--period', q.label, '--rule', 'Audit commission', 'rules']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('rejected by mia@audit.example: "Deal D-3 <b>clawed</b> back & disputed"');
    expect(plain.stdout).toContain(`salesflow payouts run --period ${q.label} --rule "Audit commission" --rerun-rejected`);
    expect(plain.stdout).toMatch(/0 payout run\(s\) started/);

    const again = dev.cli(['payouts', 'run', '--period', q.label, '--rule', 'Audit commission', '--rerun-rejected', 'rules']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`started again  Bob Baker (r-bob)  ${wf('r-bob')}:attempt-2`);
    expect(again.stdout).toContain('approved and paid; never run again');
    expect(again.stdout).toMatch(/1 payout run\(s\) started/);
    const asked = await dev.until('the new approval email', () =>
      dev.outbox().find((m) => m.workflow_id === `${wf('r-bob')}:attempt-2` && m.template === 'incentive-approval'));
    expect(asked.to_addr).toBe('mia@audit.example');
    // The email itself says what was turned down before, when (in Mia's zone) and why; escaped in HTML.
    expect(asked.text).toMatch(/was rejected by mia@audit\.example at \d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin\. Reason given: "Deal D-3 <b>clawed<\/b> back & disputed"\./);
    expect(asked.text).toContain('(total 4,000.00 USD)');
    expect(asked.html).toContain('Reason given: &quot;Deal D-3 &lt;b&gt;clawed&lt;/b&gt; back &amp; disputed&quot;.');
    // The rejected statement stays on record as it was; Ann's approved one is not run again.
    expect(dev.statements().find((s) => s.workflow_id === wf('r-bob'))).toMatchObject({ status: 'rejected' });
    expect(dev.statements().filter((s) => s.rep === 'r-ann')).toHaveLength(1);
    expect(dev.ledger().filter((l) => l.rep === 'r-ann')).toHaveLength(1);
  });
});
