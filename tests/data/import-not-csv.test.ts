// Files that are not CSV text, given to `import` by mistake (a JSON file, an .xls workbook, UTF-16
// without its byte-order mark, a NUL byte inside a field): each is named for what it is at
// FILE:LINE, on SQLite and PostgreSQL alike, and nothing is stored. A NUL byte used to crash the
// PostgreSQL import with a TypeError (exit 2) while SQLite stored it unseen.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { countOf, openDatabase, sql } from '../../src/data/db.js';
import { forEachDialect } from '../support/dialects.js';
import { salesflow } from './cli.js';
import { tempDir } from './tmp.js';

function write(name: string, content: string | Buffer): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

async function countIn(url: string, table: 'deals' | 'rates' | 'credits'): Promise<number> {
  const db = await openDatabase(url);
  try {
    return await countOf(db, table === 'deals' ? sql`SELECT count(*) FROM deals` : table === 'rates' ? sql`SELECT count(*) FROM rates` : sql`SELECT count(*) FROM credits`);
  } finally {
    await db.close();
  }
}

forEachDialect('import of a file that is not CSV text', (target) => {
  it('a NUL byte in a field is refused at its line and column; the rows before it are not stored', async () => {
    const url = await target.fresh();
    const file = write('deals.csv', 'id,rep,amount,currency,stage,name\nd1,r1,5,USD,open,fine\nd2,r1,5,USD,open,a\u0000b\n');
    const result = await salesflow(['import', '--kind', 'deals', file], url);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:3: column 6 holds a NUL character (byte 0)`);
    expect(result.stderr).toContain(`${file}: 1 problem; nothing imported`);
    expect(await countIn(url, 'deals')).toBe(0);
    // Credits are streamed through a staging table: the same message, nothing staged is kept.
    const shares = write('credits.csv', 'deal,rep,share\nd1,r1,100\nd2,r1,a\u0000b\n');
    const refused = await salesflow(['import', '--kind', 'credits', shares], url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${shares}:3: column 3 holds a NUL character (byte 0)`);
    expect(refused.stderr).toContain(`${shares}: 1 problem; nothing imported`);
    expect(await countIn(url, 'credits')).toBe(0);
  });

  it('JSON, an .xls workbook and UTF-16 without a byte-order mark are named as such, for every kind', async () => {
    const url = await target.fresh();
    const files = {
      json: write('deals.json.csv', '[\n  {"id": "d1", "rep": "r1"}\n]\n'),
      jsonLines: write('deals.jsonl.csv', '{"id":"d1","rep":"r1"}\n'),
      xls: write('deals.xls.csv', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0, 0x3e, 0])),
      utf16: write('rates.csv', Buffer.from('currency,to,rate,from\r\nEUR,USD,1.1,2026-01-01\r\n', 'utf16le')),
    };
    for (const kind of ['deals', 'rates', 'credits']) {
      const json = await salesflow(['import', '--kind', kind, files.json], url);
      expect(json.stderr).toContain(`${files.json}:1: this is JSON, not CSV`);
      expect((await salesflow(['import', '--kind', kind, files.jsonLines], url)).stderr).toContain(`${files.jsonLines}:1: this is JSON, not CSV`);
      const xls = await salesflow(['import', '--kind', kind, files.xls], url);
      expect(xls.stderr).toContain(`${files.xls}:1: this is an Excel 97-2003 workbook (.xls), not a CSV file`);
      const utf16 = await salesflow(['import', '--kind', kind, files.utf16], url);
      expect(utf16.stderr).toContain(`${files.utf16}:1: this file is not UTF-8 text (it has NUL bytes: UTF-16 without a byte-order mark`);
      for (const run of [json, xls, utf16]) expect(run.code).toBe(1);
    }
    expect(await countIn(url, 'deals')).toBe(0);
    expect(await countIn(url, 'rates')).toBe(0);
    expect(await countIn(url, 'credits')).toBe(0);
  });

  it('UTF-16 with its byte-order mark (Excel "Unicode Text") imports rates and credits as it imports deals', async () => {
    const url = await target.fresh();
    const bom = Buffer.from([0xff, 0xfe]);
    const rates = write('rates.csv', Buffer.concat([bom, Buffer.from('currency,to,rate,from\r\nEUR,USD,1.1,2026-01-01\r\n', 'utf16le')]));
    const deals = write('deals.csv', Buffer.concat([bom, Buffer.from('id,rep,amount,currency,stage\r\nd1,r1,5,USD,open\r\n', 'utf16le')]));
    expect(await salesflow(['import', '--kind', 'rates', rates], url)).toMatchObject({ code: 0, stdout: `${rates}: rates 1 inserted, 0 updated, 0 unchanged\n` });
    expect(await salesflow(['import', '--kind', 'deals', deals], url)).toMatchObject({ code: 0, stdout: `${deals}: deals 1 inserted, 0 updated, 0 unchanged\n` });
    const reps = write('reps.csv', 'id,name,email\nr1,Ada,ada@acme.example\n');
    expect((await salesflow(['import', '--kind', 'reps', reps], url)).code).toBe(0);
    const credits = write('credits.csv', Buffer.concat([bom, Buffer.from('deal,rep,share\r\nd1,r1,100\r\n', 'utf16le')]));
    expect(await salesflow(['import', '--kind', 'credits', credits], url)).toMatchObject({ code: 0, stdout: `${credits}: credits 1 inserted, 0 updated, 0 unchanged\n` });
  });
});
