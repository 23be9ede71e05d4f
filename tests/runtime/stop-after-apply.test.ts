// A run keeps the rule it started with (SPEC §10), so its `stop on` still holds after a later apply
// removed the sequence or changed what it stops on: a lead who replies to a nurture that was
// deleted from the rules meanwhile gets no further email from it, and a run of the new version is
// not stopped by an event only the old version stopped on. Real Temporal dev server, SQLite file,
// SMTP catcher and worker; the applied plans recorded in the data source as `apply` records them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordAppliedPlan } from '../../src/data/plans.js';
import { upsertRep } from '../../src/data/reps.js';
import type { CrmEvent } from '../../src/events/schema.js';
import type { DealRecord, LeadRecord } from '../../src/plan/records.js';
import type { Plan, SequenceRule } from '../../src/plan/schema.js';
import { ruleHashesOf } from '../../src/runtime/applied-plan.js';
import { routeEvent } from '../../src/runtime/events.js';
import type { SequenceResult } from '../../src/workflows/api.js';
import { planOf, renewalNudges, webinarFollowUp } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let eventNo = 0;

beforeAll(async () => {
  h = await startHarness('stop-after-apply');
  await upsertRep(h.db, {
    id: 'r-ada', name: 'Ada Rep', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null,
  });
});
afterAll(async () => {
  await h?.close();
});

const lead = (id: string): LeadRecord => ({
  id, name: `Lead ${id}`, email: `${id.toLowerCase()}@prospect.example`, company: 'Prospect Inc', source: 'webinar',
  stage: 'new', owner: 'r-ada', timezone: 'UTC', score: '10',
});

const wonDeal = (id: string, contact: string): DealRecord => ({
  id, rep: 'r-ada', name: `Deal ${id}`, amount: '12000', currency: 'EUR', stage: 'won', product: 'Platform',
  type: 'new', source: null, closed_at: '2026-03-02', contact,
});

function event(type: CrmEvent['type'], entity: { lead: LeadRecord } | { deal: DealRecord }): CrmEvent {
  return { id: `evt-${++eventNo}`, type, occurred_at: '2026-03-02T10:00:00Z', ...entity } as CrmEvent;
}

async function apply(plan: Plan): Promise<void> {
  await recordAppliedPlan(h.db, {
    hash: plan.hash, planJson: JSON.stringify(plan), ruleHashes: ruleHashesOf(plan), ruleCount: plan.rules.length,
    gitCommit: null, gitDirty: null, rulePaths: ['rules/'],
  });
}

const route = (plan: Plan, e: CrmEvent) => routeEvent({ client: h.client, db: h.db, plan, config: h.config }, e);
const handle = (workflowId: string) => h.client.workflow.getHandle(workflowId);

describe('stop events after the sequence changed or went away', () => {
  test('runs of a removed sequence still stop on its events; a changed `stop on` holds for the runs of each version', async () => {
    const v1 = planOf([webinarFollowUp()]);
    await apply(v1);
    const ana = lead('L-ana');
    const cy = lead('L-cy');
    for (const l of [ana, cy]) {
      expect((await route(v1, event('lead.created', { lead: l }))).started).toEqual([`seq:webinar-follow-up:lead:${l.id}`]);
      await h.waitForMail(l.email);
    }

    // v2 deletes the nurture. Ana's run is two days from its case study, and Ana replies.
    const v2 = planOf([renewalNudges()]);
    await apply(v2);
    const replied = await route(v2, event('lead.replied', { lead: ana }));
    expect(replied.stopped).toEqual(['seq:webinar-follow-up:lead:L-ana']);
    const anaResult = (await handle('seq:webinar-follow-up:lead:L-ana').result()) as SequenceResult;
    expect(anaResult).toMatchObject({ outcome: 'stopped', stoppedBy: { eventType: 'lead.replied', eventId: replied.eventId } });

    // v3 brings it back without `deal.won` in its `stop on`, so new runs go on after a win.
    const withoutWon: SequenceRule = { ...webinarFollowUp(), version: 'v-webinar-follow-up-no-won', stopOn: ['lead.replied', 'lead.unsubscribed'] };
    const v3 = planOf([withoutWon, renewalNudges()]);
    await apply(v3);
    const bo = lead('L-bo');
    expect((await route(v3, event('lead.created', { lead: bo }))).started).toEqual(['seq:webinar-follow-up:lead:L-bo']);
    await h.waitForMail(bo.email);

    // Cy's run started with v1, which stops on deal.won; Bo's started with v3, which does not.
    const cyWon = await route(v3, event('deal.won', { deal: wonDeal('D-cy', cy.email) }));
    expect(cyWon.stopped).toEqual(['seq:webinar-follow-up:lead:L-cy']);
    expect(((await handle('seq:webinar-follow-up:lead:L-cy').result()) as SequenceResult).outcome).toBe('stopped');

    const boWon = await route(v3, event('deal.won', { deal: wonDeal('D-bo', bo.email) }));
    expect(boWon.stopped).toEqual([]);
    expect((await handle('seq:webinar-follow-up:lead:L-bo').describe()).status.name).toBe('RUNNING');
    // And Bo's reply still stops it, as both versions say.
    expect((await route(v3, event('lead.replied', { lead: bo }))).stopped).toEqual(['seq:webinar-follow-up:lead:L-bo']);
    expect(((await handle('seq:webinar-follow-up:lead:L-bo').result()) as SequenceResult).outcome).toBe('stopped');
  });
});
