// SPEC §5 (sequences), §6 (templates, unsubscribe headers), §8 `events send`, §9 routing and
// one-click unsubscribe, against a running `salesflow dev`: events go in over signed HTTP or the
// CLI; what came out is read from the outbox and the dev mail catcher's raw messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAt } from './cli.js';
import { Dev, form, unfold } from './dev-server.js';

const rules = `sequence "Audit nurture" {
  on lead.created where lead.source = "webinar"
  stop on lead.replied, lead.unsubscribed, deal.won

  send "welcome" to lead
  wait 1 minute
  send "followup" to lead
}

sequence "Audit update" {
  on lead.updated
  stop on lead.unsubscribed
  send "update-note" to lead
}
`;
const files = {
  'rules/sequence.rules': rules,
  'rules/templates/welcome.md': '---\nsubject: Welcome {{lead.name}}\n---\nHi {{lead.name}} from {{lead.company}}, your owner is {{rep.name}}.\n\nUnsubscribe: {{unsubscribe.url}}\n',
  'rules/templates/followup.md': '---\nsubject: Follow-up for {{lead.name}}\n---\nHi {{lead.name}}, following up.\n',
  'rules/templates/update-note.md': '---\nsubject: Update for {{lead.name}}\n---\nHi {{lead.name}}, an update.\n',
  'data/reps.csv': 'id,name,email,team,role,region,manager,timezone,start_date\nr-ann,Ann <b>Able</b> & Co,ann@audit.example,AEs,AE,EMEA,mia@audit.example,Europe/Berlin,2023-01-01\n',
};

let dev: Dev;
let n = 0;
const lead = (type: string, id: string, name: string, email: string, extra: Record<string, unknown> = {}) => ({
  id: `ev-${++n}-${id}`, type, occurred_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  lead: { id, name, email, company: 'Tom & Jerry Inc', source: 'webinar', stage: 'new', owner: 'r-ann', timezone: 'Europe/London', score: 60, ...extra },
});
const mails = (to: string, template?: string) => dev.outbox().filter((m) => m.to_addr.toLowerCase() === to && (!template || m.template === template));
const routed = async (event: unknown): Promise<{ started: string[]; alreadyRunning: string[]; stopped: string[] }> => {
  const r = await dev.postEvent(event);
  expect(r.status, r.text).toBe(202);
  return (JSON.parse(r.text) as { routed: { started: string[]; alreadyRunning: string[]; stopped: string[] } }).routed;
};

beforeAll(async () => {
  dev = await Dev.start(files, [['reps', 'data/reps.csv']]);
}, 240_000);
afterAll(async () => { await dev?.stop(); }, 30_000);

