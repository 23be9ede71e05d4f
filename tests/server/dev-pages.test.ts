// The dev pages: the outbox lists caught emails and shows one safely (sandboxed, escaped), the
// overview lists rules, pending approvals and the ledger; none of it exists outside dev.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOutboxIfAbsent, listOutbox, markFailed } from '../../src/data/outbox.js';
import { recordStatement } from '../../src/data/statements.js';
import { type Harness, startHarness } from './harness.js';
import { specRule } from '../payouts/spec-rule.js';

let dev: Harness;
let prod: Harness;

beforeAll(async () => {
  // Nothing listens on port 1: the overview must still answer, without the running list.
  const temporalClient = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  [dev, prod] = await Promise.all([
    startHarness({ dev: { outbox: true, temporalUiUrl: 'http://127.0.0.1:8233' }, temporalClient, plan: { formatVersion: 1, hash: 'h', metrics: [], rules: [specRule()] } }),
    startHarness(),
  ]);
  await insertOutboxIfAbsent(dev.db, {
    key: 'seq:webinar:lead:L-1:send-1:ada@example.com',
    workflow_id: 'seq:webinar:lead:L-1',
    rule_id: 'webinar',
    template: 'webinar-thanks',
    to_addr: 'ada@example.com',
    from_addr: 'Sales Ops <ops@acme.example>',
    subject: 'Thanks <b>Ada</b>',
    html: '<p>Hi Ada</p><script>window.parent.pwned = true</script><p><a href="http://127.0.0.1/unsubscribe/tok">Unsubscribe</a></p>',
    text: 'Hi Ada\n\nUnsubscribe: http://127.0.0.1/unsubscribe/tok\n',
    headers: { 'List-Unsubscribe': '<http://127.0.0.1/unsubscribe/tok>' },
  });
  await recordStatement(dev.db, 'payout:ae:rep-1:2026-Q1', {
    rule: 'AE commission FY26', ruleId: 'ae', ruleVersion: 'v1', rep: 'rep-1', repName: 'Ana Souza', period: '2026-Q1',
    currency: 'USD', measureMetric: 'revenue', measure: '160000.00', target: '100000.00', attainment: '160.00',
    lines: [{ kind: 'commission', description: 'marginal bands', amount: '15500.00' }], capped: false, total: '15500.00',
    rewards: [], warnings: [],
  }, 'pending');
});
afterAll(async () => {
  await Promise.all([dev?.close(), prod?.close()]);
});

