// A won deal without closed_at counts in no period, so every import that leaves one says so
// (README: "... and so are won deals without closed_at"). A deals file without the closed_at
// column, and CRM exports (import --source), used to store such deals without a word; simulate
// then paid nothing on them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { forEachDialect } from '../support/dialects.js';
import { salesflow } from './cli.js';
import { tempDir } from './tmp.js';

function write(name: string, content: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}

const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning: ') && l.includes('closed_at'));

forEachDialect('won deals left without closed_at by an import', (target) => {
  it('a deals file without the closed_at column warns about the won deals that have no stored date', async () => {
    const url = await target.fresh();
    const reps = write('reps.csv', 'id,name,email\nr1,Ada,ada@acme.example\n');
    expect((await salesflow(['import', '--kind', 'reps', reps], url)).code).toBe(0);
    const first = write('first.csv', 'id,rep,amount,currency,stage,closed_at\ndated,r1,100,USD,open,2026-01-10\nundated,r1,100,USD,open,\n');
    const firstRun = await salesflow(['import', '--kind', 'deals', first], url);
    expect(firstRun.code).toBe(0);
    expect(warningLines(firstRun.stderr)).toEqual([]);

    // Both stored deals move to won, and a new won deal arrives: only the dated one counts in a period.
    const moves = write('moves.csv', 'id,rep,amount,currency,stage\ndated,r1,100,USD,won\nundated,r1,100,USD,won\nfresh,r1,100,USD,won\nopen,r1,5,USD,open\n');
    const run = await salesflow(['import', '--kind', 'deals', moves], url);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${moves}: deals 2 inserted, 2 updated, 0 unchanged\n`);
    expect(warningLines(run.stderr)).toEqual([
      'warning: 2 won deals have no closed_at, so they count in no period (no revenue, no commission): undated, fresh',
    ]);
  });

  it('a CRM export whose won deal has an empty close date, or no close date column, warns too', async () => {
    const url = await target.fresh();
    const reps = write('reps.csv', 'id,name,email\nr1,Ada Lovelace,ada@acme.example\n');
    expect((await salesflow(['import', '--kind', 'reps', reps], url)).code).toBe(0);
    const empty = write('hubspot.csv', '"Record ID","Deal Name","Deal Stage","Close Date","Deal owner","Amount"\r\n"9101","W","Closed Won","","Ada Lovelace","100"\r\n"9102","D","Closed Won","2026-01-20","Ada Lovelace","100"\r\n');
    const run = await salesflow(['import', '--source', 'hubspot', empty], url);
    expect(run.code).toBe(0);
    expect(warningLines(run.stderr)).toEqual(['warning: 1 won deal has no closed_at, so it counts in no period (no revenue, no commission): 9101']);

    // Without the column the stored date stays: 9102 keeps 2026-01-20, 9103 is new and has none.
    const noColumn = write('hubspot-view.csv', '"Record ID","Deal Name","Deal Stage","Deal owner","Amount"\r\n"9102","D","Closed Won","Ada Lovelace","150"\r\n"9103","N","Closed Won","Ada Lovelace","100"\r\n');
    const again = await salesflow(['import', '--source', 'hubspot', noColumn], url);
    expect(again.code).toBe(0);
    expect(warningLines(again.stderr)).toEqual(['warning: 1 won deal has no closed_at, so it counts in no period (no revenue, no commission): 9103']);
  });
});
