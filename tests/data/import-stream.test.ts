// The streaming import (csv-parse, one transaction) against the in-memory import on the same
// files: the same records, the same problems at the same lines, the same warnings; and a bad row
// anywhere in a large file leaves the data source as it was.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { importCsv, type ImportKind } from '../../src/data/import.js';
import { importCsvFile } from '../../src/data/import-stream.js';
import { fixture, tempDir } from './tmp.js';

function both(kind: ImportKind, path: string, setup?: (db: ReturnType<typeof openDatabase>) => void) {
  const dir = tempDir();
  const a = openDatabase(join(dir, 'a.db'));
  const b = openDatabase(join(dir, 'b.db'));
  setup?.(a);
  setup?.(b);
  return { a, b, memory: () => importCsv(a, kind, readFileSync(path, 'utf8'), path), stream: () => importCsvFile(b, kind, path, path) };
}

const dump = (db: ReturnType<typeof openDatabase>, table: string) => db.prepare(`SELECT * FROM ${table} ORDER BY id`).all().map((r) => ({ ...(r as object), updated_at: undefined }));

describe('importCsvFile (streaming)', () => {
  for (const [kind, name] of [['reps', 'reps.csv'], ['deals', 'deals.csv'], ['leads', 'leads.csv'], ['deals', 'bad-deals.csv']] as const) {
    it(`gives the same outcome and rows as the in-memory import for ${name}`, async () => {
      const { a, b, memory, stream } = both(kind, fixture(name));
      const expected = memory();
      expect(await stream()).toEqual(expected);
      expect(dump(b, kind)).toEqual(dump(a, kind));
      a.close(); b.close();
    });
  }

  it('reports a duplicate id with the line of the first, and a quoted field spanning lines at its first line', async () => {
    const path = join(tempDir(), 'deals.csv');
    writeFileSync(path, 'id,rep,name,amount,currency,stage\nD1,r1,"two\nlines",10,USD,won\nD2,r1,x,ten,USD,won\nD1,r1,y,5,USD,open\n');
    const db = openDatabase(join(tempDir(), 's.db'));
    const result = await importCsvFile(db, 'deals', path, 'deals.csv');
    expect(result).toEqual({ ok: false, problems: [
      { file: 'deals.csv', line: 4, field: 'amount', message: 'expected a plain decimal like 1500.50, got "ten"' },
      { file: 'deals.csv', line: 5, field: 'id', message: 'duplicate id "D1" (first on line 2)' },
    ] });
    expect(db.prepare('SELECT count(*) FROM deals').pluck().get()).toBe(0);
    db.close();
  });

  it('writes nothing when the last of 50,000 rows is bad, and reports progress on the way', async () => {
    const path = join(tempDir(), 'big.csv');
    const lines = ['id,rep,amount,currency,stage,closed_at'];
    for (let i = 0; i < 50_000; i++) lines.push(`D${i},r${i % 7},${i}.25,USD,${i % 2 ? 'won' : 'open'},2026-03-${String((i % 28) + 1).padStart(2, '0')}`);
    lines.push('D-last,r1,1,USD,pending,2026-03-01');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const db = openDatabase(join(tempDir(), 's.db'));
    const progress: number[] = [];
    const indexes = () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deals' ORDER BY name").pluck().all();
    const before = indexes();
    const cacheSize = db.pragma('cache_size', { simple: true });
    // As a large file: the indexes are dropped while importing and must come back either way.
    const large = { largeFileBytes: 0 };
    const result = await importCsvFile(db, 'deals', path, 'big.csv', { ...large, onProgress: (rows) => progress.push(rows), progressEvery: 20_000 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([expect.objectContaining({ line: 50_002, field: 'stage' })]);
    expect(db.prepare('SELECT count(*) FROM deals').pluck().get()).toBe(0);
    expect(progress).toEqual([20_000, 40_000]);
    expect(indexes()).toEqual(before);
    expect(before).toContain('deals_rep_closed');
    // The same file without the bad row goes in whole.
    writeFileSync(path, `${lines.slice(0, -1).join('\n')}\n`);
    expect(await importCsvFile(db, 'deals', path, 'big.csv', large)).toMatchObject({ ok: true, inserted: 50_000, updated: 0 });
    expect(indexes()).toEqual(before);
    expect(db.pragma('cache_size', { simple: true })).toBe(cacheSize);
    // Exact money: the sum of i + 0.25 for i below 50,000.
    expect(db.prepare('SELECT sum(amount_micros) FROM deals').pluck().get()).toBe(1_249_987_500_000_000);
    expect(db.prepare("SELECT amount, stage, closed_at FROM deals WHERE id = 'D49999'").get()).toEqual({ amount: '49999.25', stage: 'won', closed_at: '2026-03-20' });
    db.close();
  });
});
