// The From and Subject headers as recipients and relays get them (src/activities/message-headers.ts).
// - A sender the rule file names (`from "Acme: Sales <ops@acme.example>"`, which `check` accepts)
//   reaches the recipient as that one mailbox with that display name. Handed to nodemailer as one
//   string, a colon made the From an RFC 5322 group ("Acme:Sales <…>;", which relays and DMARC
//   checks refuse as a From) and a parenthesis was dropped as a comment.
// - A subject with a long run and no space (a pasted tracking URL, a template value without
//   spaces) reaches the relay in lines a relay takes (RFC 5322: at most 998 characters), and reads
//   as the same text once decoded.
// Real parts: a real SMTP server, a real SQLite file, nodemailer.
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

function email(to: string, { from = 'Ops <ops@acme.example>', subject = 'Hello' }: { from?: string; subject?: string }): OutgoingEmail {
  return {
    key: `seq:nurture:lead:L1:s1:${to}`, workflowId: 'seq:nurture:lead:L1', ruleId: 'nurture', template: 'welcome', to,
    from, subject, html: '<p>Hi</p>\n', text: 'Hi\n', headers: { 'List-Unsubscribe': '<http://localhost:3000/u/x>' },
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
  expect(await deliver(deps, email(to, { from }))).toBe('sent');
  const [got] = mail.to(to);
  expect(got.headers.get('from')).toBe(header);
});

/** The Subject header as a mail client reads it: unfolded, encoded words decoded. */
function readSubject(raw: string): string {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const line = head.split(/\r\n(?![ \t])/).find((l) => /^subject:/i.test(l))!;
  const value = line.slice(line.indexOf(':') + 1).replace(/^[ \t]+/, '');
  const words = value.split(/\r\n[ \t]+/);
  if (!words.every((w) => /^=\?UTF-8\?[BQ]\?.*\?=$/i.test(w))) return value.replace(/\r\n/g, '');
  const bytes = words.map((w) => {
    const [, , enc, text] = w.split('?');
    return enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  });
  return Buffer.concat(bytes).toString('utf8');
}

const longestLine = (raw: string) => Math.max(...raw.split('\r\n').map((l) => l.length));

test('a subject with a 2,000-character run and no space goes out in lines of at most 998 characters, and reads the same', async () => {
  const subject = `Your link: https://track.acme.example/c/${'a1B2c3D4'.repeat(250)}`;
  expect(await deliver(deps, email('ana@northwind.example', { subject }))).toBe('sent');
  const [got] = mail.to('ana@northwind.example');
  expect(longestLine(got.raw)).toBeLessThanOrEqual(998);
  expect(readSubject(got.raw)).toBe(subject);
  // The message's other headers are still there.
  expect(got.headers.get('list-unsubscribe')).toBe('<http://localhost:3000/u/x>');
});

test('the same with letters outside ASCII: no character is split between two encoded words', async () => {
  const subject = `Überweisung-${'ß€😀'.repeat(400)}`;
  expect(await deliver(deps, email('bo@northwind.example', { subject }))).toBe('sent');
  const [got] = mail.to('bo@northwind.example');
  expect(longestLine(got.raw)).toBeLessThanOrEqual(998);
  expect(readSubject(got.raw)).toBe(subject);
});

test('an ordinary subject is sent as nodemailer writes it, in plain text', async () => {
  const subject = 'Thanks for joining our webinar, Ada Lovelace';
  expect(await deliver(deps, email('cy@northwind.example', { subject }))).toBe('sent');
  const [got] = mail.to('cy@northwind.example');
  expect(got.subject).toBe(subject);
});
