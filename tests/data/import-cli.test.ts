import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, scalar, sql } from '../../src/data/db.js';
import { salesflow } from './cli.js';
import { fixture, tempDir } from './tmp.js';

describe('salesflow import', () => {
  it('imports a CSV file and prints what it did; a second import updates', async () => {
    const db = join(tempDir(), 'var', 'salesflow.db');
    const first = await salesflow(['import', '--kind', 'reps', fixture('reps.csv')], db);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('reps 3 inserted, 0 updated') });
    const again = await salesflow(['import', '--kind', 'reps', fixture('reps.csv')], db);
    expect(again.stdout).toContain('0 inserted, 3 updated');
    const deals = await salesflow(['import', '--kind', 'deals', fixture('deals.csv')], db);
    expect(deals).toMatchObject({ code: 0, stdout: expect.stringContaining('deals 11 inserted') });
  });

  it('lists every bad row as FILE:LINE: field: message, exits 1 and imports nothing', async () => {
    const path = join(tempDir(), 'salesflow.db');
    const file = fixture('bad-deals.csv');
    const result = await salesflow(['import', '--kind', 'deals', file], path);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:3: amount: expected a plain decimal`);
    expect(result.stderr).toContain(`${file}:7: amount: 1.1234567 has more than 6 decimal places`);
    expect(result.stderr).toContain('6 problems; nothing imported');
    const db = await openDatabase(path);
    expect(await scalar(db, sql`SELECT count(*) FROM deals`)).toBe(0);
    await db.close();
  });

  it('explains a bad kind or a missing file', async () => {
    const path = join(tempDir(), 'salesflow.db');
    expect((await salesflow(['import', '--kind', 'accounts', 'x.csv'], path)).stderr).toContain('--kind must be one of reps, deals, leads');
    expect((await salesflow(['import', '--kind', 'reps', 'nope.csv'], path)).stderr).toContain('cannot read nope.csv: ENOENT');
  });
});