describe('dev outbox', () => {
  it('lists caught emails with escaped subjects and links to each, and says so when Temporal cannot list held ones', async () => {
    const started = Date.now();
    const res = await fetch(`${dev.url}/outbox`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const page = await res.text();
    expect(page).toContain('Temporal did not answer, so the emails running sequences are holding back cannot be listed now');
    const [row] = await listOutbox(dev.db);
    expect(page).toContain(`<a href="/outbox/${row.id}">Thanks &lt;b&gt;Ada&lt;/b&gt;</a>`);
    expect(page).toContain('ada@example.com');
  });

  it('says beside a pending or failed email why it is not sent: retried after the relay turned it away, or refused', async () => {
    const email = (to: string) => ({
      key: `seq:webinar:lead:L-2:send-1:${to}`, workflow_id: 'seq:webinar:lead:L-2', rule_id: 'webinar', template: 'webinar-thanks',
      to_addr: to, from_addr: 'Sales Ops <ops@acme.example>', subject: `Thanks ${to}`, html: '<p>Hi</p>', text: 'Hi\n', headers: {},
    });
    await insertOutboxIfAbsent(dev.db, email('full@example.com'));
    await markFailed(dev.db, 'seq:webinar:lead:L-2:send-1:full@example.com', 'Can\'t send mail - all recipients were rejected: 452 4.2.2 Mailbox full');
    await insertOutboxIfAbsent(dev.db, email('gone@example.com'));
    await markFailed(dev.db, 'seq:webinar:lead:L-2:send-1:gone@example.com', '550 5.1.1 <gone@example.com>: no such user', true);
    const page = await (await fetch(`${dev.url}/outbox`)).text();
    const row = (to: string) => [...page.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]).find((r) => r.includes(`<td>${to}</td>`))!;
    expect(row('full@example.com')).toContain('pending</span><br><span class="muted">retrying: Can&#39;t send mail - all recipients were rejected: 452 4.2.2 Mailbox full</span>');
    expect(row('gone@example.com')).toContain('failed</span><br><span class="muted">550 5.1.1 &lt;gone@example.com&gt;: no such user</span>');
    // A pending email without an error (not tried yet) carries no note.
    expect(row('ada@example.com')).toContain('pending</span></td>');
    // The other tests read the first caught email as the newest.
    await dev.db.kysely.deleteFrom('outbox').where('workflow_id', '=', 'seq:webinar:lead:L-2').execute();
  });

  it('shows one email in a sandbox without scripts, with its links clickable', async () => {
    const [row] = await listOutbox(dev.db);
    const res = await fetch(`${dev.url}/outbox/${row.id}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    const iframe = /<iframe[^>]*>/.exec(page)![0];
    expect(iframe).toContain('sandbox="allow-top-navigation-by-user-activation"');
    expect(iframe).not.toContain('allow-scripts');
    // The email markup lives only inside the escaped srcdoc attribute, never as page markup.
    expect(page).not.toContain('<script>');
    expect(iframe).toContain('&lt;script&gt;');
    expect(res.headers.get('content-security-policy')).not.toContain('script-src');
    expect(page).toContain('<a href="http://127.0.0.1/unsubscribe/tok">http://127.0.0.1/unsubscribe/tok</a>');
    expect(page).toContain('List-Unsubscribe');
    expect((await fetch(`${dev.url}/outbox/99999`)).status).toBe(404);
  });
});

describe('dev overview', () => {
  it('lists rules and pending approvals, and answers even when Temporal does not', async () => {
    const started = Date.now();
    const res = await fetch(`${dev.url}/`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const page = await res.text();
    expect(page).toContain('AE commission FY26');
    expect(page).toContain('Payouts waiting for approval (1)');
    expect(page).toContain('15,500.00 USD');
    expect(page).toContain('Ana Souza');
    expect(page).toContain('href="/outbox?workflow=payout%3Aae%3Arep-1%3A2026-Q1"');
    expect(page).toContain('http://127.0.0.1:8233/namespaces/default/workflows/payout%3Aae%3Arep-1%3A2026-Q1');
    expect(page).toContain('Temporal did not list its workflows');
  });
});

it('outside dev there is no outbox and no overview', async () => {
  expect((await fetch(`${prod.url}/outbox`)).status).toBe(404);
  expect((await fetch(`${prod.url}/`)).status).toBe(404);
});

it('another method on a dev page is told the page only shows (405, Allow), not that nothing is there; and stores nothing', async () => {
  const before = await listOutbox(dev.db, { limit: 1000 });
  for (const [method, path] of [['PUT', '/outbox'], ['OPTIONS', '/outbox'], ['DELETE', '/outbox/1'], ['POST', '/'], ['OPTIONS', '/']]) {
    const res = await fetch(`${dev.url}${path}`, { method });
    expect(res.status, `${method} ${path}`).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.text()).toContain('This page only shows');
  }
  expect(await listOutbox(dev.db, { limit: 1000 })).toEqual(before);
  // Outside dev these addresses do not exist, whatever the method.
  expect((await fetch(`${prod.url}/outbox`, { method: 'PUT' })).status).toBe(404);
});

// Last: it adds many rows, which the tests above do not expect.
describe('dev pages with many rows', () => {
  it('say how many there are and that the lists are cut, and escape what CRM data put in names and subjects', async () => {
    for (let i = 0; i < 205; i++) {
      await insertOutboxIfAbsent(dev.db, {
        key: `bulk-${i}`, workflow_id: `seq:bulk:lead:L-${i}`, rule_id: 'bulk', template: 'webinar-thanks', to_addr: `lead${i}@example.com`,
        from_addr: 'ops@acme.example', subject: `Hi <script>alert(${i})</script>`, html: '<p>x</p>', text: 'x', headers: {},
      });
    }
    for (let i = 0; i < 60; i++) {
      await recordStatement(dev.db, `payout:ae:bulk-${i}:2026-Q1`, {
        rule: 'AE commission FY26', ruleId: 'ae', ruleVersion: 'v1', rep: `bulk-${i}`, repName: `<script>rep ${i}</script>`, period: '2026-Q1',
        currency: 'USD', measureMetric: 'revenue', measure: '1.00', target: '1.00', attainment: '100.00',
        lines: [], capped: false, total: '1.00', rewards: [], warnings: [],
      }, 'pending');
    }
    const outbox = await (await fetch(`${dev.url}/outbox`)).text();
    expect(outbox.match(/<a href="\/outbox\/\d+">/g)).toHaveLength(200);
    expect(outbox).toContain('Only the newest 200 emails are listed.');
    expect(outbox).not.toContain('<script>');
    expect(outbox).toContain('Hi &lt;script&gt;alert(204)&lt;/script&gt;');
    const filtered = await (await fetch(`${dev.url}/outbox?to=lead3@example.com`)).text();
    expect(filtered).not.toContain('Only the newest');

    const overview = await (await fetch(`${dev.url}/`)).text();
    // 61 pending: the one above and these 60; the heading counts them all, the table lists 50.
    expect(overview).toContain('Payouts waiting for approval (61)');
    expect(overview).toContain('50 of 61 are listed: the first by period, rule and rep.');
    expect(overview).not.toContain('<script>');
    expect(overview).toContain('&lt;script&gt;rep 0&lt;/script&gt;');
  });

  it('finds the emails to an address written in other case with ?to=, accents and a pasted space included', async () => {
    // SQLite's lower() folds ASCII only: ÉLISE and élise were two addresses to the filter, and the page said nothing was sent.
    for (const [i, to] of ['élise@acme.fr', 'Élise@ACME.fr', 'elise@acme.fr'].entries()) {
      await insertOutboxIfAbsent(dev.db, {
        key: `seq:webinar:lead:L-9:send-${i}:${to}`, workflow_id: 'seq:webinar:lead:L-9', rule_id: 'webinar', template: 'webinar-thanks',
        to_addr: to, from_addr: 'ops@acme.example', subject: `Merci ${i}`, html: '<p>x</p>', text: 'x', headers: {},
      });
    }
    const page = await (await fetch(`${dev.url}/outbox?to=${encodeURIComponent(' ÉLISE@acme.FR')}`)).text();
    expect(page).toContain('Merci 0');
    expect(page).toContain('Merci 1');
    // Another person: e is not é.
    expect(page).not.toContain('Merci 2');
    const ofRun = await listOutbox(dev.db, { to: 'élise@acme.fr', workflowId: 'seq:webinar:lead:L-9', limit: 1 });
    expect(ofRun.map((r) => r.subject)).toEqual(['Merci 1']);
  });
});
