// CRM exports as sales-ops users actually get them, imported with `import --source` (real SQLite
// files): currencies written into the amount, owners named by name, rows the export tool pads or
// cuts. Every bad value is refused as FILE:LINE: column: message and the file imports nothing.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCrmCsv } from '../../src/connectors/csv-import.js';
import { builtInMapping } from '../../src/connectors/mapping/load.js';
import { countOf, openDatabase, sql, type Db } from '../../src/data/db.js';
import { getDeal } from '../../src/data/deals.js';
import { formatProblem, importCsv } from '../../src/data/import.js';
import { tempDir } from '../data/tmp.js';

const hubspot = builtInMapping('hubspot');

async function withReps(extra: string[] = []): Promise<Db> {
  const db = await openDatabase(join(tempDir(), 'salesflow.db'));
  const reps = ['id,name,email', 'r-ada,Ada Byron,ada@acme.example', ...extra];
  expect(await importCsv(db, 'reps', `${reps.join('\n')}\n`, 'reps.csv')).toMatchObject({ ok: true });
  return db;
}

const problemsOf = (r: Awaited<ReturnType<typeof importCrmCsv>>) => (r.ok ? [] : r.problems.map(formatProblem));
const dealCount = (db: Db) => countOf(db, sql`SELECT count(*) FROM deals`);
const HEADER = '"Record ID","Deal Name","Deal Stage","Close Date","Deal owner","Amount"';

describe('import --source: a Zoho CRM export from India', () => {
  it('amounts grouped in lakhs and closing dates with month names are imported (were "expected an amount like 1,500.50" / "expected a date like 2026-03-31")', async () => {
    const db = await withReps();
    try {
      const csv = ['Record Id,Deal Name,Amount,Currency,Stage,Closing Date,Deal Owner', '4150868000001,Tata rollout,"1,50,000.00",INR,Closed Won,"Mar 31, 2026",Ada Byron', '4150868000002,Infosys,"12,34,567.50",INR,Closed Won,01-Apr-2026,Ada Byron'];
      expect(await importCrmCsv(db, builtInMapping('zoho'), `${csv.join('\n')}\n`, 'deals.csv')).toMatchObject({ ok: true, inserted: 2 });
      expect(await getDeal(db, '4150868000001')).toMatchObject({ amount: '150000.00', currency: 'INR', closed_at: '2026-03-31', stage: 'won' });
      // 1 April is the next quarter: the month name is read, not guessed.
      expect(await getDeal(db, '4150868000002')).toMatchObject({ amount: '1234567.50', closed_at: '2026-04-01' });
    } finally {
      await db.close();
    }
  });
});

