// A worker that stops in the middle of a sequence's wait loses nothing: a new worker process picks
// the run up from its history (replaying the first send, not repeating it) and finishes it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMailer } from '../../src/activities/mail.js';
import { upsertLead } from '../../src/data/leads.js';
import { listOutbox } from '../../src/data/outbox.js';
import { createWorker } from '../../src/runtime/worker.js';
import { workflowIds } from '../../src/workflows/api.js';
import { sequenceWorkflow } from '../../src/workflows/sequence.js';
import { waitForHistory } from '../temporal/fixtures/history.js';
import { startHarness, type Harness } from './support/harness.js';
import { sequenceRule, step, template } from './support/rules.js';

let h: Harness;
beforeAll(async () => {
  // No sticky cache on the first worker: the Java test server never moves a sticky workflow task
  // back to the shared queue when its worker is gone (a real server does after a few seconds).
  h = await startHarness('restart', { maxCachedWorkflows: 0 });
});
afterAll(async () => {
  await h?.close();
});

test('a sequence waiting on a durable timer survives a worker restart and mails each step once', async () => {
  const lead = { id: 'durable', name: 'Dana', email: 'dana@prospect.example', company: null, source: 'webinar', stage: null, owner: null, timezone: 'UTC', score: null };
  await upsertLead(h.db, lead);
  const rule = sequenceRule({
    id: 'durable', templates: [template('first', 'First', 'One.'), template('second', 'Second', 'Two.')],
    steps: [step.send('first'), step.wait(2, 'days'), step.send('second')],
  });
  const handle = await h.testEnv.client.workflow.start(sequenceWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.sequence(rule.id, 'lead', lead.id), args: [{ rule, subject: { kind: 'lead', lead } }],
  });
  await waitForHistory(handle, (events) => events.some((e) => e.timerStartedEventAttributes));
  await h.worker.shutdown();

  const mailer = createMailer(h.mail.url);
  const replacement = await createWorker(h.config, { connection: h.testEnv.nativeConnection, db: h.db, mailer });
  const result = await replacement.worker.runUntil(handle.result());
  mailer.close();

  expect(result.outcome).toBe('completed');
  expect(h.mail.to(lead.email).map((m) => m.subject)).toEqual(['First', 'Second']);
  expect((await listOutbox(h.db, { workflowId: handle.workflowId })).map((r) => r.status)).toEqual(['sent', 'sent']);
});
