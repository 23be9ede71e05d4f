// A late event (one that happened before a newer change already taken of some of its fields) is
// routed by its lead or deal as the data source holds it after the event: `on ... where`
// conditions, stop delivery by contact and the run it starts see the newer stored values, not the
// event's older ones. On a real Temporal dev server, against SQLite and PostgreSQL.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { getDeal } from '../../src/data/deals.js';
import { getLead, upsertLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import type { CrmEvent } from '../../src/events/schema.js';
import type { DealRecord, LeadRecord } from '../../src/plan/records.js';
import { deal, lead } from './support/records.js';
import { describeRoute, type RouteResult, routeEvent } from '../../src/runtime/events.js';
import { type HeldSend, heldSendQuery, type SequenceResult } from '../../src/workflows/api.js';
import { forEachDialect } from '../support/dialects.js';
import { planOf, renewalNudges, webinarFollowUp } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';

const plan = planOf([webinarFollowUp(), renewalNudges()]);

function at(id: string, type: CrmEvent['type'], occurred_at: string, entity: { lead: LeadRecord } | { deal: DealRecord }): CrmEvent {
  return { id, type, occurred_at, ...entity } as CrmEvent;
}

forEachDialect('a late event is routed by the entity as stored after it', (target) => {
  let h: Harness;
  const route = (e: CrmEvent): Promise<RouteResult> => routeEvent({ client: h.client, db: h.db, plan, config: h.config }, e, [], { ordered: true });
  const notStarted = (workflowId: string) => expect(h.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);

  beforeAll(async () => {
    h = await startHarness(`late-${target.dialect}`, await target.fresh());
    await upsertRep(h.db, {
      id: 'r-ada', name: 'Ada Rep', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
      manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  test('a lead.created from the webinar that arrives after a newer change made the lead a referral starts no webinar sequence', async () => {
    const hal = lead('L-hal');
    const newer = await route(at('hal-2', 'lead.updated', '2026-03-02T12:00:00Z', { lead: { ...hal, source: 'referral' } }));
    expect(newer.keptNewer).toEqual([]);
    const late = await route(at('hal-1', 'lead.created', '2026-03-02T11:00:00Z', { lead: { ...hal, source: 'webinar' } }));
    expect(late.keptNewer).toContain('source');
    expect(late).toMatchObject({ duplicate: false, started: [], alreadyRunning: [] });
    expect((await getLead(h.db, 'L-hal'))?.source).toBe('referral');
    await notStarted('seq:webinar-follow-up:lead:L-hal');
  });

  test('a late lead.created whose own source does not match starts the sequence when the stored, newer source does, with the newer lead', async () => {
    const ivy = lead('L-ivy');
    const newer = { ...ivy, name: 'Ivy Newer', email: 'ivy.new@prospect.example', source: 'webinar' };
    await route(at('ivy-2', 'lead.updated', '2026-03-02T12:00:00Z', { lead: newer }));
    const late = await route(at('ivy-1', 'lead.created', '2026-03-02T11:00:00Z', { lead: { ...ivy, name: 'Ivy Older', source: 'website' } }));
    expect(late.keptNewer).toEqual(expect.arrayContaining(['name', 'email', 'source']));
    expect(late.started).toEqual(['seq:webinar-follow-up:lead:L-ivy']);
    const [mail] = await h.waitForMail(newer.email);
    expect(mail.subject).toBe('Thanks for joining, Ivy Newer');
    expect(await getLead(h.db, 'L-ivy')).toMatchObject({ name: 'Ivy Newer', email: newer.email, source: 'webinar' });
    // The run was handed the lead as stored: the email it holds for after the wait (what the dev
    // outbox lists) goes to the newer address, not the one the late event carried.
    const handle = h.client.workflow.getHandle('seq:webinar-follow-up:lead:L-ivy');
    let held: HeldSend | null = null;
    for (let tries = 0; !held && tries < 100; tries++) {
      held = await handle.query(heldSendQuery);
      if (!held) await new Promise((r) => setTimeout(r, 100));
    }
    expect(held).toMatchObject({ template: 'case-study', to: [newer.email], reason: 'wait 2 days' });
  });

  test('a late deal.won stops the sequence of the lead who is the deal\'s contact as stored now, not the contact it carried', async () => {
    const jo = lead('L-jo');
    const started = await route(at('jo-1', 'lead.created', '2026-03-02T09:00:00Z', { lead: jo }));
    expect(started.started).toEqual(['seq:webinar-follow-up:lead:L-jo']);
    await h.waitForMail(jo.email);
    // Won at 11:00 with the buyer as contact; at 12:00 the CRM made Jo the contact. The 12:00
    // update comes first (deal.updated stops nothing), the 11:00 deal.won only after it.
    const won = deal('D-jo', { stage: 'won', type: 'new', closed_at: '2026-03-02' });
    await route(at('jo-3', 'deal.updated', '2026-03-02T12:00:00Z', { deal: { ...won, contact: jo.email } }));
    const late = await route(at('jo-2', 'deal.won', '2026-03-02T11:00:00Z', { deal: { ...won, contact: 'buyer@elsewhere.example' } }));
    expect(late.keptNewer).toContain('contact');
    expect(late.stopped).toEqual(['seq:webinar-follow-up:lead:L-jo']);
    const outcome = await h.client.workflow.getHandle('seq:webinar-follow-up:lead:L-jo').result() as SequenceResult;
    expect(outcome).toMatchObject({ outcome: 'stopped', stoppedBy: { eventType: 'deal.won', eventId: 'jo-2' } });
    expect((await getDeal(h.db, 'D-jo'))?.contact).toBe(jo.email);
  });

  test('a lead.created that arrives after the lead\'s reply, or after a deal.won naming them, starts no sequence; a reply before the trigger does not count', async () => {
    // The CRM delivered out of order: the reply (12:00) came first and reached no run.
    const liv = lead('L-liv');
    const replied = await route(at('liv-2', 'lead.replied', '2026-03-02T12:00:00Z', { lead: liv }));
    expect(replied.stopped).toEqual([]);
    const late = await route(at('liv-1', 'lead.created', '2026-03-02T11:00:00Z', { lead: liv }));
    expect(late).toMatchObject({ started: [], alreadyRunning: [], stoppedBefore: ['seq:webinar-follow-up:lead:L-liv'] });
    expect(describeRoute(late)).toContain('not started seq:webinar-follow-up:lead:L-liv (a stop event that happened after this one was already taken)');
    await notStarted('seq:webinar-follow-up:lead:L-liv');

    // A deal won at 12:00 whose contact is the lead (imported before, spelled otherwise) stops it the same way.
    const max = lead('L-max');
    await upsertLead(h.db, max);
    await route(at('max-2', 'deal.won', '2026-03-02T12:00:00Z', { deal: deal('D-max', { stage: 'won', type: 'new', closed_at: '2026-03-02', contact: 'L-MAX@Prospect.example' }) }));
    expect((await route(at('max-1', 'lead.created', '2026-03-02T11:00:00Z', { lead: max }))).stoppedBefore).toEqual(['seq:webinar-follow-up:lead:L-max']);
    await notStarted('seq:webinar-follow-up:lead:L-max');

    // A reply that happened before the trigger (to an earlier email, say) does not keep it from starting.
    const ned = lead('L-ned');
    await route(at('ned-1', 'lead.replied', '2026-03-02T09:00:00Z', { lead: ned }));
    expect((await route(at('ned-2', 'lead.created', '2026-03-02T10:00:00Z', { lead: ned }))).started).toEqual(['seq:webinar-follow-up:lead:L-ned']);
    await h.waitForMail(ned.email);
  });

  test('a reply and the lead.created before it routed at the same moment: the run never keeps going', async () => {
    const leads = ['L-o1', 'L-o2', 'L-o3', 'L-o4'].map((id) => lead(id));
    await Promise.all(leads.flatMap((l) => [
      route(at(`${l.id}-created`, 'lead.created', '2026-03-03T11:00:00Z', { lead: l })),
      route(at(`${l.id}-replied`, 'lead.replied', '2026-03-03T12:00:00Z', { lead: l })),
    ]));
    // Either the trigger found the reply and started nothing, or the run was stopped (at once: it
    // would otherwise sleep two days before its next email).
    const outcome = async (workflowId: string): Promise<string> => {
      const handle = h.client.workflow.getHandle(workflowId);
      for (let tries = 0; tries < 100; tries++) {
        const status = await handle.describe().then((d) => d.status.name, (err: Error) => (/not found/i.test(err.message) ? 'not started' : err.message));
        if (status === 'COMPLETED') return ((await handle.result()) as SequenceResult).outcome;
        if (status !== 'RUNNING') return status;
        await new Promise((r) => setTimeout(r, 100));
      }
      return 'still running';
    };
    for (const l of leads) expect(['stopped', 'not started']).toContain(await outcome(`seq:webinar-follow-up:lead:${l.id}`));
  });

  test('a late deal.created of a renewal that a newer change made a new deal starts no renewal sequence', async () => {
    await route(at('kit-2', 'deal.updated', '2026-03-02T12:00:00Z', { deal: deal('D-kit', { type: 'new' }) }));
    const late = await route(at('kit-1', 'deal.created', '2026-03-02T11:00:00Z', { deal: deal('D-kit', { type: 'renewal' }) }));
    expect(late.keptNewer).toContain('type');
    expect(late.started).toEqual([]);
    expect((await getDeal(h.db, 'D-kit'))?.type).toBe('new');
    await notStarted('seq:renewal-nudges:deal:D-kit');
  });
});