describe('import --source: the currency written in the amount', () => {
  it('€ and £ amounts are EUR and GBP, not the mapping\'s default USD; a code in the amount beats the stored currency', async () => {
    const db = await withReps();
    try {
      const csv = [HEADER, '"1","Euro","Closed Won","2026-03-15","Ada Byron","€1,500.00"', '"2","Pound","Closed Won","2026-03-15","Ada Byron","£2,000"', '"3","Dollar","Closed Won","2026-03-15","Ada Byron","$300"'];
      expect(await importCrmCsv(db, hubspot, `${csv.join('\r\n')}\r\n`, 'deals.csv')).toMatchObject({ ok: true, inserted: 3 });
      expect(await getDeal(db, '1')).toMatchObject({ amount: '1500.00', currency: 'EUR' });
      expect(await getDeal(db, '2')).toMatchObject({ amount: '2000', currency: 'GBP' });
      expect(await getDeal(db, '3')).toMatchObject({ amount: '300', currency: 'USD' });
      // Deal 1 was repriced in GBP: the export's "GBP 1,200" is the deal's currency now, not the stored EUR.
      const again = [HEADER, '"1","Euro","Closed Won","2026-03-15","Ada Byron","GBP 1,200"'];
      expect(await importCrmCsv(db, hubspot, `${again.join('\n')}\n`, 'again.csv')).toMatchObject({ ok: true, updated: 1 });
      expect(await getDeal(db, '1')).toMatchObject({ amount: '1200', currency: 'GBP' });
    } finally {
      await db.close();
    }
  });

  it('an amount whose currency contradicts the Currency column is refused, and nothing is imported', async () => {
    const db = await withReps();
    try {
      const csv = [`${HEADER},"Currency"`, '"1","Fine","Closed Won","2026-03-15","Ada Byron","EUR 3,000","EUR"',
        '"2","Clash","Closed Won","2026-03-15","Ada Byron","EUR 3,000","USD"', '"3","Clash","Closed Won","2026-03-15","Ada Byron","€3,000","USD"',
        '"4","Both","Closed Won","2026-03-15","Ada Byron","USD €3,000","USD"'];
      expect(problemsOf(await importCrmCsv(db, hubspot, `${csv.join('\n')}\n`, 'deals.csv'))).toEqual([
        'deals.csv:3: Amount: the amount is in EUR but Currency says USD',
        'deals.csv:4: Amount: the amount is in EUR but Currency says USD',
        'deals.csv:5: Amount: "USD €3,000" names two currencies, USD and EUR',
      ]);
      expect(await dealCount(db)).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('import --source: owners named by name', () => {
  it('an owner name two reps share is refused naming them, not called unknown', async () => {
    const db = await withReps(['r-sam1,Sam Lee,sam1@acme.example', 'r-sam2,Sam Lee,sam2@acme.example']);
    try {
      const csv = [HEADER, '"1","Fine","Closed Won","2026-03-15","Ada Byron","100"', '"2","Which Sam","Closed Won","2026-03-15","Sam Lee","100"'];
      expect(problemsOf(await importCrmCsv(db, hubspot, `${csv.join('\n')}\n`, 'deals.csv'))).toEqual([
        'deals.csv:3: Deal owner: owner "Sam Lee" is the name of 2 reps (r-sam1, r-sam2): give each its CRM owner id (salesflow import --source hubspot --kind reps FILE.csv) or use their emails in the export',
      ]);
      expect(await dealCount(db)).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('import --source: rows that do not fit the header', () => {
  const salesforce = builtInMapping('salesforce');
  const OPPS = '"Opportunity ID","Opportunity Name","Amount","Stage","Close Date","Opportunity Owner"';

  it('a row with more or fewer fields than the header is refused with both counts, not read shifted', async () => {
    const db = await withReps();
    try {
      const csv = [OPPS, '"0061","Fine","100","Closed Won","3/15/2026","Ada Byron"',
        '0062,Acme, Inc,100,Closed Won,3/15/2026,Ada Byron', '"0063","Cut","100"'];
      expect(problemsOf(await importCrmCsv(db, salesforce, `${csv.join('\n')}\n`, 'opps.csv'))).toEqual([
        'opps.csv:3: row has 7 fields, the header has 6 (a comma in a value that is not quoted?)',
        'opps.csv:4: row has 3 fields, the header has 6',
      ]);
      expect(await dealCount(db)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('the footer a Salesforce report export ends with is named as such, once', async () => {
    const db = await withReps();
    try {
      const csv = [OPPS, '"0061","Fine","100","Closed Won","3/15/2026","Ada Byron"', '', '""', '"Opportunity Report"',
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."', '"Confidential Information - Do Not Distribute"', '"Generated By:  Ada Byron  4/2/2026 10:00 AM"', '"Acme Inc"'];
      expect(problemsOf(await importCrmCsv(db, salesforce, `${csv.join('\r\n')}\r\n`, 'opps.csv'))).toEqual([
        'opps.csv:5: the lines from here on are not rows ("Opportunity Report", ...): a report export\'s footer? Delete them, or export the report as "Details Only" without it',
      ]);
      expect(await dealCount(db)).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('import --source: dates in another format than the mapping reads', () => {
  it('a day/month/year date under a YYYY-MM-DD mapping says which setting reads it, and where', async () => {
    const db = await withReps();
    try {
      const csv = [HEADER, '"1","A","Closed Won","15/03/2026","Ada Byron","100"', '"2","B","Closed Won","3.15.2026 5:00 PM","Ada Byron","100"'];
      expect(problemsOf(await importCrmCsv(db, hubspot, `${csv.join('\n')}\n`, 'deals.csv'))).toEqual([
        'deals.csv:2: Close Date: expected a date like 2026-03-31 or an ISO timestamp, got "15/03/2026" (for dates written like this, set date_format: DD/MM/YYYY or MM/DD/YYYY in rules/crm/hubspot.yaml, with preset: hubspot)',
        'deals.csv:3: Close Date: expected a date like 2026-03-31 or an ISO timestamp, got "3.15.2026 5:00 PM" (for dates written like this, set date_format: DD/MM/YYYY or MM/DD/YYYY in rules/crm/hubspot.yaml, with preset: hubspot)',
      ]);
      expect(await dealCount(db)).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('import: a workbook or a binary file given as the CSV', () => {
  it('an Excel workbook (.xlsx, HubSpot\'s default export format) is named as one, not shown as bytes', async () => {
    const { importCsvFile } = await import('../../src/data/import.js');
    const { importCrmCsvFile } = await import('../../src/connectors/csv-import.js');
    const { writeFileSync } = await import('node:fs');
    const db = await withReps();
    try {
      // The start of a real .xlsx: a zip whose first entry is [Content_Types].xml, then compressed bytes.
      const path = join(tempDir(), 'deals.xlsx');
      writeFileSync(path, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0, 0x08, 0]), Buffer.from('[Content_Types].xml'), Buffer.from([0xad, 0x92, 0xcb, 0x6e, 0xc2, 0x30, 0x10, 0x45, 0xf7, 0x95, 0xfa, 0x0f, 0x91, 0xb7, 0x28, 0x31])]));
      const expected = ['deals.xlsx:1: this is an Excel workbook (.xlsx), not a CSV file: export the data as CSV (HubSpot: Export, file format CSV; Excel: Save As "CSV UTF-8")'];
      expect(problemsOf(await importCrmCsvFile(db, hubspot, path, 'deals.xlsx'))).toEqual(expected);
      const plain = await importCsvFile(db, 'deals', path, 'deals.xlsx');
      expect(plain.ok ? [] : plain.problems.map(formatProblem)).toEqual(expected);
      // Other bytes that are not UTF-8 show a short sample of the value, not the whole line.
      const binary = join(tempDir(), 'blob.csv');
      writeFileSync(binary, Buffer.concat([Buffer.from('id,name,email\nr1,'), Buffer.alloc(5000, 0xff), Buffer.from(',x@y.example\n')]));
      const blob = await importCsvFile(db, 'reps', binary, 'blob.csv');
      expect(blob.ok ? [] : blob.problems.map(formatProblem)).toEqual([
        `blob.csv:2: column 2 ("${'\ufffd'.repeat(40)}...") is not UTF-8 text: the file seems to be saved in another encoding (Windows-1252, Latin-1); save it as UTF-8 ("CSV UTF-8" in Excel)`,
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('import --source: values the schema refuses', () => {
  it('name the value given, under the CRM\'s own column', async () => {
    const db = await withReps();
    try {
      const contacts = ['"Record ID","First Name","Last Name","Email","Contact owner"', '"501","Ann","Lee","ann at globex","Ada Byron"'];
      expect(problemsOf(await importCrmCsv(db, hubspot, `${contacts.join('\n')}\n`, 'contacts.csv'))).toEqual([
        'contacts.csv:2: Email: expected an email address, got "ann at globex"',
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('import --source: a users export with start dates', () => {
  it('a start date after the stored end date of the rep it matches is refused', async () => {
    const { resolveMapping } = await import('../../src/connectors/mapping/load.js');
    const acme = resolveMapping('salesforce', 'rules/crm/salesforce.yaml', { preset: 'salesforce', rep: { csv: { start_date: 'Start Date' } } });
    const db = await openDatabase(join(tempDir(), 'salesflow.db'));
    try {
      expect(await importCsv(db, 'reps', 'id,name,email,start_date,end_date\nr-ada,Ada Byron,ada@acme.example,2024-01-01,2026-02-15\n', 'reps.csv')).toMatchObject({ ok: true });
      const users = ['"User ID","First Name","Last Name","Email","Start Date"', '"005A","Ada","Byron","ada@acme.example","2026-03-01"'];
      expect(problemsOf(await importCrmCsv(db, acme, `${users.join('\n')}\n`, 'users.csv'))).toEqual([
        'users.csv:2: Start Date: 2026-03-01 is after end_date 2026-02-15 (stored for rep r-ada)',
      ]);
    } finally {
      await db.close();
    }
  });
});
