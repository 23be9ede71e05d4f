// One writer of a race (tests/data/dialects.test.ts): a separate process that opens the data
// source, waits for the common start time, does one write and prints what it saw as JSON. Several
// of these at once are "several processes writing at once". Drives the built package (dist/).
import { openDatabase } from '../../dist/data/db.js';
import { recordEventOnce } from '../../dist/data/events.js';
import { recordGoalRunStarted } from '../../dist/data/goal-runs.js';
import { importCsv } from '../../dist/data/import.js';
import { recordPayout } from '../../dist/data/ledger.js';
import { claimOutbox, reserveSentMarker, takeSendLease } from '../../dist/data/outbox.js';

const [target, op, startAt, who] = process.argv.slice(2);
const wait = () => new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));

const payout = {
  ruleId: 'ae', ruleName: 'AE', ruleVersion: 'v1', rep: 'r1', period: '2026-Q1', currency: 'USD',
  amount: '15500.00', approvedBy: 'grace@acme.example', approvedAt: '2026-04-02T10:00:00Z', workflowId: 'payout:ae:r1:2026-Q1',
};
const event = { id: 'evt-race', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L1', email: 'bob@globex.example', name: `Bob ${who}`, company: null, source: null, stage: null, owner: null, timezone: null, score: null } };
const message = { key: 'seq:w:lead:L1:s1:bob@globex.example', workflow_id: 'seq:w:lead:L1', rule_id: 'w', template: 't', to_addr: 'bob@globex.example', from_addr: 'ops@acme.example', subject: `Hi from ${who}`, html: '<p>Hi</p>', text: 'Hi', headers: {} };

let result;
if (op === 'migrate') {
  await wait();
  const db = await openDatabase(target);
  await db.close();
  result = 'opened';
} else if (op === 'mark-and-die') {
  // A sender killed the instant after it wrote its "sent" mark (no start time: one process).
  const db = await openDatabase(target);
  await claimOutbox(db, message);
  const marker = await reserveSentMarker(db, message.key);
  const marking = marker.mark('<m@race>');
  // PostgreSQL: the UPDATE is on the socket when mark() returns; die before its answer is read.
  // SQLite: the write happens in this process, so it is awaited first.
  if (db.dialect === 'sqlite') await marking;
  process.kill(process.pid, 'SIGKILL');
} else {
  const db = await openDatabase(target);
  await wait();
  if (op === 'ledger') result = await recordPayout(db, payout);
  else if (op === 'event') result = await recordEventOnce(db, event);
  else if (op === 'goal-run') {
    // Two workers running the same goal run's first activity (a retry on another worker).
    await recordGoalRunStarted(db, { ruleId: 'q-bookings', period: '2026-Q4', repId: 'r1' }, new Date(`2026-10-01T00:00:0${who}Z`));
    result = 'recorded';
  }
  else if (op === 'outbox') {
    // What the send activity does: insert if absent, then only the lease holder may mail it.
    await claimOutbox(db, message);
    result = await takeSendLease(db, message.key, `worker-${who}`, '2999-01-01T00:00:00.000Z');
  } else if (op === 'import') {
    // The same 20,000 deals, named after this writer, in opposite orders for odd and even writers:
    // overlapping upserts that lock rows in different orders unless imports take turns.
    const ids = Array.from({ length: 20_000 }, (_, i) => `D${String(i).padStart(5, '0')}`);
    if (Number(who) % 2) ids.reverse();
    const csv = `id,rep,name,amount,currency,stage\n${ids.map((id) => `${id},r1,writer ${who},100.00,USD,won`).join('\n')}\n`;
    const imported = await importCsv(db, 'deals', csv, `writer-${who}.csv`);
    result = imported.ok ? { inserted: imported.inserted, updated: imported.updated } : imported.problems;
  } else if (op === 'credits') {
    // A re-import of deal D1's revenue shares: 100% to rep r<who>, with a 10% overlay for r9.
    const r = await importCsv(db, 'credits', `deal,rep,share,type\nD1,r${who},100,revenue\nD1,r9,10,overlay\n`, `credits-${who}.csv`);
    result = r.ok;
  } else throw new Error(`unknown op ${op}`);
  await db.close();
}
process.stdout.write(JSON.stringify(result));
