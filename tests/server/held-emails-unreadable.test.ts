// The dev outbox's held list when the data source cannot be read: the runs answer the heldSend
// query, but the addresses of the recipients they name (`lead.owner`) cannot be looked up. The
// page must say the held list could not be read, not "Held (0)" and "nothing is held back".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { listHeldSends } from '../../src/server/held-sends.js';
import { outboxListPage } from '../../src/server/pages/outbox.js';
import type { HeldSend } from '../../src/workflows/api.js';
import { to } from '../workflows/support/rules.js';

const dir = mkdtempSync(path.join(tmpdir(), 'salesflow-held-unreadable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lead = { id: 'L-1', name: 'Lena', email: 'lena@prospect.example', company: null, source: 'webinar', stage: 'new', owner: 'r-olga', timezone: 'UTC', score: null };

/** Temporal as the page sees it: one running sequence, holding a send to lead.owner after a wait. */
function temporalWith(held: HeldSend): Client {
  return {
    workflow: {
      async *list() { yield { workflowId: 'seq:hot-lead-later:lead:L-1' }; },
      getHandle: () => ({ query: async () => held }),
    },
  } as unknown as Client;
}

test('held sends whose recipients cannot be looked up because the data source fails: the page says the held list could not be read', async () => {
  const db = await openDatabase(path.join(dir, 'salesflow.db'));
  // Every read fails from now on ("The database connection is not open"), as with a data source
  // that went away.
  db.sqlite!.close();
  const held: HeldSend = {
    template: 'hot-lead', to: ['lead.owner'], at: '2026-03-04T10:00:00.000Z', reason: 'wait 2 days',
    named: { recipients: [to.leadOwner], subject: { kind: 'lead', lead } },
  };
  const list = await listHeldSends(temporalWith(held), db);
  const page = outboxListPage([], {}, list).toString();
  expect(page).toContain('The held list could not be read: the data source did not answer');
  expect(page).not.toContain('No running sequence is holding an email back');
  expect(page).not.toContain('Held (0)');
  // Nor is the failure blamed on the worker.
  expect(page).not.toContain('is the worker running?');
});

test('a run that does not answer in time: the page does not say nothing is held', async () => {
  const db = await openDatabase(path.join(dir, 'answering.db'));
  try {
    const silent = {
      workflow: {
        async *list() { yield { workflowId: 'seq:slow:lead:L-2' }; },
        getHandle: () => ({ query: () => new Promise(() => {}) }),
      },
    } as unknown as Client;
    const page = outboxListPage([], {}, await listHeldSends(silent, db, { timeoutMs: 200 })).toString();
    expect(page).toContain('None of the running sequences that answered is holding an email back.');
    expect(page).toContain('1 running sequence(s) did not answer in time (is the worker running?).');
    expect(page).not.toContain('No running sequence is holding an email back');
    expect(page).not.toContain('Held (0)');
  } finally {
    await db.close();
  }
});
