// The approval email of a round that a relay keeps turning away for now (4xx): retried while the
// round's window is open, and given up once it has ended, when the link it carries would arrive
// expired: the round asked nobody, so the run can escalate or fall to `otherwise` instead of
// waiting on the relay for as long as it defers. Real parts: a real SMTP server answering 451, a
// real SQLite file, the real activity in Temporal's activity context.
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createActivities, createMailer } from '../../src/activities/index.js';
import type { PreparedPayout } from '../../src/activities/payout.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { listOutbox } from '../../src/data/outbox.js';
import { upsertRep } from '../../src/data/reps.js';
import { workflowIds } from '../../src/workflows/api.js';
import { specRule } from '../payouts/spec-rule.js';
import { tempDir } from '../data/tmp.js';
import { startMailCatcher, type MailCatcher } from '../workflows/support/mail-catcher.js';

let db: Db;
let mail: MailCatcher;
const rep = {
  id: 'r-full', name: 'Rep Full', email: 'rep@acme.example', team: 'AEs', role: 'AE', region: 'EMEA',
  manager: 'full-mailbox@acme.example', timezone: 'Europe/Berlin', start_date: null,
};
const rule = specRule({
  approval: {
    approver: { kind: 'field', entity: 'rep', field: 'manager', holds: 'email' },
    within: { amount: '5', unit: 'days' }, escalations: [], otherwise: 'reject',
  },
});

beforeAll(async () => {
  db = await openDatabase(join(tempDir(), 'salesflow.db'));
  mail = await startMailCatcher();
  await upsertRep(db, rep);
});
afterAll(async () => {
  await mail?.close();
  await db?.close();
});

test('a deferred approval email is retried within the window, and after it the round asked nobody', async () => {
  mail.defer.add(rep.manager);
  const mailer = createMailer(mail.url);
  const activities = createActivities({ db, mailer, config: { publicUrl: 'http://salesflow.test', secret: 'a-test-secret-of-16+' } });
  const { statement } = (await new MockActivityEnvironment().run(activities.preparePayout, {
    rule, repId: rep.id, period: '2026-Q1', workflowId: workflowIds.payout(rule.id, rep.id, '2026-Q1'),
  })) as PreparedPayout;
  const request = (deadline: number) => new MockActivityEnvironment().run(activities.requestApproval, {
    rule, repId: rep.id, period: '2026-Q1', workflowId: workflowIds.payout(rule.id, rep.id, '2026-Q1'),
    at: Date.now(), round: 0, to: rule.approval!.approver, deadline, statement,
  });

  // Window still open: the activity fails, so Temporal retries it; the email waits, pending.
  await expect(request(Date.now() + 86_400_000)).rejects.toThrow(/451/);
  expect((await listOutbox(db, { to: rep.manager })).map((r) => r.status)).toEqual(['pending']);

  // The window has ended while the relay still defers: nobody was asked, and the run is told why.
  const asked = await request(Date.now() - 1000);
  expect(asked).toEqual({ approver: null, problem: expect.stringMatching(/^the mail server did not accept the approval email to full-mailbox@acme.example before the approval window ended \(.*451/) });
  expect((await listOutbox(db, { to: rep.manager })).map((r) => r.status)).toEqual(['failed']);
  // The relay taking mail again changes nothing: the expired link is not sent late.
  mail.defer.delete(rep.manager);
  expect(await request(Date.now() - 1000)).toMatchObject({ approver: null });
  expect(mail.to(rep.manager)).toEqual([]);
  mailer.close();
});
