// The CRM webhook lock (src/data/crm-lock.ts) on both data sources, each side on its own Db handle
// opened on the same database, as two `serve` processes would hold them: a second holder waits (or
// gives up after its bound) while the first works, gets the lock once it is released (also after
// the work failed), other CRMs are not held up, a crashed SQLite holder's lease is taken over once
// it expired, and a PostgreSQL holder whose connection is lost lets the next one in.
import { afterEach, expect, it } from 'vitest';
import { CrmLockTimeout, crmLockKey, withCrmLock } from '../../src/data/crm-lock.js';
import { openDatabase, rows, sql, type Db } from '../../src/data/db.js';
import { forEachDialect } from '../support/dialects.js';

const T = Date.parse('2026-03-02T12:00:00Z');
const lock = (waitMs: number, now = () => T, leaseMs = 30_000) => ({ waitMs, leaseMs, now });

/** A promise and the function that settles it: lets a holder keep the lock until the test says. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { opened, open };
}

forEachDialect('CRM webhook lock', (target) => {
  const handles: Db[] = [];
  afterEach(async () => { for (const db of handles.splice(0)) await db.close(); });

  /** Two handles on one fresh data source: "this process" and "the other process". */
  async function twoProcesses(): Promise<[Db, Db]> {
    const url = await target.fresh();
    const a = await openDatabase(url);
    const b = await openDatabase(url);
    handles.push(a, b);
    return [a, b];
  }

  it('keeps a second holder out while the first works, and lets it in once released', async () => {
    const [a, b] = await twoProcesses();
    const seen: string[] = [];
    const held = gate();
    const started = gate();
    const first = withCrmLock(a, 'hubspot', lock(1000), async () => {
      seen.push('a in');
      started.open();
      await held.opened;
      seen.push('a out');
      return 'a done';
    });
    await started.opened;

    await expect(withCrmLock(b, 'hubspot', lock(200), async () => { seen.push('b ran'); })).rejects.toBeInstanceOf(CrmLockTimeout);
    const second = withCrmLock(b, 'hubspot', lock(10_000), async () => { seen.push('b in'); return 'b done'; });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen).toEqual(['a in']);

    held.open();
    expect(await first).toBe('a done');
    expect(await second).toBe('b done');
    expect(seen).toEqual(['a in', 'a out', 'b in']);
  });

  it('is released when the work fails, and holds up no other CRM', async () => {
    const [a, b] = await twoProcesses();
    await expect(withCrmLock(a, 'hubspot', lock(1000), async () => { throw new Error('routing broke'); })).rejects.toThrow('routing broke');
    expect(await withCrmLock(b, 'hubspot', lock(200), async () => 'taken')).toBe('taken');
    // A caller whose time to wait is already spent (queued in its own process) still gets a free lock.
    expect(await withCrmLock(b, 'hubspot', lock(-5), async () => 'free, no wait')).toBe('free, no wait');

    const held = gate();
    const started = gate();
    const first = withCrmLock(a, 'hubspot', lock(1000), async () => { started.open(); await held.opened; });
    await started.opened;
    expect(await withCrmLock(b, 'salesforce', lock(200), async () => 'other CRM')).toBe('other CRM');
    held.open();
    await first;
    if (target.dialect === 'sqlite') expect(await rows(a, sql`SELECT * FROM crm_locks`)).toEqual([]);
  });

  if (target.dialect === 'sqlite') {
    it('takes over the lease of a holder that stopped (crashed) once it expired, and only then', async () => {
      const [a, b] = await twoProcesses();
      const stuck = gate();
      const started = gate();
      // a holds a 5 s lease from T and never finishes (a process that hung or died mid-request).
      const crashed = withCrmLock(a, 'hubspot', lock(1000, () => T, 5000), async () => { started.open(); await stuck.opened; });
      await started.opened;

      await expect(withCrmLock(b, 'hubspot', lock(200, () => T + 4999), async () => 'too early')).rejects.toBeInstanceOf(CrmLockTimeout);
      const taken = gate();
      const takenOver = gate();
      const after = withCrmLock(b, 'hubspot', lock(200, () => T + 5001), async () => { takenOver.open(); await taken.opened; return 'taken over'; });
      await takenOver.opened;

      // The old holder finishing late deletes only its own lease: b still holds, a third waits.
      stuck.open();
      await crashed;
      await expect(withCrmLock(a, 'hubspot', lock(200, () => T + 5001), async () => 'third')).rejects.toBeInstanceOf(CrmLockTimeout);
      taken.open();
      expect(await after).toBe('taken over');
      expect(await withCrmLock(a, 'hubspot', lock(200, () => T + 5001), async () => 'third')).toBe('third');
    });
  }

  if (target.dialect === 'postgres') {
    it('waits its turn past a shorter statement_timeout set on the database, and leaves that timeout in force after', async () => {
      const url = await target.fresh();
      const setup = await openDatabase(url);
      await sql.raw(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET statement_timeout = '300ms'`).execute(setup.kysely);
      await setup.close();
      const [a, b] = [await openDatabase(url), await openDatabase(url, { poolSize: 1 })];
      handles.push(a, b);
      const held = gate();
      const started = gate();
      const first = withCrmLock(a, 'hubspot', lock(1000), async () => { started.open(); await held.opened; return 'a done'; });
      await started.opened;
      const second = withCrmLock(b, 'hubspot', lock(5000), async () => 'b in');
      await new Promise((resolve) => setTimeout(resolve, 800));
      held.open();
      expect(await first).toBe('a done');
      expect(await second).toBe('b in');
      expect(await rows(b, sql`SHOW statement_timeout`)).toEqual([{ statement_timeout: '300ms' }]);
    });

    it('lets the next holder in when the holding connection is lost, and leaves no lock_timeout behind', async () => {
      const url = await target.fresh();
      const a = await openDatabase(url);
      const b = await openDatabase(url, { poolSize: 1 });
      const admin = await openDatabase(url);
      handles.push(a, b, admin);
      const held = gate();
      const started = gate();
      const first = withCrmLock(a, 'hubspot', lock(1000), async () => { started.open(); await held.opened; return 'finished anyway'; });
      await started.opened;

      await expect(withCrmLock(b, 'hubspot', lock(200), async () => 'no')).rejects.toBeInstanceOf(CrmLockTimeout);
      // b's only pool connection (the one that timed out, or its replacement) waits without a limit again.
      expect(await rows(b, sql`SHOW lock_timeout`)).toEqual([{ lock_timeout: '0' }]);

      // The holder's session ends (database restart, network cut): its lock goes with it.
      const key = crmLockKey('hubspot');
      const objid = Number(BigInt.asUintN(32, key));
      const killed = await rows<{ done: boolean }>(admin, sql`SELECT pg_terminate_backend(pid) AS done FROM pg_locks
        WHERE locktype = 'advisory' AND objid = ${objid} AND granted`);
      expect(killed).toEqual([{ done: true }]);
      expect(await withCrmLock(b, 'hubspot', lock(5000), async () => 'in after the loss')).toBe('in after the loss');

      // The old holder's work still completes; its lost connection is not handed out again.
      held.open();
      expect(await first).toBe('finished anyway');
      expect(await rows(a, sql`SELECT 1 AS ok`)).toEqual([{ ok: 1 }]);
    });
  }
});
