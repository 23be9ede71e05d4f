import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, scalar, sql } from '../../src/data/db.js';
import { salesflow } from './cli.js';
import { fixture, tempDir } from './tmp.js';

describe('salesflow import', () => {
  it('imports a CSV file and prints what it did; the same file again changes nothing and says so', async () => {
    const db = join(tempDir(), 'var', 'salesflow.db');
    const first = await salesflow(['import', '--kind', 'reps', fixture('reps.csv')], db);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('reps 3 inserted, 0 updated, 0 unchanged') });
    const again = await salesflow(['import', '--kind', 'reps', fixture('reps.csv')], db);
    expect(again.stdout).toContain('0 inserted, 0 updated, 3 unchanged');
    const deals = await salesflow(['import', '--kind', 'deals', fixture('deals.csv')], db);
    expect(deals).toMatchObject({ code: 0, stdout: expect.stringContaining('deals 11 inserted') });
  });

  it('a deal amount past what is stored exactly names its line and the largest amount (not just "too large")', async () => {
    const dir = tempDir();
    const db = join(dir, 'salesflow.db');
    const deals = join(dir, 'deals.csv');
    writeFileSync(deals, 'id,rep,amount,currency,stage,closed_at\nD1,r1,9300000000000,IDR,won,2026-01-05\n');
    const r = await salesflow(['import', '--kind', 'deals', deals], db);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${deals}:2: amount: 9300000000000 is too large: amounts are stored exactly up to 9223372036854.775807 (int64 micros)\n`);
  });

  it('a credits re-import says how many stored shares of its deals it removed (the overlay a revenue-only file drops)', async () => {
    const dir = tempDir();
    const db = join(dir, 'salesflow.db');
    const write = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };
    expect((await salesflow(['import', '--kind', 'reps', write('reps.csv', 'id,name,email\nr1,Ada,ada@acme.example\nr2,Bob,bob@acme.example\nm1,Max,max@acme.example\n')], db)).code).toBe(0);
    expect((await salesflow(['import', '--kind', 'deals', write('deals.csv', 'id,rep,amount,currency,stage,closed_at\nD1,r1,100,USD,won,2026-01-05\n')], db)).code).toBe(0);
    const first = write('credits.csv', 'deal,rep,share,type\nD1,r1,50,revenue\nD1,r2,50,revenue\nD1,m1,10,overlay\n');
    expect((await salesflow(['import', '--kind', 'credits', first], db)).stdout).toBe(`${first}: credits 3 inserted, 0 updated, 0 unchanged\n`);
    const again = write('credits-2.csv', 'deal,rep,share\nD1,r1,100\n');
    expect((await salesflow(['import', '--kind', 'credits', again], db)).stdout)
      .toBe(`${again}: credits 0 inserted, 1 updated, 0 unchanged, 2 removed (shares of these deals the file no longer lists)\n`);
    const handle = await openDatabase(db);
    expect(await scalar(handle, sql`SELECT count(*) FROM credits`)).toBe(1);
    await handle.close();
  });

  it('a CRM export given to --kind says which --source reads it (HubSpot and Zoho headers told apart)', async () => {
    const dir = tempDir();
    const db = join(dir, 'salesflow.db');
    const hubspot = join(dir, 'hubspot-deals.csv');
    writeFileSync(hubspot, '\ufeff"Record ID","Deal Name","Deal Stage","Close Date","Deal owner","Amount"\r\n"9001","Acme","Closed Won","2026-01-15 14:30","Ada","12,500.00"\r\n');
    const zoho = join(dir, 'zoho-deals.csv');
    writeFileSync(zoho, '"Record Id","Deal Name","Amount","Currency","Stage","Closing Date","Deal Owner"\r\nz1,Z,100,USD,Closed Won,2026-01-10,Ada\r\n');
    const one = await salesflow(['import', '--kind', 'deals', hubspot], db);
    expect(one.code).toBe(1);
    expect(one.stderr.trim().split('\n').at(-1)).toBe(`hint: this is a hubspot deals export (its own column names): salesflow import --source hubspot ${hubspot} reads it (docs/crm.md)`);
    const two = await salesflow(['import', '--kind', 'deals', zoho], db);
    expect(two.stderr.trim().split('\n').at(-1)).toBe(`hint: this is a zoho deals export (its own column names): salesflow import --source zoho ${zoho} reads it (docs/crm.md)`);
    // A salesflow file with one misspelt column gets no such hint.
    const own = join(dir, 'deals.csv');
    writeFileSync(own, 'id,rep,amount,currency,stage,closed\nd1,r1,5,USD,won,2026-01-01\n');
    expect((await salesflow(['import', '--kind', 'deals', own], db)).stderr).not.toContain('hint:');
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

  it('lists the problems in line order, a rep named by name among the rest; an impossible date shows the value', async () => {
    const dir = tempDir();
    const db = join(dir, 'salesflow.db');
    writeFileSync(join(dir, 'reps.csv'), 'id,name,email\nr2,Bob Ray,bob@acme.example\n');
    expect((await salesflow(['import', '--kind', 'reps', join(dir, 'reps.csv')], db)).code).toBe(0);
    const file = join(dir, 'deals.csv');
    // The rep column's check runs once the whole file is read; it used to be listed after line 5.
    writeFileSync(file, 'id,rep,amount,currency,stage,closed_at\nD1,Bob Ray,10,USD,won,2026-01-01\nD2,r2,10,USD,won,2026-02-30\nD3,r2,"1,000",USD,won,2026-01-01\nD4,r2,ten,USD,won,2026-01-01\n');
    const result = await salesflow(['import', '--kind', 'deals', file], db);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}:2: rep: "Bob Ray" is the name of rep r2; the rep column takes rep ids (write r2)`,
      `${file}:3: closed_at: 2026-02-30 is not a calendar date (no such day in that month)`,
      `${file}:4: amount: expected a plain decimal like 1500.50, got "1,000" (write it without thousands separators: 1000)`,
      `${file}:5: amount: expected a plain decimal like 1500.50, got "ten"`,
      `${file}: 4 problems; nothing imported`,
    ]);
  });

  it('lists the first 100 of many bad rows, counts the rest, and prints nothing on stdout', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 2_000 }, (_, i) => `d${i},r1,${i % 10 === 0 ? 'abc' : '5'},USD,won`);
    const file = join(dir, 'many.csv');
    writeFileSync(file, `id,rep,amount,currency,stage\n${rows.join('\n')}\n`);
    const result = await salesflow(['import', '--kind', 'deals', file], join(dir, 'salesflow.db'));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${file}:2: amount: expected a plain decimal`));
    expect(lines[99]).toMatch(new RegExp(`^${file}:992: amount: `));
    expect(lines.slice(100)).toEqual(['... and 100 more (the first 100 are listed)', `${file}: 200 problems; nothing imported`]);
  });

  it('explains a bad kind or a missing file', async () => {
    const path = join(tempDir(), 'salesflow.db');
    expect((await salesflow(['import', '--kind', 'accounts', 'x.csv'], path)).stderr).toContain('--kind must be one of reps, deals, leads');
    expect((await salesflow(['import', '--kind', 'reps', 'nope.csv'], path)).stderr).toBe('salesflow import: cannot read nope.csv: no such file\n');
    const folder = tempDir();
    expect((await salesflow(['import', '--kind', 'reps', folder], path)).stderr).toBe(`salesflow import: cannot read ${folder}: it is a folder, not a CSV file\n`);
    expect((await salesflow(['import', '--source', 'hubspot', 'nope.csv'], path)).stderr).toBe('salesflow import: cannot read nope.csv: no such file\n');
    expect((await salesflow(['import', '--source', 'hubspt', 'nope.csv'], path)).stderr).toContain('unknown source "hubspt" (did you mean hubspot?)');
  });

  it('refuses a file that is not UTF-8 (a spreadsheet saved as Windows-1252), naming the line and saying how to fix it', async () => {
    const dir = tempDir();
    const path = join(dir, 'salesflow.db');
    const file = join(dir, 'reps.csv');
    // "René" and "Zoë" as Windows-1252 bytes: é is 0xE9, ë is 0xEB.
    writeFileSync(file, Buffer.concat([
      Buffer.from('id,name,email\nr1,Ann,ann@x.example\nr2,Ren'), Buffer.from([0xe9]), Buffer.from(',rene@x.example\n'),
    ]));
    const result = await salesflow(['import', '--kind', 'reps', file], path);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:3: column 2 ("Ren\ufffd") is not UTF-8 text`);
    expect(result.stderr).toContain('save it as UTF-8');
    const credits = join(dir, 'credits.csv');
    writeFileSync(credits, Buffer.concat([Buffer.from('deal,rep,share,type\nD1,Zo'), Buffer.from([0xeb]), Buffer.from(',100,revenue\n')]));
    const shares = await salesflow(['import', '--kind', 'credits', credits], path);
    expect(shares.code).toBe(1);
    expect(shares.stderr).toContain(`${credits}:2: column 2 ("Zo\ufffd") is not UTF-8 text`);
    const db = await openDatabase(path);
    expect(await scalar(db, sql`SELECT count(*) FROM reps`)).toBe(0);
    await db.close();
  });

  it('waits for another process holding the SQLite write lock longer than the busy timeout, then imports (was a stack trace)', async () => {
    const dir = tempDir();
    const path = join(dir, 'salesflow.db');
    const file = join(dir, 'reps.csv');
    writeFileSync(file, 'id,name,email\nr1,Ann,ann@x.example\n');
    const { released } = await holdWriteLock(path);
    const result = await salesflow(['import', '--kind', 'reps', file], path);
    await released;
    expect(result.stderr).toContain(`another process is writing ${path}; waiting for it to finish`);
    expect(result).toMatchObject({ code: 0, stdout: `${file}: reps 1 inserted, 0 updated, 0 unchanged\n` });
    const db = await openDatabase(path);
    expect(await scalar(db, sql`SELECT count(*) FROM reps`)).toBe(2);
    await db.close();
  }, 30_000);

  it('a rates import waiting for the SQLite write lock says so too (credits and rates waited without a word)', async () => {
    const dir = tempDir();
    const path = join(dir, 'salesflow.db');
    const file = join(dir, 'rates.csv');
    writeFileSync(file, 'currency,to,rate,from\nEUR,USD,1.1,2026-01-01\n');
    const { released } = await holdWriteLock(path);
    const result = await salesflow(['import', '--kind', 'rates', file], path);
    await released;
    expect(result.stderr).toContain(`another process is writing ${path}; waiting for it to finish`);
    expect(result).toMatchObject({ code: 0, stdout: `${file}: rates 1 inserted, 0 updated, 0 unchanged\n` });
  }, 30_000);
});

/**
 * Another process (a long import elsewhere) holds the write lock of the data source at `path` for
 * 6.5 s, past SQLite's 5 s busy timeout; resolves once it holds it, with a promise of its release.
 */
async function holdWriteLock(path: string): Promise<{ released: Promise<unknown> }> {
  // The data source exists (migrated) before the other writer takes its lock.
  await (await openDatabase(path)).close();
  const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const holder = spawn(process.execPath, ['-e', `
    const db = new (require(${JSON.stringify(betterSqlite)}))(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO reps (id, name, email, updated_at) VALUES ('r0', 'Other', 'o@x.example', '2026-01-01T00:00:00Z')").run();
    console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, 6500);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  return { released: exited };
}
