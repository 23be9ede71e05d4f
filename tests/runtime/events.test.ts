import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getLead, upsertLead } from '../../src/data/leads.js';
import { countEvents } from '../../src/data/events.js';
import { upsertRep } from '../../src/data/reps.js';
import { listOutbox } from '../../src/data/outbox.js';
import { isSuppressed, suppress } from '../../src/data/suppressions.js';
import { type CrmEvent, parseEvent } from '../../src/events/schema.js';
import type { DealRecord, LeadRecord } from '../../src/plan/records.js';
import { deal, lead } from './support/records.js';
import { describeRoute, type RouteResult, routeEvent } from '../../src/runtime/events.js';
import type { SequenceResult } from '../../src/workflows/api.js';
import { planOf, renewalNudges, webinarFollowUp } from './fixtures/plans.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
const plan = planOf([webinarFollowUp(), renewalNudges()]);
let eventNo = 0;

beforeAll(async () => {
  h = await startHarness('events');
  await upsertRep(h.db, {
    id: 'r-ada', name: 'Ada Rep', email: 'ada@acme.example', team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: 'boss@acme.example', timezone: 'Europe/Berlin', start_date: null,
  });
});
afterAll(async () => {
  await h?.close();
});

function event(type: CrmEvent['type'], entity: { lead: LeadRecord } | { deal: DealRecord }, id = `evt-${++eventNo}`): CrmEvent {
  return { id, type, occurred_at: '2026-03-02T10:00:00Z', ...entity } as CrmEvent;
}

const route = (e: CrmEvent, absent: string[] = []): Promise<RouteResult> => routeEvent({ client: h.client, db: h.db, plan, config: h.config }, e, absent, { ordered: true });
/**
 * The harness client, with `meanwhile` run before each workflow start: what another process does
 * while this one routes an event (the start is its round trip to Temporal).
 */
function startingAfter(meanwhile: () => Promise<void>): typeof h.client {
  return new Proxy(h.client, {
    get(target, property, receiver) {
      if (property !== 'workflow') return Reflect.get(target, property, receiver);
      const workflow = target.workflow;
      return new Proxy(workflow, {
        get(wf, name) {
          if (name === 'start') {
            return async (...args: Parameters<typeof workflow.start>) => {
              await meanwhile();
              return wf.start(...args);
            };
          }
          const value = Reflect.get(wf, name) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(wf) : value;
        },
      });
    },
  });
}

const result = (workflowId: string) => h.client.workflow.getHandle(workflowId).result() as Promise<SequenceResult>;

