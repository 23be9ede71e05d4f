import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, scalar, sql } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { formatProblem, importCsv } from '../../src/data/import.js';
import { getLead } from '../../src/data/leads.js';
import { getRep } from '../../src/data/reps.js';
import { fixture, tempDir } from './tmp.js';

const read = (name: string) => readFileSync(fixture(name), 'utf8');

describe('CSV import', () => {
  it('imports reps, deals and leads from real CSV files', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    expect(await importCsv(db, 'reps', read('reps.csv'), 'reps.csv')).toEqual({ ok: true, inserted: 3, updated: 0, unchanged: 0, warnings: [] });
    expect(await importCsv(db, 'deals', read('deals.csv'), 'deals.csv')).toMatchObject({ ok: true, inserted: 11, updated: 0 });
    expect(await importCsv(db, 'leads', read('leads.csv'), 'leads.csv')).toMatchObject({ ok: true, inserted: 2 });
    expect(await getRep(db, 'r2')).toMatchObject({ name: 'Hopper, Grace', start_date: null, manager: 'vp@acme.example' });
    expect(await getDeal(db, 'D2')).toMatchObject({ name: 'Globex, Analytics', amount: '40000.00', currency: 'USD', contact: null });
    expect(await getDeal(db, 'D9')).toMatchObject({ stage: 'open', closed_at: null });
    expect(await scalar(db, sql`SELECT amount_micros FROM deals WHERE id = 'D2'`)).toBe(40000000000);
    expect(await getLead(db, 'L2')).toMatchObject({ name: "O'Neil, Sam", score: null, timezone: null });
    await db.close();
  });

  it('reports every bad row with its physical line and writes nothing', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    const result = await importCsv(db, 'deals', read('bad-deals.csv'), 'bad-deals.csv');
    expect(result.ok).toBe(false);
    const lines = result.ok ? [] : result.problems.map(formatProblem);
    // X2's quoted name spans lines 3-4, so X3 is on line 5.
    expect(lines).toEqual([
      expect.stringMatching(/^bad-deals\.csv:3: amount: expected a plain decimal/),
      expect.stringMatching(/^bad-deals\.csv:5: stage: /),
      'bad-deals.csv:6: rep: is required',
      expect.stringMatching(/^bad-deals\.csv:6: currency: /),
      expect.stringMatching(/^bad-deals\.csv:6: contact: /),
      'bad-deals.csv:7: amount: 1.1234567 has more than 6 decimal places',
    ]);
    expect(await scalar(db, sql`SELECT count(*) FROM deals`)).toBe(0);
    await db.close();
  });

  it('rejects unknown or missing columns clearly', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    const unknown = await importCsv(db, 'reps', 'id,name,email,quota\nr1,A,a@x.example,5\n', 'reps.csv');
    expect(unknown.ok ? [] : unknown.problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^reps\.csv:1: unknown column "quota" for reps; the columns are id, name, email/),
    ]);
    const missing = await importCsv(db, 'deals', 'id,rep,amount\nD1,r1,5\n', 'deals.csv');
    expect(missing.ok ? [] : missing.problems.map(formatProblem)).toEqual(['deals.csv:1: missing required columns currency, stage']);
    const ragged = await importCsv(db, 'reps', 'id,name,email\nr1,A\n', 'reps.csv');
    expect(ragged.ok ? [] : ragged.problems.map(formatProblem)).toEqual(['reps.csv:2: row has 2 fields, the header has 3']);
    // What spreadsheets write instead of salesflow's words and numbers: the message shows the value
    // and the words expected, and how to write a grouped amount.
    const words = await importCsv(db, 'deals', 'id,rep,amount,currency,stage,type\nD1,r1,"1,250.50",USD,won,new\nD2,r1,5,usd,Won,New\n', 'deals.csv');
    expect(words.ok ? [] : words.problems.map(formatProblem)).toEqual([
      'deals.csv:2: amount: expected a plain decimal like 1500.50, got "1,250.50" (write it without thousands separators: 1250.50)',
      'deals.csv:3: currency: expected a 3-letter ISO-4217 code like USD, got "usd"',
      'deals.csv:3: stage: expected open, won or lost, got "Won"; did you mean "won"? (values are lower case)',
      'deals.csv:3: type: expected new, renewal or expansion, got "New"; did you mean "new"? (values are lower case)',
    ]);
    // A zone name in other letter case is taken and stored as the tz database spells it (Temporal
    // looks zones up case-sensitively), also a link ICU does not list (asia/kolkata, us/pacific);
    // a mixed-case link is kept as written.
    const zones = await importCsv(db, 'reps', 'id,name,email,timezone\nz1,A,z1@x.example,europe/berlin\nz2,B,z2@x.example,US/Pacific\nz3,C,z3@x.example,utc\nz4,D,z4@x.example,asia/kolkata\nz5,E,z5@x.example,us/pacific\nz6,F,z6@x.example,ASIA/HO_CHI_MINH\n', 'zones.csv');
    expect(zones).toMatchObject({ ok: true, inserted: 6 });
    expect((await Promise.all(['z1', 'z2', 'z3', 'z4', 'z5', 'z6'].map((id) => getRep(db, id)))).map((r) => r?.timezone))
      .toEqual(['Europe/Berlin', 'US/Pacific', 'UTC', 'Asia/Kolkata', 'US/Pacific', 'Asia/Ho_Chi_Minh']);
    // A header written as words: the column meant is named.
    const spoken = await importCsv(db, 'reps', 'id,name,email,Start Date\nr1,A,a@x.example,2026-01-05\n', 'reps.csv');
    expect(spoken.ok ? [] : spoken.problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^reps\.csv:1: unknown column "start date" for reps \(did you mean start_date\?\); the columns are id, name/),
    ]);
    // A file Excel saved with semicolons (or tabs): one message that says so, not "unknown column".
    for (const [kind, text] of [['reps', 'id;name;email\nr1;A;a@x.example\n'], ['credits', 'deal;rep;share\n'], ['leads', 'id\temail\n']] as const) {
      const semi = await importCsv(db, kind, text, 'excel.csv');
      expect(semi.ok ? [] : semi.problems.map(formatProblem), kind).toEqual([
        expect.stringMatching(new RegExp(`^excel\\.csv:1: the header is one column ".+": the file is separated by (semicolons|tabs), and salesflow reads comma-separated CSV`)),
      ]);
    }
    // A date in another format gets one message, not also "not a calendar date".
    const dates = await importCsv(db, 'reps', 'id,name,email,start_date\nr1,A,a@x.example,01/02/2026\nr2,B,b@x.example,2026-02-30\n', 'reps.csv');
    expect(dates.ok ? [] : dates.problems.map(formatProblem)).toEqual([
      'reps.csv:2: start_date: expected a date like 2026-03-31, got "01/02/2026" (write dates as YYYY-MM-DD: whether 01/02/2026 is day or month first cannot be told)',
      'reps.csv:3: start_date: 2026-02-30 is not a calendar date (no such day in that month)',
    ]);
    const dup = await importCsv(db, 'reps', 'id,name,email\nr1,A,a@x.example\nr1,B,b@x.example\n', 'reps.csv');
    expect(dup.ok ? [] : dup.problems.map(formatProblem)).toEqual(['reps.csv:3: id: duplicate id "r1" (first on line 2)']);
    await db.close();
  });

  it('a time zone written as an offset (GMT+1, UTC-05:00, +05:30) is told what to write instead', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    const leads = await importCsv(db, 'leads', 'id,email,timezone\nl1,a@x.example,GMT+1\nl2,b@x.example,UTC-05:00\nl3,c@x.example,+05:30\nl4,d@x.example,Etc/GMT-1\n', 'leads.csv');
    const advice = "an offset is not a time zone; write the place's zone, like Europe/Berlin or America/New_York";
    expect(leads.ok ? [] : leads.problems.map(formatProblem)).toEqual([
      `leads.csv:2: timezone: expected an IANA time zone like Europe/Berlin, got "GMT+1": ${advice} (or Etc/GMT-1 for a fixed UTC+1, daylight saving never applied)`,
      `leads.csv:3: timezone: expected an IANA time zone like Europe/Berlin, got "UTC-05:00": ${advice} (or Etc/GMT+5 for a fixed UTC-5, daylight saving never applied)`,
      `leads.csv:4: timezone: expected an IANA time zone like Europe/Berlin, got "+05:30": ${advice}`,
    ]);
    await db.close();
  });

  it('an amount as spreadsheets and CRM exports format it is told as the plain decimal to write', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    const rows = ['"$1,234.56",USD', '"1 234,56",EUR', '"1.234,56",EUR', '1e3,USD', '-$5,USD', 'ten,USD'];
    const deals = await importCsv(db, 'deals', `id,rep,amount,currency,stage\n${rows.map((r, i) => `d${i},r1,${r},won`).join('\n')}\n`, 'deals.csv');
    const got = 'amount: expected a plain decimal like 1500.50, got';
    expect(deals.ok ? [] : deals.problems.map(formatProblem)).toEqual([
      `deals.csv:2: ${got} "$1,234.56" (write it without the currency symbol: 1234.56; the currency goes in its own column)`,
      `deals.csv:3: ${got} "1 234,56" (write it with a decimal point and no separators: 1234.56)`,
      `deals.csv:4: ${got} "1.234,56" (write it with a decimal point and no separators: 1234.56)`,
      `deals.csv:5: ${got} "1e3" (scientific notation: write the number in full, formatting the column as a number before saving)`,
      `deals.csv:6: ${got} "-$5" (write it without the currency symbol: -5; the currency goes in its own column)`,
      `deals.csv:7: ${got} "ten"`,
    ]);
    await db.close();
  });

  it('a date as Excel, a US/European spreadsheet or a timestamp writes it is told how to write it', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    const deals = await importCsv(db, 'deals', 'id,rep,amount,currency,stage,closed_at\nd1,r1,5,USD,won,46027\nd2,r1,5,USD,won,01/05/2026\nd3,r1,5,USD,won,2026-01-05T10:00:00Z\nd4,r1,5,USD,won,soon\n', 'deals.csv');
    expect(deals.ok ? [] : deals.problems.map(formatProblem)).toEqual([
      'deals.csv:2: closed_at: expected a date like 2026-03-31, got "46027" (Excel\'s serial number for 2026-01-05? format the column as a date, yyyy-mm-dd, before saving as CSV)',
      'deals.csv:3: closed_at: expected a date like 2026-03-31, got "01/05/2026" (write dates as YYYY-MM-DD: whether 01/05/2026 is day or month first cannot be told)',
      'deals.csv:4: closed_at: expected a date like 2026-03-31, got "2026-01-05T10:00:00Z" (a date and time: write the date alone, like 2026-01-05)',
      'deals.csv:5: closed_at: expected a date like 2026-03-31, got "soon"',
    ]);
    await db.close();
  });

  it('says which value was wrong where the schema only says what it expected', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    const reps = await importCsv(db, 'reps', 'id,name,email,manager,timezone\nr1,Ada,ada@x.example,Grace Hopper,Mars/Base\nr2,Bob,bob at x,,\n', 'reps.csv');
    expect(reps.ok ? [] : reps.problems.map(formatProblem)).toEqual([
      'reps.csv:2: manager: expected an email address, got "Grace Hopper"',
      'reps.csv:2: timezone: expected an IANA time zone like Europe/Berlin, got "Mars/Base"',
      'reps.csv:3: email: expected an email address, got "bob at x"',
    ]);
    await db.close();
  });

  it('takes the empty columns a spreadsheet leaves at the end of every line, and refuses a value under a column without a name', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    // Excel writes "id,name,email,," when a cell beyond the data was ever formatted.
    const padded = await importCsv(db, 'reps', 'id,name,email,,\r\nr1,Ada,ada@x.example,,\r\nr2,Bob,bob@x.example,,\r\n', 'reps.csv');
    expect(padded).toMatchObject({ ok: true, inserted: 2 });
    expect(await importCsv(db, 'rates', 'currency,to,rate,from,\nEUR,USD,1.08,2026-01-01,\n', 'rates.csv')).toMatchObject({ ok: true, inserted: 1 });
    const stray = await importCsv(db, 'deals', 'id,rep,amount,currency,stage,\nD1,r1,5,USD,won,\nD2,r1,5,USD,won,note\n', 'deals.csv');
    expect(stray.ok ? [] : stray.problems.map(formatProblem)).toEqual(['deals.csv:3: column 6 has no name in the header but holds "note"']);
    const credits = await importCsv(db, 'credits', 'deal,rep,share,\nD1,r1,100,x\n', 'credits.csv');
    expect(credits.ok ? [] : credits.problems.map(formatProblem)).toEqual(['credits.csv:2: column 4 has no name in the header but holds "x"']);
    expect(await getDeal(db, 'D1')).toBeNull();
    await db.close();
  });

  it('re-import updates rows by id and says how many were updated', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    await importCsv(db, 'reps', read('reps.csv'), 'reps.csv');
    const again = await importCsv(db, 'reps', 'id,name,email,role\nr1,Ada King,ada@acme.example,Manager\nr4,New Rep,new@acme.example,AE\n', 'more.csv');
    expect(again).toEqual({ ok: true, inserted: 1, updated: 1, unchanged: 0, warnings: [] });
    // The file has no team column: r1 keeps the team it had.
    expect(await getRep(db, 'r1')).toMatchObject({ name: 'Ada King', role: 'Manager', team: 'EMEA AEs' });
    expect(await scalar(db, sql`SELECT count(*) FROM reps`)).toBe(4);
    await db.close();
  });

  it('warns about deals whose rep is not imported yet', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    const result = await importCsv(db, 'deals', read('deals.csv'), 'deals.csv');
    expect(result.ok && result.warnings[0]).toContain('r1, r2, r3');
    // A lead's owner too: its "to lead.owner" emails have nobody to go to until the rep exists.
    const leads = await importCsv(db, 'leads', read('leads.csv'), 'leads.csv');
    expect(leads.ok && leads.warnings).toEqual(['leads are owned by 2 reps not in the data source yet: r1, r2 (import reps too)']);
    await importCsv(db, 'reps', read('reps.csv'), 'reps.csv');
    expect(await importCsv(db, 'leads', read('leads.csv'), 'leads.csv')).toMatchObject({ ok: true, warnings: [] });
    await db.close();
  });

  it('warns about won deals without closed_at: they count in no period, so no commission pays them', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    await importCsv(db, 'reps', 'id,name,email\nr1,Ada,ada@x.example\n', 'reps.csv');
    const result = await importCsv(db, 'deals', 'id,rep,amount,currency,stage,closed_at\nD1,r1,5,USD,won,2026-03-01\nD2,r1,5,USD,won,\nD3,r1,5,USD,open,\nD4,r1,5,USD,won,\n', 'deals.csv');
    expect(result).toMatchObject({ ok: true, inserted: 4, warnings: ['2 won deals have no closed_at, so they count in no period (no revenue, no commission): D2, D4'] });
    // A file without the column leaves the stored dates as they are: nothing to warn about.
    expect(await importCsv(db, 'deals', 'id,rep,amount,currency,stage\nD1,r1,6,USD,won\n', 'deals.csv')).toMatchObject({ ok: true, warnings: [] });
    await db.close();
  });

  it('refuses a rep named by email or name where its id belongs (the revenue would go to no rep)', async () => {
    const db = await openDatabase(join(tempDir(), 'crm.db'));
    expect(await importCsv(db, 'reps', 'id,name,email\nr-ada,Ada Byron,ada@acme.example\nr-bob,Bob Stone,bob@acme.example\n', 'reps.csv')).toMatchObject({ ok: true });
    const deals = await importCsv(db, 'deals', 'id,rep,amount,currency,stage\nD1,r-ada,5,USD,won\nD2,Ada@acme.example,5,USD,won\nD3,Bob Stone,5,USD,won\nD4,ada@acme.example,5,USD,won\nD5,r-new,5,USD,won\n', 'deals.csv');
    expect(deals.ok ? [] : deals.problems.map(formatProblem)).toEqual([
      'deals.csv:3: rep: "Ada@acme.example" is the email of rep r-ada; the rep column takes rep ids (write r-ada)',
      'deals.csv:4: rep: "Bob Stone" is the name of rep r-bob; the rep column takes rep ids (write r-bob)',
      'deals.csv:5: rep: "ada@acme.example" is the email of rep r-ada; the rep column takes rep ids (write r-ada)',
    ]);
    expect(await getDeal(db, 'D1')).toBeNull();
    const leads = await importCsv(db, 'leads', 'id,email,owner\nL1,l1@x.example,bob@acme.example\n', 'leads.csv');
    expect(leads.ok ? [] : leads.problems.map(formatProblem)).toEqual([
      'leads.csv:2: owner: "bob@acme.example" is the email of rep r-bob; the owner column takes rep ids (write r-bob)',
    ]);
    // A rep not imported yet is still only a warning.
    expect(await importCsv(db, 'deals', 'id,rep,amount,currency,stage,closed_at\nD1,r-ada,5,USD,won,2026-01-02\nD5,r-new,5,USD,won,2026-01-02\n', 'deals.csv')).toMatchObject({
      ok: true, inserted: 2, warnings: ['deals name 1 rep not in the data source yet: r-new (import reps too)'],
    });
    await db.close();
  });
});
