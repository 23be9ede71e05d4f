// Streamed CSV import on SQLite and PostgreSQL from one table of cases: files larger than one
// batch, bad rows far apart (all reported, nothing written, earlier data untouched), multi-line
// quoted fields keeping physical line numbers across batches, BOM and CRLF, re-import counts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { countOf, openDatabase, scalar, sql, type Db } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { formatProblem, importCsv, importCsvFile, MAX_PROBLEMS } from '../../src/data/import.js';
import { getRep } from '../../src/data/reps.js';
import { forEachDialect } from '../support/dialects.js';
import { tempDir } from './tmp.js';

const HEADER = 'id,rep,name,amount,currency,stage,closed_at';
const good = (i: number) => `d${i},r${i % 7},Deal ${i},${i}.25,USD,won,2026-03-${String(1 + (i % 28)).padStart(2, '0')}`;

/** A deals file of `n` good rows (header on line 1, row i on line i + 1), with some rows replaced. */
function dealsFile(n: number, replace: Record<number, string> = {}, eol = '\n'): string {
  const lines = [HEADER];
  for (let i = 1; i <= n; i++) lines.push(replace[i] ?? good(i));
  return lines.join(eol) + eol;
}

function writeTemp(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

const problemsOf = (r: Awaited<ReturnType<typeof importCsv>>) => (r.ok ? [] : r.problems.map(formatProblem));
const dealCount = (db: Db) => countOf(db, sql`SELECT count(*) FROM deals`);

forEachDialect('streamed CSV import', (target) => {
  it('a 12,000-row file with bad rows far apart reports every one by line and writes nothing', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      expect(await importCsv(db, 'deals', `${HEADER}\nkeep,r1,Kept,5,USD,won,2026-01-02\n`, 'first.csv')).toMatchObject({ ok: true, inserted: 1 });
      const path = writeTemp('big.csv', dealsFile(12_000, {
        2: 'd2,r1,x,12.5.3,USD,won,2026-03-01',
        5_000: 'd5000,r1,x,5,usd,won,2026-03-01',
        11_999: 'd11999,r1,x,5,USD,pending,2026-02-30',
        12_000: 'd7,r1,dup,5,USD,won,2026-03-01',
      }));
      const result = await importCsvFile(db, 'deals', path, 'big.csv');
      expect(problemsOf(result)).toEqual([
        expect.stringMatching(/^big\.csv:3: amount: expected a plain decimal/),
        expect.stringMatching(/^big\.csv:5001: currency: expected a 3-letter ISO-4217 code/),
        expect.stringMatching(/^big\.csv:12000: stage: /),
        expect.stringMatching(/^big\.csv:12000: closed_at: \d{4}-\d{2}-\d{2} is not a calendar date/),
        'big.csv:12001: id: duplicate id "d7" (first on line 8)',
      ]);
      // Rows before the first bad one were written in the same transaction: rolled back too.
      expect(await dealCount(db)).toBe(1);
      expect(await getDeal(db, 'd1')).toBeNull();
      expect(await getDeal(db, 'keep')).toMatchObject({ amount: '5' });
    } finally {
      await db.close();
    }
  });

  it('lists the first 100 problems of a file with many and counts them all', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      const bad: Record<number, string> = {};
      for (let i = 1; i <= 250; i++) bad[i * 10] = `d${i * 10},r1,x,abc,USD,won,2026-03-01`;
      const result = await importCsv(db, 'deals', dealsFile(3_000, bad), 'many.csv');
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems).toHaveLength(MAX_PROBLEMS);
      expect(result.total).toBe(250);
      expect(formatProblem(result.problems[0])).toMatch(/^many\.csv:11: amount: /);
      expect(formatProblem(result.problems[99])).toMatch(/^many\.csv:1001: amount: /);
      expect(await dealCount(db)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('multi-line quoted fields keep physical line numbers, also past a batch boundary', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      // Row 1500's name spans 3 lines (CRLF inside), row 2500's spans 2 (LF), so row i > 2500 is on line i + 1 + 3.
      const text = dealsFile(3_000, {
        1_500: 'd1500,r1,"Acme\r\nEurope,\r\nGmbH",10,USD,won,2026-03-01',
        2_500: 'd2500,r1,"two\nlines",10,USD,won,2026-03-01',
        2_800: 'd2800,r1,x,10,USD,won,2026-13-01',
      });
      const result = await importCsv(db, 'deals', text, 'multi.csv');
      expect(problemsOf(result)).toEqual([expect.stringMatching(/^multi\.csv:2804: closed_at: /)]);
      const fixed = await importCsv(db, 'deals', text.replace('2026-13-01', '2026-12-01'), 'multi.csv');
      expect(fixed).toMatchObject({ ok: true, inserted: 3_000, updated: 0 });
      expect((await getDeal(db, 'd1500'))?.name).toBe('Acme\r\nEurope,\r\nGmbH');
      expect((await getDeal(db, 'd2500'))?.name).toBe('two\nlines');
    } finally {
      await db.close();
    }
  });

  it('reads a BOM and CRLF line ends; values carry no stray CR or BOM', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      const path = writeTemp('excel.csv', `\uFEFF${dealsFile(1_500, { 1_200: 'd1200,r1, "Padded, Inc" ,7.5,EUR,lost,' }, '\r\n')}`);
      const result = await importCsvFile(db, 'deals', path, 'excel.csv');
      expect(result).toMatchObject({ ok: true, inserted: 1_500 });
      expect(await getDeal(db, 'd1')).toMatchObject({ id: 'd1', closed_at: '2026-03-02' });
      expect(await getDeal(db, 'd1200')).toMatchObject({ name: 'Padded, Inc', currency: 'EUR', closed_at: null });
      expect(await countOf(db, sql`SELECT count(*) FROM deals WHERE closed_at LIKE ${'%\r'} OR id LIKE ${'\uFEFF%'}`)).toBe(0);
      const bad = writeTemp('bad.csv', `\uFEFF${dealsFile(10, { 4: 'd4,r1,x,1,USD,won,2026-02-30' }, '\r\n')}`);
      expect(problemsOf(await importCsvFile(db, 'deals', bad, 'bad.csv'))).toEqual([expect.stringMatching(/^bad\.csv:5: closed_at: /)]);
    } finally {
      await db.close();
    }
  });

  it('re-importing updates rows by id and counts inserted, updated and unchanged; amounts stay exact', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      expect(await importCsv(db, 'deals', dealsFile(2_500), 'a.csv')).toMatchObject({ ok: true, inserted: 2_500, updated: 0, unchanged: 0 });
      const again = dealsFile(3_000, { 10: 'd10,r1,Renamed,9007199254.740993,USD,lost,2026-04-01' });
      expect(await importCsv(db, 'deals', again, 'b.csv')).toMatchObject({ ok: true, inserted: 500, updated: 1, unchanged: 2_499 });
      expect(await getDeal(db, 'd10')).toMatchObject({ name: 'Renamed', stage: 'lost', amount: '9007199254.740993' });
      expect(String(await scalar(db, sql`SELECT CAST(amount_micros AS TEXT) FROM deals WHERE id = 'd10'`))).toBe('9007199254740993');
      expect(String(await scalar(db, sql`SELECT CAST(amount_micros AS TEXT) FROM deals WHERE id = 'd3'`))).toBe('3250000');
      expect(await dealCount(db)).toBe(3_000);
      // The import skips the table's CHECKs it has already validated; afterwards they hold again.
      await expect(sql`INSERT INTO deals (id, rep, amount, amount_micros, currency, stage, updated_at)
        VALUES ('x', 'r1', '1', 1000000, 'USD', 'pending', 'now')`.execute(db.kysely)).rejects.toThrow(/check/i);
      const reps = await importCsv(db, 'reps', 'id,name,email\nr1,Ada,ada@acme.example\n', 'reps.csv');
      expect(reps).toMatchObject({ ok: true, inserted: 1 });
      expect(await getRep(db, 'r1')).toMatchObject({ name: 'Ada' });
    } finally {
      await db.close();
    }
  });

  it('an unclosed quote stops the file at the line its record starts; rows before it are still checked', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      const text = `${dealsFile(1_200, { 3: 'd3,r1,x,oops,USD,won,' })}d9999,r1,"never closed,5,USD,won,\nmore\n`;
      expect(problemsOf(await importCsv(db, 'deals', text, 'q.csv'))).toEqual([
        expect.stringMatching(/^q\.csv:4: amount: /),
        'q.csv:1202: a quoted field is never closed (missing ")',
      ]);
      expect(await dealCount(db)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
