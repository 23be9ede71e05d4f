// Giving up a sequence email the relay keeps deferring (src/data/outbox.ts giveUpPending): the row
// is recorded failed with the reason, unless a sender holds its lease right now (then that
// attempt decides: the row stays pending and the caller asks again) or it went out meanwhile.
// Run against a real SQLite file and a real PostgreSQL database.
import { expect, test } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { getOutbox, giveUpPending, insertOutboxIfAbsent, markFailed, markSent, takeSendLease } from '../../src/data/outbox.js';
import { forEachDialect } from '../support/dialects.js';

const message = (key: string) => ({
  key, workflow_id: 'seq:w:lead:L1', rule_id: 'w', template: 'thanks', to_addr: 'full@prospect.example',
  from_addr: 'Ops <ops@acme.example>', subject: 'Thanks', html: '<p>Hi</p>', text: 'Hi\n', headers: {},
});

forEachDialect('giving up a deferred sequence email', (target) => {
  test('deferred (pending, lease free): recorded failed with the reason; a sender holding the lease keeps it; a sent one stays sent', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      const now = '2026-12-07T10:00:00.000Z';
      await insertOutboxIfAbsent(db, message('deferred'));
      await markFailed(db, 'deferred', '452 4.2.2 Mailbox full');
      expect(await giveUpPending(db, 'deferred', 'the next email was due', now)).toBe('failed');
      expect(await getOutbox(db, 'deferred')).toMatchObject({ status: 'failed', error: 'the next email was due' });
      // No later attempt can take it.
      expect(await takeSendLease(db, 'deferred', 'worker-1', '2026-12-07T10:00:30.000Z', now)).toBe(false);

      await insertOutboxIfAbsent(db, message('sending'));
      expect(await takeSendLease(db, 'sending', 'worker-1', '2026-12-07T10:00:30.000Z', now)).toBe(true);
      expect(await giveUpPending(db, 'sending', 'the next email was due', now)).toBe('pending');
      expect(await getOutbox(db, 'sending')).toMatchObject({ status: 'pending', error: null });
      // The attempt got through: it stays sent, whatever the caller asks next.
      await markSent(db, 'sending', '<m@x>');
      expect(await giveUpPending(db, 'sending', 'the next email was due', now)).toBe('sent');
      // A lease of a sender that died (expired) does not hold it.
      await insertOutboxIfAbsent(db, message('crashed'));
      await takeSendLease(db, 'crashed', 'worker-2', '2026-12-07T09:59:00.000Z', '2026-12-07T09:58:00.000Z');
      expect(await giveUpPending(db, 'crashed', 'a week passed', now)).toBe('failed');
    } finally {
      await db.close();
    }
  });
});