describe('sequences (§5) and their emails (§6)', () => {
  it('first send at once; a second trigger for the same lead does not start it twice; stop events end it before the next send', async () => {
    expect((await routed(lead('lead.created', 'L-1', 'Control', 'l1@lead.example'))).started).toEqual(['seq:audit-nurture:lead:L-1']);
    expect((await routed(lead('lead.created', 'L-1', 'Control', 'l1@lead.example'))).alreadyRunning).toEqual(['seq:audit-nurture:lead:L-1']);
    await routed(lead('lead.created', 'L-3', 'Rita', 'l3@lead.example'));
    await routed(lead('lead.created', 'L-4', 'Uma', 'l4@lead.example'));
    await routed(lead('lead.created', 'L-5', 'Walt', 'l5@lead.example'));
    for (const to of ['l1', 'l3', 'l4', 'l5']) await dev.until(`welcome to ${to}`, () => mails(`${to}@lead.example`, 'welcome').length > 0);

    expect((await routed(lead('lead.replied', 'L-3', 'Rita', 'l3@lead.example'))).stopped).toEqual(['seq:audit-nurture:lead:L-3']);
    expect((await routed(lead('lead.unsubscribed', 'L-4', 'Uma', 'l4@lead.example'))).stopped).toContain('seq:audit-nurture:lead:L-4');
    const won = {
      id: `ev-${++n}-won`, type: 'deal.won', occurred_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      deal: { id: 'D-9', rep: 'r-ann', name: 'Walt deal', amount: '5000', currency: 'USD', stage: 'won', product: 'Platform', type: 'new', source: 'webinar', closed_at: new Date().toISOString().slice(0, 10), contact: 'L5@Lead.Example' },
    };
    expect((await routed(won)).stopped).toEqual(['seq:audit-nurture:lead:L-5']);

    // The control lead's follow-up proves the wait is over; the stopped ones never get theirs.
    await dev.until('follow-up to the control lead', () => mails('l1@lead.example', 'followup').length > 0, 150_000);
    await new Promise((res) => setTimeout(res, 3000));
    expect(mails('l1@lead.example', 'welcome')).toHaveLength(1);
    expect(mails('l1@lead.example', 'followup')).toHaveLength(1);
    for (const to of ['l3', 'l4', 'l5']) expect(mails(`${to}@lead.example`, 'followup'), to).toEqual([]);
  }, 200_000);

  it('values are HTML-escaped in the HTML part and placeholders are filled', async () => {
    await routed(lead('lead.created', 'L-X', '<script>alert(1)</script>', 'lx@lead.example'));
    await routed(lead('lead.created', 'L-T', 'Tom & Jerry', 'lt@lead.example'));
    const x = await dev.until('welcome to L-X', () => mails('lx@lead.example', 'welcome')[0]);
    const t = await dev.until('welcome to L-T', () => mails('lt@lead.example', 'welcome')[0]);
    expect(x.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(x.html).not.toContain('<script>');
    expect(x.html).toContain('Tom &amp; Jerry Inc');
    expect(x.html).toContain('Ann &lt;b&gt;Able&lt;/b&gt; &amp; Co');
    expect(t.html).toContain('Hi Tom &amp; Jerry from');
    expect(t.text).toContain('Hi Tom & Jerry from Tom & Jerry Inc, your owner is Ann <b>Able</b> & Co.');
    for (const m of [x, t]) expect(m.text + m.html + m.subject).not.toMatch(/\{\{/);
  });

  it('sequence emails carry an unsubscribe link and the RFC 8058 headers, even when the template has no link', async () => {
    await routed(lead('lead.updated', 'L-H', 'Hedda', 'lh@lead.example'));
    const raw = await dev.until('caught update note', () => dev.caught().find((c) => c.rcpt_to === 'lh@lead.example'));
    const message = unfold(raw.raw);
    expect(message).toMatch(/^List-Unsubscribe: <https?:\/\/[^>]+\/unsubscribe\/[^>]+>/m);
    expect(message).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    const body = message.slice(message.search(/\r?\n\r?\n/));
    expect(body).toMatch(/\/unsubscribe\/[A-Za-z0-9._~-]+/);
  });

  it('one-click POST to the link suppresses the address: no email from any sequence again, whatever the lead id or case', async () => {
    await routed(lead('lead.created', 'L-6', 'Olga', 'l6@lead.example'));
    const raw = await dev.until('caught welcome to L-6', () => dev.caught().find((c) => c.rcpt_to === 'l6@lead.example'));
    const link = /^List-Unsubscribe: <([^>]+)>/m.exec(unfold(raw.raw))![1]!;
    const head = await fetch(link, { method: 'HEAD' });
    expect(head.status).toBeLessThan(500);
    const r = await form(link, { 'List-Unsubscribe': 'One-Click' });
    expect(r.status).toBe(200);
    await routed(lead('lead.updated', 'L-6', 'Olga', 'l6@lead.example'));
    await routed(lead('lead.created', 'L-66', 'Olga again', 'L6@LEAD.example'));
    // An address unsubscribed by event is suppressed just the same.
    await routed(lead('lead.created', 'L-U', 'Ursula', 'lu@lead.example'));
    await dev.until('welcome to L-U', () => mails('lu@lead.example', 'welcome').length > 0);
    await routed(lead('lead.unsubscribed', 'L-U', 'Ursula', 'lu@lead.example'));
    await routed(lead('lead.updated', 'L-U', 'Ursula', 'lu@lead.example'));
    await dev.until('the later sends to be decided', () => mails('l6@lead.example').length >= 3 && mails('lu@lead.example').length >= 2);
    await new Promise((res) => setTimeout(res, 2000));
    const caughtTo = (to: string) => dev.caught().filter((c) => c.rcpt_to.toLowerCase() === to);
    expect(caughtTo('l6@lead.example')).toHaveLength(1);
    expect(caughtTo('lu@lead.example')).toHaveLength(1);
    for (const m of [...mails('l6@lead.example'), ...mails('lu@lead.example')].filter((m) => m.template !== 'welcome')) expect(m.status).toBe('suppressed');
  });
});

describe('events send FILE.json (§8)', () => {
  it('a bad event: exit 1 naming the field, nothing sent; a file with one bad event among good ones sends none', async () => {
    const good = lead('lead.created', 'L-F', 'File', 'lf@lead.example');
    writeAt(dev.dir, 'bad-email.json', JSON.stringify({ ...good, id: 'f-bad-1', lead: { ...good.lead, email: 'not-an-email' } }));
    writeAt(dev.dir, 'bad-score.json', JSON.stringify({ ...good, id: 'f-bad-2', lead: { ...good.lead, score: 'high' } }));
    writeAt(dev.dir, 'mixed.json', JSON.stringify([{ ...good, id: 'f-bad-3' }, { ...good, id: 'f-bad-4', type: 'lead.exploded' }]));
    for (const [file, field] of [['bad-email.json', 'lead.email'], ['bad-score.json', 'lead.score'], ['mixed.json', 'type']] as const) {
      const r = dev.cli(['events', 'send', file, 'rules']);
      expect(r.code, file).toBe(1);
      expect(r.stderr + r.stdout, file).toContain(field);
      expect(r.stderr + r.stdout, file).toMatch(/no event was sent|nothing (was )?sent/i);
    }
    await new Promise((res) => setTimeout(res, 1500));
    expect(mails('lf@lead.example')).toEqual([]);
    expect(mails('not-an-email')).toEqual([]);
  });

  it('a good event starts its sequence; the same file again is acknowledged as a duplicate and changes nothing', async () => {
    writeAt(dev.dir, 'good.json', JSON.stringify(lead('lead.created', 'L-G', 'Good', 'lg@lead.example')));
    const first = dev.cli(['events', 'send', 'good.json', 'rules']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('seq:audit-nurture:lead:L-G');
    await dev.until('welcome to L-G', () => mails('lg@lead.example', 'welcome').length > 0);
    const again = dev.cli(['events', 'send', 'good.json', 'rules']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/duplicate|seen before/i);
    await new Promise((res) => setTimeout(res, 1500));
    expect(mails('lg@lead.example', 'welcome')).toHaveLength(1);
  });
});
