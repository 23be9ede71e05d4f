// The data layer against both data sources from one table of cases: stores, import, migrations,
// exact money, and idempotency when several processes write the same outbox key, ledger row or
// event at once (exactly one wins). Races run as separate OS processes (tests/support/race-child.mjs,
// on the built package), so SQLite's file locks and PostgreSQL's row locks are what is tested.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { column, countOf, IMPORT_LOCK_KEY, latestVersion, openDatabase, scalar, schemaVersion, sql } from '../../src/data/db.js';
import { dealsByContact, getDeal, upsertDeal } from '../../src/data/deals.js';
import { streamRows } from '../../src/data/dialect.js';
import { countEvents, getEvent, recordEventOnce } from '../../src/data/events.js';
import { formatProblem, importCsv } from '../../src/data/import.js';
import { getLead, getLeadsByEmail, upsertLead } from '../../src/data/leads.js';
import { exportLedger, findPayout, recordPayout } from '../../src/data/ledger.js';
import { computeMetrics } from '../../src/data/metrics.js';
import { migrations } from '../../src/data/migrations.js';
import { claimOutbox, getOutbox, listOutbox, markFailed, markSent, reserveSentMarker, takeSendLease } from '../../src/data/outbox.js';
import { getRep, getRepByEmail, listReps } from '../../src/data/reps.js';
import { decideStatement, getStatement, listStatements, recordStatement } from '../../src/data/statements.js';
import { isSuppressed, listSuppressions, suppress } from '../../src/data/suppressions.js';
import { parseEvent } from '../../src/events/schema.js';
import type { DealRecord, LeadRecord } from '../../src/plan/records.js';
import { completeFromStored } from '../../src/runtime/events.js';
import type { Statement } from '../../src/payouts/statement.js';
import { forEachDialect } from '../support/dialects.js';
import { fixture, tempDir } from './tmp.js';

const child = fileURLToPath(new URL('../support/race-child.mjs', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));
const read = (name: string) => readFileSync(fixture(name), 'utf8');

/** Runs `count` race-child processes doing `op` against `target` at one common instant; their outputs. */
async function race(target: string, op: string, count: number): Promise<unknown[]> {
  const startAt = Date.now() + 1500; // all have opened the data source by then
  return Promise.all(Array.from({ length: count }, (_, who) => new Promise<unknown>((resolve, reject) => {
    const p = spawn(process.execPath, [child, target, op, String(startAt), String(who)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`race child ${who} (${op}) exited ${code}: ${err}`))));
  })));
}

const statement: Statement = {
  rule: 'AE commission FY26', ruleId: 'ae', ruleVersion: 'v1', rep: 'r1', repName: 'Ada', period: '2026-Q1', currency: 'USD',
  measureMetric: 'revenue', measure: '160000.00', target: '100000.00', attainment: '160.00',
  lines: [{ kind: 'commission', description: 'x', amount: '15500.00' }], capped: false, total: '15500.00', rewards: [], warnings: [],
};

const payout = {
  ruleId: 'ae', ruleName: 'AE', ruleVersion: 'v1', rep: 'r1', period: '2026-Q1', currency: 'USD', amount: '15500.00',
  approvedBy: 'grace@acme.example', approvedAt: '2026-04-02T10:00:00Z', workflowId: 'payout:ae:r1:2026-Q1',
};

const message = {
  key: 'seq:w:lead:L1:s1:bob@globex.example', workflow_id: 'seq:w:lead:L1', rule_id: 'w', template: 't',
  to_addr: 'Bob@Globex.example', from_addr: 'ops@acme.example', subject: 'Hi', html: '<p>Hi</p>', text: 'Hi',
  headers: { 'List-Unsubscribe': '<https://x/u>' },
};

