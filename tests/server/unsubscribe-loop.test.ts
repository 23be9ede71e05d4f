// The unsubscribe loop end to end: a signed CRM event starts a sequence, its first email carries
// the RFC 8058 headers, a one-click POST to that link suppresses the address and stops the run at
// once (it was waiting two days), and no further email goes out.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listOutbox } from '../../src/data/outbox.js';
import { isSuppressed } from '../../src/data/suppressions.js';
import type { SequenceRule } from '../../src/plan/schema.js';
import { signBody } from '../../src/server/signature.js';
import { workflowIds } from '../../src/workflows/api.js';
import { sequenceRule, step, template } from '../workflows/support/rules.js';
import { SECRET } from './harness.js';
import { type LoopHarness, startLoop } from './temporal-harness.js';

const rule: SequenceRule = sequenceRule({
  id: 'webinar-follow-up',
  templates: [
    template('webinar-thanks', 'Thanks for joining, {{lead.name}}', 'Hi {{lead.name}}, thanks for joining the webinar.'),
    template('case-study', 'A case study for {{lead.company}}', 'Here is how others did it.'),
  ],
  steps: [step.send('webinar-thanks'), step.wait(2, 'days'), step.send('case-study')],
});

let h: LoopHarness;
beforeAll(async () => {
  h = await startLoop('unsubscribe', { formatVersion: 1, hash: 'test', metrics: [], rules: [rule] });
});
afterAll(async () => {
  await h?.close();
});

it('a one-click unsubscribe from the email stops the running sequence and suppresses the address', async () => {
  const body = JSON.stringify({
    id: 'evt-webinar-1', type: 'lead.created', occurred_at: '2026-11-30T10:00:00Z',
    lead: { id: 'L-7', name: 'Grace Hopper', email: 'grace@navy.example', company: 'Navy', source: 'webinar', timezone: 'UTC' },
  });
  const res = await fetch(`${h.url}/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'X-Salesflow-Signature': signBody(body, SECRET) }, body,
  });
  expect(res.status).toBe(202);
  const workflowId = workflowIds.sequence(rule.id, 'lead', 'L-7');
  expect(((await res.json()) as { routed: { started: string[] } }).routed.started).toEqual([workflowId]);

  const first = await h.waitForEmail((r) => r.workflow_id === workflowId);
  expect(first.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  const link = /^<(.+)>$/.exec(first.headers['List-Unsubscribe'])![1];
  expect(link.startsWith(`${h.url}/unsubscribe/`)).toBe(true);

  // What Gmail/Yahoo do: POST the List-Unsubscribe URL with the one-click body, no cookies, no Origin of ours.
  const unsub = await fetch(link, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  expect(unsub.status).toBe(200);
  expect(await isSuppressed(h.db, 'grace@navy.example')).toBe(true);

  // The run was waiting two days; it ends now, stopped, and never sends the case study.
  const result = (await h.testEnv.client.workflow.getHandle(workflowId).result()) as { outcome: string };
  expect(result.outcome).toBe('stopped');
  expect((await listOutbox(h.db, { to: 'grace@navy.example' })).filter((r) => r.status === 'sent')).toHaveLength(1);
});
