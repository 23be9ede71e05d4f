// One address, several people in the CRM: two leads share it (the same person signed up twice, in
// another case), or it belongs to no lead at all (a deal's contact, an address a rule quotes). One
// click on the unsubscribe link in any of their emails suppresses the address, stops every lead's
// run at once wherever it waits, and a second click changes nothing. Real SQLite file, real SMTP
// catcher, the real worker on the Java Temporal test server, the real HTTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCaughtMail } from '../../src/runtime/mail-catcher.js';
import { listOutbox, type OutboxRow } from '../../src/data/outbox.js';
import { isSuppressed } from '../../src/data/suppressions.js';
import type { Recipient, SequenceRule } from '../../src/plan/schema.js';
import { signBody } from '../../src/server/signature.js';
import { workflowIds } from '../../src/workflows/api.js';
import { sequenceRule, step, template, to } from '../workflows/support/rules.js';
import { SECRET } from './harness.js';
import { type LoopHarness, startLoop } from './temporal-harness.js';
import { column, sql } from '../../src/data/db.js';

const nurture: SequenceRule = sequenceRule({
  id: 'shared-nurture',
  templates: [
    template('welcome', 'Welcome, {{lead.name}}', 'Hi {{lead.name}}, thanks for signing up.'),
    template('follow-up', 'Still interested, {{lead.name}}?', 'Here is more.'),
  ],
  steps: [step.send('welcome'), step.wait(2, 'days'), step.send('follow-up')],
});

// A deal sequence that writes to the deal's contact and to an address quoted in the rule; neither
// address is a lead's.
const contact: Recipient = { kind: 'field', entity: 'deal', field: 'contact', holds: 'email' };
const partner = 'partner@agency.example';
const csat: SequenceRule = {
  ...sequenceRule({
    id: 'deal-csat',
    templates: [
      template('deal-thanks', 'Thanks for choosing us', 'Your deal {{deal.name}} is signed.'),
      template('deal-survey', 'How are we doing?', 'Two questions about {{deal.name}}.'),
    ],
    steps: [step.send('deal-thanks', contact, to.address(partner)), step.wait(2, 'days'), step.send('deal-survey', contact, to.address(partner))],
  }),
  subject: 'deal',
  trigger: { kind: 'event', event: 'deal.won', where: null },
  stopOn: ['lead.unsubscribed', 'deal.lost'],
};

