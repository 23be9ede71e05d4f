// The built CLI with DATABASE_URL=postgres://…: import and simulate against a real PostgreSQL give
// the same statements as against the embedded SQLite file, a bad CSV imports nothing there either,
// and payouts export reads the ledger from it. The cluster is a throwaway one (tests/support).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOf, openDatabase, sql } from '../../src/data/db.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { salesflow, templates, workspace } from './cli.js';
import { specIncentive, specMetrics } from './spec-examples.js';

const repsCsv = 'id,name,email,team,role,region,manager,timezone,start_date\nr1,"Rep, One",a@acme.example,EMEA,AE,EMEA,m@acme.example,Europe/Berlin,2024-01-01\n';
const dealsCsv = [
  'id,rep,name,amount,currency,stage,product,type,source,closed_at,contact',
  'd1,r1,big,100000,USD,won,Platform,new,web,2026-01-15,c@x.example',
  'd2,r1,two,50000.00,USD,won,Analytics,new,web,2026-02-15,c@x.example',
  'd3,r1,three,10000,USD,won,Analytics,new,web,2026-03-31,c@x.example',
  'd4,r1,eur,99999,EUR,won,Analytics,new,web,2026-03-01,c@x.example',
  'd5,r1,next,5000,USD,won,Analytics,new,web,2026-04-01,c@x.example',
  'd6,r1,open,7000,USD,open,Analytics,new,web,,c@x.example',
].join('\n') + '\n';

const files = {
  'reps.csv': repsCsv, 'deals.csv': dealsCsv, 'bad.csv': 'id,rep,amount,currency,stage\nz1,r1,5,USD,won\nz2,r1,1.1234567,USD,won\n',
  'rules/incentive.rules': specIncentive, 'rules/metrics.rules': specMetrics, ...templates(['incentive-approval']),
};

const skipped = postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : '';

describe.skipIf(postgresUnavailable !== null)(`salesflow with DATABASE_URL=postgres://…${skipped}`, () => {
  let pg: TestPostgres;
  beforeAll(async () => { pg = await startPostgres(); });
  afterAll(() => { pg?.stop(); });

  it('import, simulate and payouts export work on PostgreSQL exactly as on SQLite', async () => {
    const url = await pg.createDatabase('cli');
    const dir = workspace(files);
    const onPg = (args: string[]) => salesflow(dir, args, { DATABASE_URL: url });
    const onSqlite = (args: string[]) => salesflow(dir, args);

    for (const run of [onPg, onSqlite]) {
      expect(run(['import', '--kind', 'reps', 'reps.csv'])).toMatchObject({ code: 0, stdout: expect.stringContaining('reps 1 inserted') });
      expect(run(['import', '--kind', 'deals', 'deals.csv'])).toMatchObject({ code: 0, stdout: expect.stringContaining('deals 6 inserted') });
      const bad = run(['import', '--kind', 'deals', 'bad.csv']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('bad.csv:3: amount: 1.1234567 has more than 6 decimal places');
    }
    // The bad file's good row (z1) was not written to PostgreSQL either.
    const db = await openDatabase(url);
    expect(await countOf(db, sql`SELECT count(*) FROM deals`)).toBe(6);
    await db.close();

    const pgSim = onPg(['simulate', '--format', 'json', '--period', '2026-Q1']);
    const sqliteSim = onSqlite(['simulate', '--format', 'json', '--period', '2026-Q1']);
    expect(pgSim.code, pgSim.stderr).toBe(0);
    const statements = JSON.parse(pgSim.stdout) as { rep: string; total: string; lines: { kind: string; amount: string }[] }[];
    expect(statements.map((s) => [s.rep, s.total])).toEqual([['r1', '16000.00']]);
    expect(statements[0].lines.map((l) => [l.kind, l.amount])).toEqual([['commission', '8000.00'], ['commission', '6000.00'], ['commission', '1500.00'], ['spiff', '500.00']]);
    expect(pgSim.stdout).toBe(sqliteSim.stdout);
    expect(pgSim.stderr).toMatch(/d4/);

    const exported = onPg(['payouts', 'export', '--period', '2026-Q1']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.split('\n')[0]).toContain('rule,rep,period,currency,amount,approved_by,approved_at');
    expect(exported.stderr).toContain('0 approved payouts for 2026-Q1');
  });

  it('a PostgreSQL that cannot be reached is a one-line error, not a stack trace', async () => {
    const dir = workspace(files);
    const r = salesflow(dir, ['import', '--kind', 'reps', 'reps.csv'], { DATABASE_URL: `postgres://nobody:secret@127.0.0.1:${pg.port + 1}/none` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/salesflow import: cannot use PostgreSQL data source postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/none/);
    expect(r.stderr).not.toContain('secret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
