// The dev outbox's ?to= and ?workflow= filters with a NUL character (%00) in them, on both data
// sources. PostgreSQL refuses NUL in a text parameter: the page was a 500 "Something went wrong"
// and a stack in the log. It is a 400 naming the filter; the outbox itself is untouched.
import { Client, Connection } from '@temporalio/client';
import { afterEach, expect, it } from 'vitest';
import { insertOutboxIfAbsent, listOutbox } from '../../src/data/outbox.js';
import { forEachDialect } from '../support/dialects.js';
import { type Harness, startHarness } from './harness.js';

forEachDialect('dev outbox filter with a NUL character', (target) => {
  let h: Harness | undefined;
  afterEach(async () => { await h?.close(); h = undefined; });

  it('is a 400 naming the filter, and the outbox still lists its email', async () => {
    // Nothing listens on port 1: the held-sends list is left out, the page still answers.
    const temporalClient = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    h = await startHarness({ env: { DATABASE_URL: await target.fresh() }, dev: { outbox: true }, temporalClient });
    await insertOutboxIfAbsent(h.db, {
      key: 'seq:webinar:lead:L-1:send-1:ada@example.com', workflow_id: 'seq:webinar:lead:L-1', rule_id: 'webinar', template: 'thanks',
      to_addr: 'ada@example.com', from_addr: 'ops@acme.example', subject: 'Thanks Ada', html: '<p>Hi</p>', text: 'Hi', headers: {},
    });
    for (const [query, name] of [['?to=%00', 'to'], ['?to=ada%00%40example.com', 'to'], ['?workflow=seq%00', 'workflow']]) {
      const res = await fetch(`${h.url}/outbox${query}`);
      expect(res.status, query).toBe(400);
      const page = await res.text();
      expect(page).toContain('Filter not valid');
      expect(page).toContain(`?${name}= contains a NUL character (U+0000)`);
    }
    const all = await fetch(`${h.url}/outbox?to=ADA%40example.com`);
    expect(all.status).toBe(200);
    expect(await all.text()).toContain('Thanks Ada');
    expect(await listOutbox(h.db)).toHaveLength(1);
  }, 60_000);
});