forEachDialect('data layer', (target) => {
  it('migrates a new data source to the latest version, once per version; reopening changes nothing', async () => {
    const url = await target.fresh();
    const db = await openDatabase(url);
    expect(await schemaVersion(db)).toBe(latestVersion());
    await db.close();
    const again = await openDatabase(url);
    expect(await column(again, sql`SELECT version FROM schema_version ORDER BY version`)).toEqual(migrations.map((m) => m.version).map((v) => (target.dialect === 'postgres' ? String(v) : v)));
    await again.close();
  });

  it('upgrades a data source made by an older salesflow in place, keeping its data', async () => {
    const url = await target.fresh();
    const old = await openDatabase(url, { migrations: migrations.filter((m) => m.version === 1) });
    expect(await schemaVersion(old)).toBe(1);
    await sql`INSERT INTO ledger (rule_id, rule_name, rule_version, rep, period, currency, amount, approved_by, approved_at, workflow_id)
      VALUES ('r', 'R', 'v1', 'r1', '2026-Q1', 'USD', '10.00', 'm@x.example', '2026-04-02T10:00:00Z', 'payout:r:r1:2026-Q1')`.execute(old.kysely);
    await old.close();
    const db = await openDatabase(url);
    expect(await schemaVersion(db)).toBe(latestVersion());
    expect((await exportLedger(db, '2026-Q1')).map((e) => e.amount)).toEqual(['10.00']);
    await db.close();
  });

  it('refuses a data source a newer salesflow has migrated, naming both versions, and changes nothing in it', async () => {
    const url = await target.fresh();
    const db = await openDatabase(url);
    const future = latestVersion() + 1;
    await sql`INSERT INTO schema_version (version, description, applied_at) VALUES (${future}, 'from a later release', '2027-01-01T00:00:00Z')`.execute(db.kysely);
    // SQLite keeps its version in the file header too.
    db.sqlite?.pragma(`user_version = ${future}`);
    await db.close();
    await expect(openDatabase(url)).rejects.toThrow(new RegExp(`newer than this salesflow.*${future}|${future}.*newer than this salesflow`, 's'));
    // An older salesflow whose last migration is behind the data source's refuses it the same way.
    await expect(openDatabase(url, { migrations: migrations.filter((m) => m.version === 1) })).rejects.toThrow(/newer than this salesflow/);
  });

  it('four processes starting together migrate once: every version recorded exactly once', async () => {
    const url = await target.fresh();
    expect(await race(url, 'migrate', 4)).toEqual(['opened', 'opened', 'opened', 'opened']);
    const db = await openDatabase(url);
    expect(await countOf(db, sql`SELECT count(*) FROM schema_version`)).toBe(migrations.length);
    expect(await schemaVersion(db)).toBe(latestVersion());
    await db.close();
  });

  it('imports CSV, re-imports by id, and reads the CRM stores back', async () => {
    const db = await openDatabase(await target.fresh());
    expect(await importCsv(db, 'reps', read('reps.csv'), 'reps.csv')).toEqual({ ok: true, inserted: 3, updated: 0, unchanged: 0, warnings: [] });
    expect(await importCsv(db, 'deals', read('deals.csv'), 'deals.csv')).toMatchObject({ ok: true, inserted: 11, updated: 0 });
    expect(await importCsv(db, 'leads', read('leads.csv'), 'leads.csv')).toMatchObject({ ok: true, inserted: 2 });
    expect(await importCsv(db, 'reps', 'id,name,email,role\nr1,Ada King,ada@acme.example,Manager\nr4,New,new@acme.example,AE\n', 'more.csv'))
      .toEqual({ ok: true, inserted: 1, updated: 1, unchanged: 0, warnings: [] });
    // Columns the file does not have keep their stored values (as a CRM's "update existing records"
    // import does); an empty cell in a column the file has clears it.
    expect(await getRep(db, 'r1')).toMatchObject({ name: 'Ada King', role: 'Manager', team: 'EMEA AEs', manager: 'grace@acme.example', timezone: 'Europe/Berlin' });
    expect(await getRep(db, 'r4')).toMatchObject({ role: 'AE', team: null, timezone: null });
    expect(await importCsv(db, 'reps', 'id,name,email,timezone\nr1,Ada King,ada@acme.example,\n', 'clear.csv')).toMatchObject({ ok: true, updated: 1 });
    expect(await getRep(db, 'r1')).toMatchObject({ team: 'EMEA AEs', timezone: null });
    expect(await importCsv(db, 'deals', 'id,rep,amount,currency,stage\nD2,r1,41000.50,USD,won\n', 'amounts.csv')).toMatchObject({ ok: true, updated: 1 });
    expect(await getDeal(db, 'D2')).toMatchObject({ name: 'Globex, Analytics', amount: '41000.50', stage: 'won' });
    expect(String(await scalar(db, sql`SELECT amount_micros FROM deals WHERE id = 'D2'`))).toBe('41000500000');
    expect(await getRepByEmail(db, 'ADA@acme.example')).toMatchObject({ id: 'r1' });
    expect((await listReps(db)).map((r) => r.id)).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect((await dealsByContact(db, 'BUYER@acme-corp.example')).map((d) => d.id)).toEqual(['D1']);
    expect(await getLead(db, 'L2')).toMatchObject({ name: "O'Neil, Sam", score: null });
    await db.close();
  });

  it('a file with one bad row imports nothing, also past the first batch', async () => {
    const db = await openDatabase(await target.fresh());
    const rows = Array.from({ length: 1200 }, (_, i) => `D${i},r1,${i}.50,USD,won,2026-01-15`);
    const good = ['id,rep,amount,currency,stage,closed_at', ...rows].join('\n');
    expect(await importCsv(db, 'deals', good, 'many.csv')).toMatchObject({ ok: true, inserted: 1200, updated: 0 });
    const bad = ['id,rep,amount,currency,stage,closed_at', ...rows.map((r) => r.replace(',USD,', ',EUR,')), 'X1,r1,12.3.4,USD,won,2026-01-15'].join('\n');
    const result = await importCsv(db, 'deals', bad, 'bad.csv');
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([expect.stringMatching(/^bad\.csv:1202: amount: /)]);
    expect(await countOf(db, sql`SELECT count(*) FROM deals WHERE currency = 'EUR'`)).toBe(0);
    expect(await countOf(db, sql`SELECT count(*) FROM deals`)).toBe(1200);
    await db.close();
  });

  it('keeps money exact: micros past 2^53 sum to the last digit', async () => {
    const db = await openDatabase(await target.fresh());
    // 4,000,000,000,000.000001 is 4e18+1 micros: a float would drop the 1.
    const csv = 'id,rep,amount,currency,stage,closed_at\nA,r1,4000000000000.000001,USD,won,2026-02-01\nB,r1,4000000000000.000001,USD,won,2026-02-02\n';
    expect(await importCsv(db, 'deals', csv, 'big.csv')).toMatchObject({ ok: true, inserted: 2 });
    expect(await getDeal(db, 'A')).toMatchObject({ amount: '4000000000000.000001' });
    const m = await computeMetrics(db, { window: { start: '2026-01-01', end: '2026-03-31' }, currency: 'USD', metrics: ['revenue', 'avg_deal_size'], definitions: {} });
    expect(m.forRep('r1').metrics).toMatchObject({
      revenue: { amount: '8000000000000.000002' },
      avg_deal_size: { amount: '4000000000000.000001' },
    });
    await db.close();
  });

  it('records an event once with its entity; statements once and decided once; suppressions; outbox rows', async () => {
    const db = await openDatabase(await target.fresh());
    const first = parseEvent(JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L1', email: 'bob@globex.example', name: 'Bob' } }));
    const dup = parseEvent(JSON.stringify({ id: 'e1', type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id: 'L1', email: 'bob@globex.example', name: 'Robert' } }));
    if (!first.ok || !dup.ok) throw new Error('bad event');
    expect(await recordEventOnce(db, first.event)).toBe('new');
    expect(await recordEventOnce(db, dup.event)).toBe('duplicate');
    expect((await getLead(db, 'L1'))?.name).toBe('Bob');
    expect((await getLeadsByEmail(db, ' BOB@globex.example ')).map((l) => l.id)).toEqual(['L1']);
    expect(await getEvent(db, 'e1')).toMatchObject({ id: 'e1', type: 'lead.created' });
    expect(await countEvents(db)).toBe(1);

    expect(await recordStatement(db, 'payout:ae:r1:2026-Q1', statement, 'pending')).toBe(true);
    expect(await recordStatement(db, 'payout:ae:r1:2026-Q1', { ...statement, total: '1.00' }, 'pending')).toBe(false);
    expect(await decideStatement(db, 'payout:ae:r1:2026-Q1', { status: 'approved', by: 'grace@acme.example' })).toBe(true);
    expect(await decideStatement(db, 'payout:ae:r1:2026-Q1', { status: 'rejected', by: 'vp@acme.example', reason: 'late' })).toBe(false);
    expect(await getStatement(db, 'payout:ae:r1:2026-Q1')).toMatchObject({ status: 'approved', decidedBy: 'grace@acme.example', statement: { total: '15500.00' } });
    expect(await listStatements(db, { period: '2026-Q1', ruleId: 'ae' })).toHaveLength(1);
    expect(await listStatements(db, { period: '2026-Q2' })).toEqual([]);

    expect(await suppress(db, 'Bob@Globex.example', 'unsubscribed')).toBe(true);
    expect(await suppress(db, 'bob@globex.example', 'again')).toBe(false);
    expect(await isSuppressed(db, 'BOB@globex.example')).toBe(true);
    expect((await listSuppressions(db)).map((s) => s.email)).toEqual(['bob@globex.example']);

    expect((await claimOutbox(db, message)).created).toBe(true);
    expect(await claimOutbox(db, { ...message, subject: 'changed' })).toMatchObject({ created: false, row: { subject: 'Hi', status: 'pending' } });
    await markSent(db, message.key, '<m1@acme.example>');
    expect(await getOutbox(db, message.key)).toMatchObject({ status: 'sent', message_id: '<m1@acme.example>', headers: message.headers });
    expect((await listOutbox(db, { to: 'bob@GLOBEX.example' })).map((r) => r.key)).toEqual([message.key]);
    expect(await listOutbox(db, { workflowId: 'other' })).toEqual([]);

    expect(await recordPayout(db, payout)).toBe(true);
    expect(await recordPayout(db, { ...payout, amount: '99.00' })).toBe(false);
    expect(await findPayout(db, payout)).toMatchObject({ amount: '15500.00', workflowId: payout.workflowId, id: expect.any(Number) });
    await db.close();
  });

  it('a partial event\'s write leaves the fields it left out as stored, even when another process changed them after it read the row', async () => {
    const path = await target.fresh();
    const db = await openDatabase(path);
    const other = await openDatabase(path); // another process on the same data source
    await upsertLead(db, { id: 'L9', name: 'Pat', email: 'pat@prospect.example', company: null, source: 'webinar', stage: 'new', owner: 'r1', timezone: 'Europe/Berlin', score: '10' });
    await upsertDeal(db, { id: 'D9', rep: 'r1', name: 'Deal', amount: '100.00', currency: 'USD', stage: 'open', product: 'Core', type: null, source: null, closed_at: null, contact: null });
    // A lead.replied without owner/timezone/score, completed from the row as it was read...
    const reply = parseEvent(JSON.stringify({ id: 'e9', type: 'lead.replied', occurred_at: '2026-03-02T10:00:00Z', lead: { id: 'L9', email: 'pat@prospect.example' } }));
    const won = parseEvent(JSON.stringify({ id: 'e10', type: 'deal.won', occurred_at: '2026-03-02T10:00:00Z', deal: { id: 'D9', rep: 'r1', amount: '100.00', currency: 'USD', stage: 'won', closed_at: '2026-03-02' } }));
    if (!reply.ok || !won.ok) throw new Error('bad event');
    const lead = await completeFromStored(db, reply.event, reply.absent);
    const deal = await completeFromStored(db, won.event, won.absent);
    expect(lead).toMatchObject({ lead: { owner: 'r1', score: '10' } });
    expect(deal).toMatchObject({ deal: { name: 'Deal', product: 'Core' } });
    // ...then another process raises the score and moves the deal to another product before this one writes.
    await other.kysely.updateTable('leads').set({ score: '90' }).where('id', '=', 'L9').execute();
    await other.kysely.updateTable('deals').set({ product: 'Analytics' }).where('id', '=', 'D9').execute();
    await upsertLead(db, (lead as { lead: LeadRecord }).lead, undefined, reply.absent);
    await upsertDeal(db, (deal as { deal: DealRecord }).deal, undefined, won.absent);
    expect(await getLead(db, 'L9')).toMatchObject({ owner: 'r1', timezone: 'Europe/Berlin', score: '90', name: 'Pat' });
    expect(await getDeal(db, 'D9')).toMatchObject({ name: 'Deal', product: 'Analytics', stage: 'won', closed_at: '2026-03-02', amount: '100.00' });
    await other.close();
    await db.close();
  });

  it('an outbox row is mailed by one lease holder at a time; a failed attempt frees it, a sent row is never leased', async () => {
    const db = await openDatabase(await target.fresh());
    await claimOutbox(db, message);
    const now = '2026-03-01T10:00:00.000Z';
    const until = '2026-03-01T10:05:00.000Z';
    expect(await takeSendLease(db, message.key, 'worker-a', until, now)).toBe(true);
    expect(await takeSendLease(db, message.key, 'worker-b', until, now)).toBe(false);
    // A crashed holder's lease runs out: another sender may take over.
    expect(await takeSendLease(db, message.key, 'worker-b', '2026-03-01T10:11:00.000Z', '2026-03-01T10:06:00.000Z')).toBe(true);
    await markFailed(db, message.key, 'relay down');
    expect(await takeSendLease(db, message.key, 'worker-c', until, now)).toBe(true);
    await markSent(db, message.key, '<m@x>');
    expect(await takeSendLease(db, message.key, 'worker-d', '2999-01-01T00:00:00.000Z', '2998-01-01T00:00:00.000Z')).toBe(false);
    expect(await getOutbox(db, message.key)).toMatchObject({ status: 'sent', error: null });
    await db.close();
  });

  it('a sender killed (SIGKILL) the instant after writing its "sent" mark leaves the row sent, not pending for a resend', async () => {
    const url = await target.fresh();
    await (await openDatabase(url)).close();
    const code = await new Promise<string | null>((resolve) => {
      const p = spawn(process.execPath, [child, url, 'mark-and-die', '0', '0'], { stdio: 'ignore' });
      p.on('exit', (_code, signal) => resolve(signal));
    });
    expect(code).toBe('SIGKILL');
    const db = await openDatabase(url);
    expect(await getOutbox(db, message.key)).toMatchObject({ status: 'sent', message_id: '<m@race>' });
    await db.close();
  });

  it('a mark whose held connection was cut (database restarted mid-send) fails without taking the process down; the pool marks it', async () => {
    const url = await target.fresh();
    const db = await openDatabase(url);
    await claimOutbox(db, message);
    const marker = await reserveSentMarker(db, message.key);
    if (target.dialect === 'postgres') {
      const admin = await openDatabase(target.cluster()!.url('postgres'));
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${new URL(url).pathname.slice(1)}`.execute(admin.kysely);
      await admin.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await expect(marker.mark('<m@x>')).rejects.toThrow();
      marker.release();
      expect(await getOutbox(db, message.key)).toMatchObject({ status: 'pending' });
      await markSent(db, message.key, '<m@x>');
    } else {
      await marker.mark('<m@x>');
      marker.release();
    }
    expect(await getOutbox(db, message.key)).toMatchObject({ status: 'sent', message_id: '<m@x>' });
    await db.close();
  });

  // PostgreSQL only: SQLite has no server to restart under an open transaction.
  if (target.dialect === 'postgres') {
    it('a large import leaves the planner statistics current (ANALYZE), so the next simulate is planned on the rows just written', async () => {
      const db = await openDatabase(await target.fresh());
      const reltuples = async () => Number(await scalar(db, sql`SELECT reltuples FROM pg_class WHERE relname = 'reps'`));
      expect(await reltuples()).toBe(-1); // never analyzed
      const small = ['id,name,email', ...Array.from({ length: 50 }, (_, i) => `s${i},Rep ${i},s${i}@acme.example`)].join('\n');
      expect(await importCsv(db, 'reps', small, 'small.csv')).toMatchObject({ ok: true, inserted: 50 });
      expect(await reltuples()).toBe(-1); // a small import leaves it to autovacuum
      const large = ['id,name,email', ...Array.from({ length: 12_000 }, (_, i) => `r${i},Rep ${i},r${i}@acme.example`)].join('\n');
      expect(await importCsv(db, 'reps', large, 'large.csv')).toMatchObject({ ok: true, inserted: 12_000 });
      expect(await reltuples()).toBe(12_050);
      await db.close();
    });

    it('a transaction open when PostgreSQL restarts fails and rolls back; the process lives on and the next query works', async () => {
      const url = await target.fresh();
      const db = await openDatabase(url);
      let resume!: () => void;
      const paused = new Promise<void>((resolve) => { resume = resolve; });
      let started!: () => void;
      const inside = new Promise<void>((resolve) => { started = resolve; });
      const tx = db.kysely.transaction().execute(async (trx) => {
        await claimOutbox({ ...db, kysely: trx, inTransaction: true }, message);
        started();
        await paused; // between two statements, its connection checked out of the pool
        await sql`SELECT 1`.execute(trx);
      });
      await inside;
      target.cluster()!.restart();
      // The cut connection's error arrives while the transaction waits: it must not end this process.
      await new Promise((resolve) => setTimeout(resolve, 300));
      resume();
      await expect(tx).rejects.toThrow();
      expect(await getOutbox(db, message.key)).toBeNull();
      await db.close();
    });

    it('salesflow import whose connection is cut mid-import says so in one line, exits 1 and stores nothing', async () => {
      const url = await target.fresh();
      const admin = await openDatabase(url);
      const file = join(tempDir(), 'deals.csv');
      writeFileSync(file, `id,rep,amount,currency,stage\n${Array.from({ length: 500 }, (_, i) => `D${i},r1,5.00,USD,won`).join('\n')}\n`);
      // Hold the import lock so the import waits inside its transaction, then cut its connection.
      const holder = await admin.pool!.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [IMPORT_LOCK_KEY]);
      // The built command in a process of its own, as a user runs it.
      let proc!: ReturnType<typeof spawn>;
      const importing = new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const p = proc = spawn(process.execPath, [bin, 'import', '--kind', 'deals', file], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        p.on('exit', (code) => resolve({ code, stderr }));
      });
      // Looked for from another connection: inside the holder's transaction pg_stat_activity is a snapshot.
      for (let waited = 0; ; waited += 50) {
        const cut = await admin.pool!.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%' AND pid <> $1", [(holder as unknown as { processID: number }).processID]);
        if (cut.rowCount) break;
        if (waited > 20_000) { proc.kill('SIGKILL'); throw new Error(`the import never waited for the lock: ${JSON.stringify(await importing)}`); }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const r = await importing;
      await holder.query('ROLLBACK');
      holder.release();
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('salesflow import: lost the connection to the data source (terminating connection due to administrator command); what this command had not committed was rolled back: run it again\n');
      expect(await countOf(admin, sql`SELECT count(*) FROM deals`)).toBe(0);
      await admin.close();
    });
  }

  it('a streamed join of deals and shares is planned for all of its rows (PostgreSQL: cursor_tuple_fraction 1); other streams keep first-rows plans', async () => {
    const db = await openDatabase(await target.fresh());
    const read = async (options?: { planForAllRows: boolean }) => {
      const seen: unknown[] = [];
      const query = (target.dialect === 'postgres' ? sql`SELECT current_setting('cursor_tuple_fraction')` : sql`SELECT '1'`).compile(db.kysely);
      for await (const batch of streamRows(db, query, 2000, options)) seen.push(...batch.map((row) => row[0]));
      return seen.map(Number);
    };
    // PostgreSQL plans a cursor for its first rows unless told otherwise.
    expect(await read({ planForAllRows: true })).toEqual([1]);
    expect(await read()).toEqual([target.dialect === 'postgres' ? 0.1 : 1]);
    // The setting is the read's own (SET LOCAL): the pool's connections keep the default.
    if (target.dialect === 'postgres') expect(Number(await scalar(db, sql`SELECT current_setting('cursor_tuple_fraction')`))).toBe(0.1);
    await db.close();
  });

  it('four processes re-importing one deal\'s shares at once: the deal keeps one import\'s shares whole, never a mix', async () => {
    const url = await target.fresh();
    const db = await openDatabase(url);
    const reps = ['id,name,email', ...['r0', 'r1', 'r2', 'r3', 'r9'].map((r) => `${r},Rep ${r},${r}@acme.example`)].join('\n');
    for (const [kind, text] of [['reps', reps], ['deals', 'id,rep,amount,currency,stage,closed_at\nD1,r0,1000,USD,won,2026-02-01\n']] as const) {
      const r = await importCsv(db, kind, text, `${kind}.csv`);
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    }
    for (let round = 0; round < 3; round++) {
      expect(await race(url, 'credits', 4)).toEqual([true, true, true, true]);
      const rows = await db.kysely.selectFrom('credits').select(['rep', 'share', 'type']).where('deal', '=', 'D1').orderBy('type').orderBy('rep').execute();
      expect(rows).toEqual([{ rep: 'r9', share: '10', type: 'overlay' }, { rep: expect.stringMatching(/^r[0-3]$/), share: '100', type: 'revenue' }]);
    }
    await db.close();
  });

  it('six processes recording the same ledger row, event and outbox send at once: exactly one wins each', async () => {
    const url = await target.fresh();
    await (await openDatabase(url)).close();
    const ledger = await race(url, 'ledger', 6);
    expect(ledger.filter((r) => r === true)).toHaveLength(1);
    const events = await race(url, 'event', 6);
    expect(events.filter((r) => r === 'new')).toHaveLength(1);
    expect(events.filter((r) => r === 'duplicate')).toHaveLength(5);
    const sends = await race(url, 'outbox', 6);
    expect(sends.filter((r) => r === true)).toHaveLength(1);

    const db = await openDatabase(url);
    expect(await countOf(db, sql`SELECT count(*) FROM ledger`)).toBe(1);
    expect(await countOf(db, sql`SELECT count(*) FROM events`)).toBe(1);
    expect(await countOf(db, sql`SELECT count(*) FROM outbox`)).toBe(1);
    // The lead stored is the winning event's: one write, not a mix.
    const stored = await getEvent(db, 'evt-race');
    expect((await getLead(db, 'L1'))?.name).toBe(stored && 'lead' in stored ? stored.lead.name : null);
    await db.close();
  });

  it('four processes importing the same deals in opposite orders at once all succeed, each file whole (no deadlock, no mix)', async () => {
    const url = await target.fresh();
    await (await openDatabase(url)).close();
    const results = await race(url, 'import', 4) as { inserted: number; updated: number }[];
    for (const r of results) expect(r.inserted + r.updated).toBe(20_000);
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(20_000);
    const db = await openDatabase(url);
    expect(await countOf(db, sql`SELECT count(*) FROM deals`)).toBe(20_000);
    // Every deal carries the name of one writer: the one whose import went last, whole.
    expect(await column(db, sql`SELECT DISTINCT name FROM deals`)).toHaveLength(1);
    await db.close();
  });
});