let h: LoopHarness;
beforeAll(async () => {
  h = await startLoop('unsubscribe-shared', { formatVersion: 1, hash: 'test', metrics: [], rules: [nurture, csat] });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

async function postEvent(event: Record<string, unknown>): Promise<{ started: string[] }> {
  const body = JSON.stringify(event);
  const res = await fetch(`${h.url}/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Signature': signBody(body, SECRET) }, body,
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { routed: { started: string[] } }).routed;
}

const oneClick = (link: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

const linkOf = (row: OutboxRow) => /^<(.+)>$/.exec(row.headers['List-Unsubscribe'])![1];
const sentTo = async (address: string) => (await listOutbox(h.db, { to: address, limit: 100 })).filter((r) => r.status === 'sent');
const unsubscribeEvents = async () =>
  (await column(h.db, sql`SELECT id FROM events WHERE type = 'lead.unsubscribed' ORDER BY id`) as string[]);

/** Polls the run's status (which does not let the test server skip time) until it is closed. */
async function closedWithin(workflowId: string, ms: number): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const { status } = await h.testEnv.client.workflow.getHandle(workflowId).describe();
    if (status.name !== 'RUNNING') return status.name;
    if (Date.now() > until) throw new Error(`${workflowId} still running ${ms} ms after the click`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('unsubscribing an address several leads share', () => {
  it('one click stops every lead’s waiting run at once; a second click changes nothing', async () => {
    const leads = [
      { id: 'L-ada-1', name: 'Ada', email: 'ada@shared.example' },
      { id: 'L-ada-2', name: 'Ada L.', email: 'Ada@Shared.Example' }, // the same address, typed differently
    ];
    const runs = leads.map((l) => workflowIds.sequence(nurture.id, 'lead', l.id));
    for (const [i, lead] of leads.entries()) {
      const routed = await postEvent({
        id: `evt-signup-${i}`, type: 'lead.created', occurred_at: '2026-11-30T10:00:00Z',
        lead: { ...lead, company: 'Analytical Engines', source: 'webinar', timezone: 'UTC' },
      });
      expect(routed.started).toEqual([runs[i]]);
    }
    const welcomes = await Promise.all(runs.map((id) => h.waitForEmail((r) => r.workflow_id === id, { workflowId: id, timeoutMs: 60_000 })));

    // The link in the second lead's email; both runs now sleep for two days.
    const clicked = await oneClick(linkOf(welcomes[1]));
    expect(clicked.status).toBe(200);
    const page = await clicked.text();
    expect(page).toContain('You are unsubscribed');
    expect(page).toContain('Sequences in progress for this address have been stopped');
    expect(await isSuppressed(h.db, 'ada@shared.example')).toBe(true);

    // Both end now, in real time, long before their two-day wait would.
    for (const id of runs) expect(await closedWithin(id, 30_000)).toBe('COMPLETED');
    for (const id of runs) {
      expect(((await h.testEnv.client.workflow.getHandle(id).result()) as { outcome: string }).outcome).toBe('stopped');
    }
    const events = await unsubscribeEvents();
    expect(events).toHaveLength(2);
    expect(events.map((id) => id.split(':')[1])).toEqual(['L-ada-1', 'L-ada-2']);

    // A double click / a retried POST: acknowledged, nothing recorded or routed again.
    const again = await oneClick(linkOf(welcomes[1]));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('was already unsubscribed');
    expect(await unsubscribeEvents()).toEqual(events);

    // Only the two welcomes ever went out to the address, in the outbox and at the SMTP server.
    expect((await sentTo('ada@shared.example')).map((r) => r.template).sort()).toEqual(['welcome', 'welcome']);
    expect(await listCaughtMail(h.db, { to: 'ada@shared.example' })).toHaveLength(2); // matched without regard to case
  });
});

describe('unsubscribing an address no lead has', () => {
  it('a deal contact and a quoted recipient are suppressed, told so, and get nothing more', async () => {
    const customer = 'buyer@customer.example';
    const dealRun = workflowIds.sequence(csat.id, 'deal', 'D-77');
    const routed = await postEvent({
      id: 'evt-won-77', type: 'deal.won', occurred_at: '2026-11-30T11:00:00Z',
      deal: { id: 'D-77', rep: 'rep-1', name: 'Engines for Babbage', amount: '12000', currency: 'USD', stage: 'won', closed_at: '2026-11-30', contact: customer },
    });
    expect(routed.started).toEqual([dealRun]);
    const thanks = await Promise.all([customer, partner].map((address) =>
      h.waitForEmail((r) => r.workflow_id === dealRun && r.to_addr === address, { workflowId: dealRun, timeoutMs: 60_000 })));

    for (const [i, address] of [customer, partner].entries()) {
      const res = await oneClick(linkOf(thanks[i]));
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('is unsubscribed: no sequence of ours will email it again');
      expect(page).toContain('This address is not one of our leads');
      expect(page).not.toContain('have been stopped');
      expect(await isSuppressed(h.db, address)).toBe(true);
    }
    expect((await unsubscribeEvents()).filter((id) => id.includes('D-77') || id.includes('customer'))).toEqual([]);

    // The run was not stopped early (no lead to route for), but when it wakes its survey goes to nobody.
    const result = (await h.testEnv.client.workflow.getHandle(dealRun).result()) as { outcome: string };
    expect(result.outcome).toBe('completed');
    for (const address of [customer, partner]) {
      const rows = await listOutbox(h.db, { to: address, limit: 100 });
      expect(rows.filter((r) => r.status === 'sent').map((r) => r.template)).toEqual(['deal-thanks']);
      expect(rows.filter((r) => r.status === 'suppressed').map((r) => r.template)).toEqual(['deal-survey']);
      expect(await listCaughtMail(h.db, { to: address })).toHaveLength(1);
    }
  });
});
