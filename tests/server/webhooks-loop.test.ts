// End to end on a Temporal server: a HubSpot deal.propertyChange to `closedwon`, signed with v3,
// starts the "CSAT after close" sequence (compiled from rule text), which waits 30 days on the
// time-skipping server and emails the survey to the deal's contact through the real SMTP catcher.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMappings } from '../../src/connectors/mapping/load.js';
import { setRepCrmId } from '../../src/data/crm.js';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import { loadRules } from '../../src/dsl/index.js';
import type { SequenceRule } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { type LoopHarness, startLoop } from './temporal-harness.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'crm-connectors');
const APP_SECRET = 'hubspot-client-secret-e2e';
const NOW = Date.parse('2026-03-02T12:00:00Z');
let h: LoopHarness;
let csat: SequenceRule;

beforeAll(async () => {
  const { plan, diagnostics } = await loadRules([join(fixtures, 'rules')]);
  if (!plan) throw new Error(`fixture rules do not compile: ${JSON.stringify(diagnostics)}`);
  csat = plan.rules.find((r): r is SequenceRule => r.kind === 'sequence' && r.name === 'CSAT after close')!;
  h = await startLoop('crm-webhook', plan, {
    env: { HUBSPOT_APP_SECRET: APP_SECRET },
    mappings: loadMappings([join(fixtures, 'rules')], fixtures).mappings,
    clock: () => NOW,
  });
  await upsertRep(h.db, { id: 'r-ada', name: 'Ada Byron', email: 'ada@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: 'UTC', start_date: null });
  await setRepCrmId(h.db, 'r-ada', '501');
  await upsertDeal(h.db, { id: '7001', rep: 'r-ada', name: 'Globex platform', amount: '48000.00', currency: 'USD', stage: 'open', product: null, type: 'new', source: null, closed_at: null, contact: 'cio@globex.example' });
});
afterAll(async () => { await h?.close(); });

it('a HubSpot dealstage change to closedwon starts "CSAT after close", which sends the survey 30 days later', async () => {
  const body = JSON.stringify([{
    eventId: 3001, subscriptionId: 12345, portalId: 62515, appId: 54321, occurredAt: NOW - 20_000,
    subscriptionType: 'deal.propertyChange', attemptNumber: 0, objectId: 7001, propertyName: 'dealstage', propertyValue: 'closedwon', changeSource: 'CRM',
  }]);
  const timestamp = String(NOW - 2_000);
  const signature = createHmac('sha256', APP_SECRET).update(`POST${h.config.publicUrl}/webhooks/hubspot${body}${timestamp}`).digest('base64');
  const res = await fetch(`${h.url}/webhooks/hubspot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': timestamp },
    body,
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ results: [{ event: 'hubspot:3001', type: 'deal.won', status: 'accepted' }] });

  const workflowId = workflowIds.sequence(csat.id, 'deal', '7001');
  const result = (await h.testEnv.client.workflow.getHandle(workflowId).result()) as { outcome: string };
  expect(result.outcome).toBe('completed');
  const email = await h.waitForEmail((row) => row.workflow_id === workflowId, { workflowId });
  expect(email.to_addr).toBe('cio@globex.example');
  expect(email.subject).toBe('How did we do on Globex platform?');

  // HubSpot retries the same delivery: acknowledged, no second run, no second email.
  const again = await fetch(`${h.url}/webhooks/hubspot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': timestamp },
    body,
  });
  expect(await again.json()).toMatchObject({ results: [{ status: 'duplicate' }] });
});
