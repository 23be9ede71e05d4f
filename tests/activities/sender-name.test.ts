// The sender a rule file names (`from "Acme: Sales <ops@acme.example>"`, which `check` accepts)
// reaches the recipient as that one mailbox with that display name. Handed to nodemailer as one
// string, a colon made the From an RFC 5322 group ("Acme:Sales <…>;", which relays and DMARC
// checks refuse as a From) and a parenthesis was dropped as a comment. Real parts: a real SMTP
// server, a real SQLite file, nodemailer.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/data/db.js';
import { createMailer, deliver, type OutgoingEmail } from '../../src/activities/mail.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { isSender } from '../../src/dsl/check-common.js';
import { startMailCatcher, type MailCatcher } from '../workflows/support/mail-catcher.js';
import { tempDir } from '../data/tmp.js';

let db: Db;
let mail: MailCatcher;
let deps: ActivityDeps;

beforeAll(async () => {
  db = await openDatabase(join(tempDir(), 'salesflow.db'));
  mail = await startMailCatcher();
  deps = { db, mailer: createMailer(mail.url), config: { publicUrl: 'http://localhost:3000', secret: 'a-test-secret-of-16+' } };
});
afterAll(async () => {
  deps?.mailer.close();
  await mail?.close();
  await db?.close();
});

function email(to: string, from: string): OutgoingEmail {
  return {
    key: `seq:nurture:lead:L1:s1:${to}`, workflowId: 'seq:nurture:lead:L1', ruleId: 'nurture', template: 'welcome', to,
    from, subject: 'Hello', html: '<p>Hi</p>\n', text: 'Hi\n', headers: {},
    date: new Date('2026-03-02T09:00:00Z'), suppressible: true,
  };
}

test.each([
  ['a colon in the name', 'Acme: Sales <ops@acme.example>', 'a@northwind.example', '"Acme: Sales" <ops@acme.example>'],
  ['a parenthesis in the name', 'Acme (Sales) <ops@acme.example>', 'b@northwind.example', '"Acme (Sales)" <ops@acme.example>'],
  ['a plain name', 'Sales Ops <ops@acme.example>', 'c@northwind.example', 'Sales Ops <ops@acme.example>'],
  ['a bare address', 'ops@acme.example', 'd@northwind.example', 'ops@acme.example'],
])('%s: the From header is the one mailbox with the name as written', async (_, from, to, header) => {
  expect(isSender(from)).toBe(true);
  expect(await deliver(deps, email(to, from))).toBe('sent');
  const [got] = mail.to(to);
  expect(got.headers.get('from')).toBe(header);
});
