// A backtest reads either data source the same way: the fixture month (July 2026) replayed from a
// SQLite file and from a PostgreSQL database gives the same emails and statements, and leaves the
// source without a single outbox row or recorded statement.
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { expect, test } from 'vitest';
import { countOf, openDatabase, sql } from '../../src/data/db.js';
import { recordEventOnce } from '../../src/data/events.js';
import { importCsv } from '../../src/data/import.js';
import { loadRules } from '../../src/dsl/index.js';
import { parseEvent } from '../../src/events/schema.js';
import { runBacktest } from '../../src/runtime/backtest/run.js';
import { parseWindow } from '../../src/runtime/backtest/window.js';
import { forEachDialect } from '../support/dialects.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const fixtures = new URL('../fixtures/backtest/', import.meta.url).pathname;
const read = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

forEachDialect('backtest of July 2026 from the data source', (target) => {
  test('the same timeline from either dialect, and nothing written to the source', async () => {
    const url = await target.fresh();
    const db = await openDatabase(url);
    await importCsv(db, 'reps', read('reps.csv'), 'reps.csv');
    await importCsv(db, 'deals', read('deals.csv'), 'deals.csv');
    for (const raw of JSON.parse(read('events.json')) as unknown[]) {
      const parsed = parseEvent(JSON.stringify(raw));
      if (parsed.ok) await recordEventOnce(db, parsed.event);
    }
    await db.close();

    const compiled = await loadRules([path.join(fixtures, 'rules')]);
    const plan = { ...compiled.plan!, rules: compiled.plan!.rules.filter((r) => r.name !== 'Monthly bookings') };
    const window = parseWindow('2026-07-01', '2026-07-31');
    if (!window.ok) throw new Error(window.message);
    const source = await openDatabase(url, { readonly: true });
    try {
      const { timeline } = await runBacktest({ plan, source, window: window.window, publicUrl: 'http://salesflow.test' });
      const summary = timeline.map((e) => (e.kind === 'email' ? `${e.rule} ${e.to} ${e.local}` : `${e.rule} ${e.rep} ${e.period} ${e.total}`));
      expect(summary.filter((s) => s.startsWith('Friday prep'))).toHaveLength(10); // five Fridays, two reps
      expect(summary.filter((s) => !s.startsWith('Friday prep')).sort()).toEqual([
        'AE commission r-nina 2026-07 1400.00',
        'AE commission r-tevita 2026-07 0.00',
        'Webinar follow-up priya@northwind.example 2026-07-08T11:00',
        'Webinar follow-up priya@northwind.example 2026-07-10T11:00',
        'Webinar follow-up tom@globex.example 2026-07-20T15:00',
      ]);
      for (const table of ['outbox', 'statements', 'ledger', 'suppressions']) {
        expect(await countOf(source, sql`SELECT count(*) FROM ${sql.table(table)}`), table).toBe(0);
      }
      expect(await countOf(source, sql`SELECT count(*) FROM leads`)).toBe(4); // as the event log left them
    } finally {
      await source.close();
    }
  }, 120_000);
});