describe('event routing on a real Temporal server', () => {
  test('a matching event starts the sequence once per subject; a second trigger does not start another', async () => {
    const ana = lead('L-ana');
    const first = await route(event('lead.created', { lead: ana }));
    expect(first.started).toEqual(['seq:webinar-follow-up:lead:L-ana']);
    expect(first.duplicate).toBe(false);
    const mails = await h.waitForMail(ana.email);
    expect(mails[0].subject).toBe('Thanks for joining, Lead L-ana');

    const second = await route(event('lead.created', { lead: { ...ana, name: 'Ana Again' } }));
    expect(second.started).toEqual([]);
    expect(second.alreadyRunning).toEqual(['seq:webinar-follow-up:lead:L-ana']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await h.caught(ana.email)).toHaveLength(1);
    // The entity itself is still upserted: conditions read current data.
    expect((await getLead(h.db, 'L-ana'))?.name).toBe('Ana Again');
  });

  test('an event whose condition does not hold starts nothing but is recorded', async () => {
    const out = await route(event('lead.created', { lead: lead('L-web', { source: 'website' }) }));
    expect(out).toMatchObject({ duplicate: false, started: [], alreadyRunning: [], stopped: [] });
    expect((await getLead(h.db, 'L-web'))?.source).toBe('website');
  });

  test('an event id seen before is acknowledged and changes nothing', async () => {
    const bo = lead('L-bo', { source: 'website' });
    const original = event('lead.created', { lead: bo }, 'evt-dup');
    expect((await route(original)).duplicate).toBe(false);
    const events = await countEvents(h.db);

    // Same id, different content (a webhook retry of an edited payload): nothing moves.
    const again = await route(event('lead.created', { lead: { ...bo, source: 'webinar', name: 'Changed' } }, 'evt-dup'));
    expect(again).toMatchObject({ duplicate: true, started: [], stopped: [] });
    expect(await getLead(h.db, 'L-bo')).toMatchObject({ name: 'Lead L-bo', source: 'website' });
    expect(await countEvents(h.db)).toBe(events);
    await expect(h.client.workflow.getHandle('seq:webinar-follow-up:lead:L-bo').describe()).rejects.toThrow();
  });

  test('a stop event ends a sequence that is waiting, at once', async () => {
    const cy = lead('L-cy');
    await route(event('lead.created', { lead: cy }));
    await h.waitForMail(cy.email);
    const stop = await route(event('lead.replied', { lead: cy }));
    expect(stop.stopped).toEqual(['seq:webinar-follow-up:lead:L-cy']);
    const outcome = await result('seq:webinar-follow-up:lead:L-cy');
    expect(outcome.outcome).toBe('stopped');
    expect(outcome.stoppedBy).toMatchObject({ eventType: 'lead.replied', eventId: stop.eventId });
    expect(await h.caught(cy.email)).toHaveLength(1);

    // A finished sequence is not started again by a later trigger.
    const later = await route(event('lead.created', { lead: cy }));
    expect(later.started).toEqual([]);
    expect(later.alreadyRunning).toEqual(['seq:webinar-follow-up:lead:L-cy']);
  });

  test('an event that happened before the newest change of a field (a late retry) keeps that field as stored, and still stops the run', async () => {
    const dot = lead('L-dot', { stage: 'new', score: '10' });
    const at = (e: CrmEvent, occurred_at: string): CrmEvent => ({ ...e, occurred_at });
    const others = ['name', 'company', 'source', 'owner', 'timezone'];
    await route(at(event('lead.created', { lead: dot }), '2026-03-02T10:00:00Z'));
    await h.waitForMail(dot.email);
    // 12:00: the CRM sends the new stage and score only.
    const newer = await route(at(event('lead.updated', { lead: { id: dot.id, email: dot.email, stage: 'qualified', score: '80' } as LeadRecord }), '2026-03-02T12:00:00Z'), others);
    expect(newer.keptNewer).toEqual([]);
    // The reply happened at 11:00, with the whole lead as it was then; its sender retried it only now.
    const late = await route(at(event('lead.replied', { lead: { ...dot, name: 'Dot Replied', stage: 'contacted', score: '20' } }), '2026-03-02T11:00:00Z'));
    expect(late.keptNewer).toEqual(['email', 'stage', 'score']);
    expect(late.stopped).toEqual(['seq:webinar-follow-up:lead:L-dot']);
    expect((await result('seq:webinar-follow-up:lead:L-dot')).outcome).toBe('stopped');
    // Its stage and score are older than the stored ones; its name is the newest there is.
    expect(await getLead(h.db, 'L-dot')).toMatchObject({ name: 'Dot Replied', stage: 'qualified', score: '80' });
    // A later change is taken again.
    const latest = await route(at(event('lead.updated', { lead: { ...dot, stage: 'won', score: '95' } }), '2026-03-02T13:00:00Z'));
    expect(latest.keptNewer).toEqual([]);
    expect(await getLead(h.db, 'L-dot')).toMatchObject({ name: 'Lead L-dot', stage: 'won', score: '95' });
  });

  test('a deal event stops the sequence of the lead whose email is the deal contact', async () => {
    const di = lead('L-di');
    await route(event('lead.created', { lead: di }));
    await h.waitForMail(di.email);
    const won = await route(event('deal.won', { deal: deal('D-1', { stage: 'won', type: 'new', contact: 'L-DI@Prospect.example', closed_at: '2026-03-02' }) }));
    expect(won.stopped).toEqual(['seq:webinar-follow-up:lead:L-di']);
    expect((await result('seq:webinar-follow-up:lead:L-di')).outcome).toBe('stopped');
  });

  test('a lead event stops deal sequences whose contact is the lead; unsubscribe suppresses the address', async () => {
    const ed = lead('L-ed', { source: 'website' });
    await upsertLead(h.db, ed);
    const renewal = deal('D-2', { contact: ed.email });
    const created = await route(event('deal.created', { deal: renewal }));
    expect(created.started).toEqual(['seq:renewal-nudges:deal:D-2']);
    await h.waitForMail(ed.email);

    const unsub = await route(event('lead.unsubscribed', { lead: ed }));
    expect(unsub.suppressed).toBe(ed.email);
    expect(unsub.stopped).toEqual(['seq:renewal-nudges:deal:D-2']);
    expect(await isSuppressed(h.db, ed.email.toUpperCase())).toBe(true);
    expect((await result('seq:renewal-nudges:deal:D-2')).outcome).toBe('stopped');
  });

  // Was "started seq:..." and nothing more, read as "the lead gets the sequence's emails".
  test('an event starting a run for an unsubscribed address says the address gets nothing from it', async () => {
    const gil = lead('L-gil');
    await suppress(h.db, gil.email.toUpperCase(), 'unsubscribe link');
    const out = await route(event('lead.created', { lead: gil }));
    expect(out.started).toEqual(['seq:webinar-follow-up:lead:L-gil']);
    expect(describeRoute(out)).toBe(
      `${out.eventId} (lead.created): started seq:webinar-follow-up:lead:L-gil; ` +
        'l-gil@prospect.example is unsubscribed: this run sends it nothing (recorded suppressed in the outbox); its emails to others still go out',
    );
    // As said: the run's first email is recorded suppressed, and none is caught.
    await expect.poll(async () => (await listOutbox(h.db, { to: gil.email })).map((row) => row.status), { timeout: 20_000 }).toEqual(['suppressed']);
    expect(await h.caught(gil.email)).toEqual([]);

    // An address that is not unsubscribed reads as before.
    const hal = await route(event('lead.created', { lead: lead('L-hal') }));
    expect(hal.startedUnsubscribed).toBeNull();
    expect(describeRoute(hal)).toBe(`${hal.eventId} (lead.created): started seq:webinar-follow-up:lead:L-hal`);
  });

  test('a partial event leaves the fields it left out as another process wrote them while it was being routed', async () => {
    // L-fi is stored with owner r-ada; a lead.created carrying only id, email and source is routed
    // (the sequence start takes a round trip to Temporal), and meanwhile another process (an
    // import, another serve) moves the lead to another owner and time zone.
    await upsertLead(h.db, lead('L-fi', { source: 'website', owner: 'r-ada', timezone: 'Europe/Berlin' }));
    // (It writes the whole lead, source included, as the CRM holds it after this event: a write
    // that comes after the event's is not undone by recording the event.)
    const moved = { ...lead('L-fi', { source: 'webinar' }), owner: 'r-bo', timezone: 'America/New_York' };
    const client = startingAfter(async () => { await upsertLead(h.db, moved); });
    const sent: CrmEvent = { id: 'evt-fi', type: 'lead.created', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L-fi', email: 'l-fi@prospect.example', source: 'webinar' } } as CrmEvent;
    const parsed = parseEvent(JSON.stringify(sent));
    if (!parsed.ok) throw new Error(parsed.message);
    const out = await routeEvent({ client, db: h.db, plan, config: h.config }, parsed.event, parsed.absent);
    expect(out.started).toEqual(['seq:webinar-follow-up:lead:L-fi']);
    expect(await getLead(h.db, 'L-fi')).toMatchObject({ source: 'webinar', owner: 'r-bo', timezone: 'America/New_York' });
  });

  test('a newer event routed while an older one is being routed keeps its values: recording the older one does not put its fields back', async () => {
    // The 11:00 lead.created starts a sequence (a round trip to Temporal); meanwhile another serve
    // process routes the 12:00 lead.updated of the same lead to the end.
    const gus = lead('L-gus', { stage: 'new', score: '10' });
    const newer: CrmEvent = { id: 'evt-gus-2', type: 'lead.updated', occurred_at: '2026-03-02T12:00:00Z', lead: { ...gus, name: 'Gus Newer', stage: 'qualified', score: '80' } };
    let meanwhile: RouteResult | null = null;
    const client = startingAfter(async () => { meanwhile = await route(newer); });
    const older: CrmEvent = { id: 'evt-gus-1', type: 'lead.created', occurred_at: '2026-03-02T11:00:00Z', lead: gus };
    const out = await routeEvent({ client, db: h.db, plan, config: h.config }, older, [], { ordered: true });
    expect(out.started).toEqual(['seq:webinar-follow-up:lead:L-gus']);
    expect(meanwhile).toMatchObject({ duplicate: false, keptNewer: [] });
    expect(await getLead(h.db, 'L-gus')).toMatchObject({ name: 'Gus Newer', stage: 'qualified', score: '80' });
  });

  test('a stop event for a subject with no sequence is fine', async () => {
    const out = await route(event('lead.replied', { lead: lead('L-nobody') }));
    expect(out).toMatchObject({ duplicate: false, started: [], stopped: [] });
  });
});
