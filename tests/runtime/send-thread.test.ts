// The worker's send thread (src/activities/send-thread.ts), as built into dist/ and used by
// `salesflow worker` on PostgreSQL: it hands the message to a real SMTP server and marks the
// outbox row sent, and a relay's refusal comes back with its code (the row is left to the send
// activity, which records it). Real parts: the built package, a real SMTP server, the preferred
// data source (PostgreSQL where installed, else a SQLite file).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { preferredDataSource, type DataSource } from '../../chaos/data-source.js';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Db } from '../../src/data/db.js';
import { claimOutbox, getOutbox } from '../../src/data/outbox.js';
import { startMailCatcher, type MailCatcher } from '../workflows/support/mail-catcher.js';

let dir: string;
let data: DataSource;
let db: Db;
let mail: MailCatcher;
// The compiled module: the thread runs dist/activities/send-thread-entry.js (npm test builds first).
const built = fileURLToPath(new URL('../../dist/activities/send-thread.js', import.meta.url));
const { SendThread } = (await import(built)) as typeof import('../../src/activities/send-thread.js');
let thread: InstanceType<typeof SendThread>;

const row = (to: string) => ({
  key: `seq:w:lead:L1:s1:${to}`, workflow_id: 'seq:w:lead:L1', rule_id: 'w', template: 't', to_addr: to,
  from_addr: 'Ops <ops@acme.example>', subject: `Hello ${to}`, html: '<p>Hi</p>', text: 'Hi', headers: { 'List-Unsubscribe': '<https://x/u>' },
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-send-thread-'));
  data = await preferredDataSource(dir);
  db = await openDatabase(data.url);
  mail = await startMailCatcher();
  thread = new SendThread(mail.url, data.url);
});
afterAll(async () => {
  await thread?.close();
  await mail?.close();
  await db?.close();
  await data?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the built package has the send thread, which mails the message and marks its outbox row sent', async () => {
  expect(SendThread.available()).toBe(true);
  const message = row('bob@globex.example');
  await claimOutbox(db, message);
  const result = await thread.transmit({
    key: message.key, messageId: '<abc@salesflow.example>', date: new Date('2026-03-02T09:00:00Z'),
    message: { from: message.from_addr, to: message.to_addr, subject: message.subject, html: message.html, text: message.text, headers: message.headers },
  });
  expect(result).toEqual({ sent: true });
  expect(mail.to('bob@globex.example').map((m) => [m.subject, m.headers.get('message-id'), m.headers.get('list-unsubscribe')]))
    .toEqual([['Hello bob@globex.example', '<abc@salesflow.example>', '<https://x/u>']]);
  expect(await getOutbox(db, message.key)).toMatchObject({ status: 'sent', message_id: '<abc@salesflow.example>' });
});

test('a refusal by the relay comes back with its code, and the row stays pending', async () => {
  const message = row('nobody@globex.example');
  mail.refuse.add(message.to_addr);
  await claimOutbox(db, message);
  const result = await thread.transmit({
    key: message.key, messageId: '<def@salesflow.example>', date: new Date('2026-03-02T09:00:00Z'),
    message: { from: message.from_addr, to: message.to_addr, subject: message.subject, html: message.html, text: message.text, headers: message.headers },
  });
  expect(result).toMatchObject({ sent: false, responseCode: 550 });
  expect(mail.to('nobody@globex.example')).toEqual([]);
  expect(await getOutbox(db, message.key)).toMatchObject({ status: 'pending' });
});
