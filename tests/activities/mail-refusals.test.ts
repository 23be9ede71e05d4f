// What the send activity makes of a relay's refusals (src/activities/mail.ts): a refusal of the
// recipient is recorded as failed and the run moves on; a refusal of salesflow itself (a wrong or
// rotated SMTP password) is retried, so the email goes out once the operator fixes the credential.
// Real parts: a real SMTP server requiring a login, a real SQLite file, nodemailer's pooled transport.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openDatabase, type Db } from '../../src/data/db.js';
import { getOutbox } from '../../src/data/outbox.js';
import { createMailer, deliver, RelayDeferral, type OutgoingEmail } from '../../src/activities/mail.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { startMailCatcher, type MailCatcher } from '../workflows/support/mail-catcher.js';
import { tempDir } from '../data/tmp.js';
import { join } from 'node:path';

let db: Db;
let mail: MailCatcher;
const login = { user: 'salesflow', pass: 'right-password' };

beforeAll(async () => {
  db = await openDatabase(join(tempDir(), 'salesflow.db'));
  mail = await startMailCatcher({ login });
});
afterAll(async () => {
  await mail?.close();
  await db?.close();
});

function depsWith(user: string, pass: string): ActivityDeps {
  const url = new URL(mail.url);
  url.username = user;
  url.password = pass;
  return { db, mailer: createMailer(url.toString()), config: { publicUrl: 'http://localhost:3000', secret: 'a-test-secret-of-16+' } };
}

function email(to: string): OutgoingEmail {
  return {
    key: `seq:nurture:lead:L1:s1:${to}`, workflowId: 'seq:nurture:lead:L1', ruleId: 'nurture', template: 'welcome', to,
    from: 'Ops <ops@acme.example>', subject: `Welcome ${to}`, html: '<p>Hi</p>\n', text: 'Hi\n', headers: {},
    date: new Date('2026-03-02T09:00:00Z'), suppressible: true,
  };
}

test('a wrong SMTP password is retried, not recorded as a bounce: the email goes out once the password is fixed', async () => {
  const wrong = depsWith(login.user, 'rotated-yesterday');
  const message = email('ana@northwind.example');
  // The relay answers 535: the activity fails (Temporal retries it) and the row waits, pending.
  await expect(deliver(wrong, message)).rejects.toThrow(/535/);
  // Unavailable to every email alike: a sequence waits at this step rather than moving on without it.
  await expect(deliver(wrong, message)).rejects.toMatchObject({ forRecipient: false });
  expect(await getOutbox(db, message.key)).toMatchObject({ status: 'pending', error: expect.stringMatching(/535/) });
  // No login at all: the relay answers 530 at MAIL FROM, the same.
  const anonymous = depsWith('', '');
  await expect(deliver(anonymous, message)).rejects.toThrow(/530/);
  expect(await getOutbox(db, message.key)).toMatchObject({ status: 'pending' });

  const fixed = depsWith(login.user, login.pass);
  expect(await deliver(fixed, message)).toBe('sent');
  expect(mail.to('ana@northwind.example').map((m) => m.subject)).toEqual(['Welcome ana@northwind.example']);
  for (const deps of [wrong, anonymous, fixed]) deps.mailer.close();
});

test('a recipient the relay refuses for good (550) is recorded as failed and not retried', async () => {
  const deps = depsWith(login.user, login.pass);
  const message = email('gone@northwind.example');
  mail.refuse.add('gone@northwind.example');
  expect(await deliver(deps, message)).toBe('failed');
  expect(await getOutbox(db, message.key)).toMatchObject({ status: 'failed', error: expect.stringMatching(/550/) });
  // A retry of the activity finds the row and asks the relay nothing more.
  mail.refuse.delete('gone@northwind.example');
  expect(await deliver(deps, message)).toBe('failed');
  expect(mail.to('gone@northwind.example')).toEqual([]);
  deps.mailer.close();
});

test('a recipient or message the relay turns away for now (451) is told apart from the relay being unavailable', async () => {
  const deps = depsWith(login.user, login.pass);
  const atRecipient = email('full@northwind.example');
  mail.defer.add('full@northwind.example');
  const refused = await deliver(deps, atRecipient).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(RelayDeferral);
  expect(refused).toMatchObject({ responseCode: 451, forRecipient: true });
  expect(await getOutbox(db, atRecipient.key)).toMatchObject({ status: 'pending', error: expect.stringMatching(/451/) });
  mail.defer.delete('full@northwind.example');

  const atContent = email('greylisted@northwind.example');
  mail.deferSubjects.set(atContent.subject, 1);
  await expect(deliver(deps, atContent)).rejects.toMatchObject({ responseCode: 451, forRecipient: true });
  // Taken on the retry, once.
  expect(await deliver(deps, atContent)).toBe('sent');
  expect(mail.to('greylisted@northwind.example')).toHaveLength(1);
  deps.mailer.close();
});
