// `import --kind credits` and `--kind rates` on both data sources (a real SQLite file, a real
// PostgreSQL database): every bad row named as FILE:LINE: field, nothing written when any row is
// bad, a deal's shares replaced on re-import, the rate effective on a date found for the pair,
// `rep.end_date`, and the credited-deal facts read from them.
import { describe, expect, it } from 'vitest';
import { creditsOfDeals } from '../../src/data/credits.js';
import { openDatabase, type Db } from '../../src/data/db.js';
import { formatProblem, importCsv, type ImportKind } from '../../src/data/import.js';
import { RateTable } from '../../src/data/rates.js';
import { getRep } from '../../src/data/reps.js';
import { gatherFacts } from '../../src/data/facts.js';
import { listReps } from '../../src/data/reps.js';
import { statementsForPeriod } from '../../src/data/period-statements.js';
import { bin, field, metric, num, specRule, str, usd } from '../payouts/spec-rule.js';
import { forEachDialect, type DialectTarget } from '../support/dialects.js';

const REPS = `id,name,email,manager,start_date,end_date
r1,Ada,ada@acme.example,,2024-01-01,
r2,Grace,grace@acme.example,,2024-01-01,2026-02-15
r3,Alan,alan@acme.example,,2024-01-01,
`;
const DEALS = `id,rep,amount,currency,stage,closed_at
D1,r1,100000,USD,won,2026-02-01
D2,r2,50000,EUR,won,2026-02-10
`;

async function crm(target: DialectTarget): Promise<Db> {
  const db = await openDatabase(await target.fresh());
  for (const [kind, text] of [['reps', REPS], ['deals', DEALS]] as [ImportKind, string][]) {
    const r = await importCsv(db, kind, text, `${kind}.csv`);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  }
  return db;
}

const problems = async (db: Db, kind: ImportKind, text: string) => {
  const r = await importCsv(db, kind, text, `${kind}.csv`);
  return r.ok ? [] : r.problems.map(formatProblem);
};
const creditRows = async (db: Db) => (await db.kysely.selectFrom('credits').select(['deal', 'rep', 'share', 'type'])
  .orderBy('deal').orderBy('type').orderBy('rep').execute()).map((r) => [r.deal, r.rep, r.share, r.type]);

forEachDialect('credits, rates and credited facts', (t) => {
  describe('import --kind credits', async () => {
    it('stores shares, and a re-import of a deal replaces all of its rows', async () => {
      const db = await crm(t);
      expect(await importCsv(db, 'credits', 'deal,rep,share,type\nD1,r1,60,revenue\nD1,r2,40%,revenue\nD1,r3,10,overlay\n', 'c.csv'))
        .toEqual({ ok: true, inserted: 3, updated: 0, unchanged: 0, warnings: [] });
      expect(await creditRows(db)).toEqual([['D1', 'r3', '10', 'overlay'], ['D1', 'r1', '60', 'revenue'], ['D1', 'r2', '40', 'revenue']]);
      // The same file again changes nothing and says so: every share was there already, as it is.
      expect(await importCsv(db, 'credits', 'deal,rep,share,type\nD1,r1,60,revenue\nD1,r2,40%,revenue\nD1,r3,10,overlay\n', 'c.csv'))
        .toEqual({ ok: true, inserted: 0, updated: 0, unchanged: 3, warnings: [] });
      expect(await creditRows(db)).toEqual([['D1', 'r3', '10', 'overlay'], ['D1', 'r1', '60', 'revenue'], ['D1', 'r2', '40', 'revenue']]);
      // D1 again: its three rows become these two; D2 gets its first. The overlay share the file
      // leaves out is gone, and the import says so (it used to say only "2 updated, 1 inserted").
      expect(await importCsv(db, 'credits', 'deal,rep,share,type\nD1,r1,33.3333,revenue\nD1,r2,66.6667,revenue\nD2,r2,100,revenue\n', 'c.csv')).toEqual({
        ok: true, inserted: 1, updated: 2, unchanged: 0, removed: 1,
        warnings: ["1 share these deals had before is not in the file and was removed (a file replaces all of a deal's shares): D1: r3 10% overlay"],
      });
      expect(await creditRows(db)).toEqual([['D1', 'r1', '33.3333', 'revenue'], ['D1', 'r2', '66.6667', 'revenue'], ['D2', 'r2', '100', 'revenue']]);
      expect((await creditsOfDeals(db, { start: '2026-01-01', end: '2026-03-31' })).get('D1')).toEqual([
        { rep: 'r1', share: '33.3333', type: 'revenue' }, { rep: 'r2', share: '66.6667', type: 'revenue' },
      ]);
    });

    it('reads shares a spreadsheet wrote with fixed decimals: trailing zeros are not decimals', async () => {
      const db = await crm(t);
      expect(await importCsv(db, 'credits', 'deal,rep,share\nD1,r1,50.0000000%\nD1,r2,50.00000000\n', 'c.csv')).toMatchObject({ ok: true, inserted: 2 });
      expect(await creditRows(db)).toEqual([['D1', 'r1', '50', 'revenue'], ['D1', 'r2', '50', 'revenue']]);
      expect(await problems(db, 'credits', 'deal,rep,share\nD1,r1,33.33333330\nD1,r2,66.6666667\n')).toEqual([
        'credits.csv:2: share: expected a percent more than 0 with at most 6 decimals, like 60 or 33.3333%, got "33.33333330"',
        'credits.csv:3: share: expected a percent more than 0 with at most 6 decimals, like 60 or 33.3333%, got "66.6666667"',
      ]);
    });

    it('names each bad row with FILE:LINE: field and imports nothing', async () => {
      const db = await crm(t);
      await importCsv(db, 'credits', 'deal,rep,share\nD2,r2,100\n', 'before.csv');
      const text = [
        'deal,rep,share,type',
        'D1,r1,60,revenue',
        'D1,r2,30,revenue', // D1's revenue shares total 90%
        'D9,r1,50,overlay', // no such deal
        'D2,r9,50,overlay', // no such rep
        'D2,r1,0,overlay',
        'D2,r1,abc,overlay',
        'D2,r3,20,bonus',
        'D2,r3,20,Overlay',
        'D2,r3,20,overlay',
        'D2,r3,25,overlay', // the same rep twice
      ].join('\n');
      expect(await problems(db, 'credits', text)).toEqual([
        'credits.csv:2: share: revenue shares of deal "D1" total 90%, not 100% (lines 2, 3)',
        'credits.csv:4: deal: unknown deal "D9" (import deals first)',
        'credits.csv:5: rep: unknown rep "r9" (import reps first)',
        expect.stringMatching(/^credits\.csv:6: share: expected a percent more than 0/),
        expect.stringMatching(/^credits\.csv:7: share: expected a percent more than 0/),
        'credits.csv:8: type: expected revenue or overlay, got "bonus"',
        'credits.csv:9: type: expected revenue or overlay, got "Overlay"; did you mean "overlay"? (values are lower case)',
        'credits.csv:11: rep: rep "r3" already has an overlay share of deal "D2" (line 10)',
      ]);
      expect(await creditRows(db)).toEqual([['D2', 'r2', '100', 'revenue']]);
      // A deal whose 100% includes a rejected row (an unknown rep) gets that row's problem only,
      // not also a misleading "total 70%".
      const split = ['deal,rep,share', 'D1,r1,70', 'D1,r9,30'].join('\n');
      expect(await problems(db, 'credits', split)).toEqual(['credits.csv:3: rep: unknown rep "r9" (import reps first)']);
      // Shares written as fractions (a spreadsheet's 60% cell exported as 0.6): the total says how to write them.
      // One share of a deal: its line, not "(lines 2)".
      expect(await problems(db, 'credits', 'deal,rep,share\nD1,r1,60\n')).toEqual(['credits.csv:2: share: revenue shares of deal "D1" total 60%, not 100% (line 2)']);
      expect(await problems(db, 'credits', 'deal,rep,share\nD1,r1,0.6\nD1,r2,0.4\n')).toEqual([
        'credits.csv:2: share: revenue shares of deal "D1" total 1%, not 100% (lines 2, 3); shares are percents: write 60 for 60%, not 0.6',
      ]);
    });

    it('a share naming its rep by email or name (a CRM export) says which rep id to write, as a deals import does', async () => {
      const db = await crm(t);
      // These read "unknown rep" beside reps plainly in the data source: Ada is r1, grace@ r2.
      const text = ['deal,rep,share,type', 'D1,Ada,60,revenue', 'D1,GRACE@acme.example,40,revenue', 'D2,r9,100,revenue'].join('\n');
      expect(await problems(db, 'credits', text)).toEqual([
        'credits.csv:2: rep: "Ada" is the name of rep r1; the rep column takes rep ids (write r1)',
        'credits.csv:3: rep: "GRACE@acme.example" is the email of rep r2; the rep column takes rep ids (write r2)',
        'credits.csv:4: rep: unknown rep "r9" (import reps first)',
      ]);
      expect(await creditRows(db)).toEqual([]);
    });

    it('an id in other capitals than the stored one (a CRM export that lower-cased it) is named with the stored id', async () => {
      const db = await crm(t);
      const text = ['deal,rep,share,type', 'd1,r1,100,revenue', 'D2,R2,100,revenue', 'D9,r1,100,revenue'].join('\n');
      expect(await problems(db, 'credits', text)).toEqual([
        'credits.csv:2: deal: unknown deal "d1"; did you mean "D1"? (ids are case-sensitive)',
        'credits.csv:3: rep: unknown rep "R2"; did you mean "r2"? (ids are case-sensitive)',
        'credits.csv:4: deal: unknown deal "D9" (import deals first)',
      ]);
      expect(await creditRows(db)).toEqual([]);
    });

    it('a row missing a cell does not hide the other rows\' problems; a deal with such a row gets no total', async () => {
      const db = await crm(t);
      // The empty share used to be the only problem listed: the user fixed it and met the next ones.
      const text = ['deal,rep,share,type', 'D1,r1,,revenue', 'D1,r2,40,revenue', 'D9,r1,50,overlay', 'D2,r2,abc,', ',r1,5,overlay', 'D2,r1,5,overlay,extra'].join('\n');
      expect(await problems(db, 'credits', text)).toEqual([
        'credits.csv:2: share: is required',
        'credits.csv:4: deal: unknown deal "D9" (import deals first)',
        expect.stringMatching(/^credits\.csv:5: share: expected a percent more than 0/),
        'credits.csv:6: deal: is required',
        'credits.csv:7: row has 5 fields, the header has 4',
      ]);
      expect(await creditRows(db)).toEqual([]);
    });

    it('lists the first 100 of many bad rows and counts them all', async () => {
      const db = await crm(t);
      const rows = Array.from({ length: 250 }, (_, i) => `D1,r1,${i % 2 ? '' : 'x'}`);
      const result = await importCsv(db, 'credits', `deal,rep,share\n${rows.join('\n')}\n`, 'c.csv');
      expect(result).toMatchObject({ ok: false, total: 250 });
      expect(result.ok ? [] : result.problems.map(formatProblem).slice(0, 2)).toEqual([
        expect.stringMatching(/^c\.csv:2: share: expected a percent/),
        'c.csv:3: share: is required',
      ]);
      expect(result.ok ? 0 : result.problems.length).toBe(100);
    });

    it('insists on the deal, rep and share columns', async () => {
      expect(await problems(await crm(t), 'credits', 'deal,rep\nD1,r1\n')).toEqual(['credits.csv:1: missing required column share']);
    });
  });

  describe('import --kind rates', async () => {
    it('stores rates with up to 8 decimals and finds the one effective on a date', async () => {
      const db = await crm(t);
      expect(await importCsv(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.08345678,2026-01-01\nEUR,USD,1.1,2026-03-01\nGBP,USD,1.27,2026-01-01\n', 'r.csv'))
        .toEqual({ ok: true, inserted: 3, updated: 0, unchanged: 0, warnings: [] });
      const usd = await RateTable.into(db, 'USD');
      expect(usd.on('EUR', '2025-12-31')).toBeNull();
      expect(usd.on('EUR', '2026-01-01')).toEqual({ from: '2026-01-01', rate: '1.08345678' });
      expect(usd.on('EUR', '2026-02-28')).toEqual({ from: '2026-01-01', rate: '1.08345678' });
      expect(usd.on('EUR', '2026-03-01')).toEqual({ from: '2026-03-01', rate: '1.1' });
      // No inverse and no chains: USD → EUR is not EUR → USD upside down.
      expect((await RateTable.into(db, 'EUR')).on('USD', '2026-03-01')).toBeNull();
      // A corrected rate for the same pair and date replaces the stored one.
      expect(await importCsv(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.12,2026-03-01\n', 'r.csv')).toMatchObject({ ok: true, inserted: 0, updated: 1 });
      expect((await RateTable.into(db, 'USD')).on('EUR', '2026-06-30')?.rate).toBe('1.12');
    });

    it('reads a rate exported with fixed decimals (1.0834500000) as 1.08345; nine decimals that matter are refused', async () => {
      const db = await crm(t);
      expect(await importCsv(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.0834500000,2026-01-01\n', 'r.csv')).toMatchObject({ ok: true, inserted: 1 });
      expect((await RateTable.into(db, 'USD')).on('EUR', '2026-01-01')?.rate).toBe('1.08345');
      expect(await problems(db, 'rates', 'currency,to,rate,from\nGBP,USD,1.270000001,2026-01-01\n')).toEqual([
        'rates.csv:2: rate: expected a rate more than 0 with at most 8 decimals, like 1.08345, got "1.270000001"',
      ]);
    });

    it('names each bad row and imports nothing', async () => {
      const db = await crm(t);
      const text = [
        'currency,to,rate,from',
        'EUR,USD,1.08,2026-01-01',
        'EUR,USD,-1.08,2026-02-01',
        'EUR,USD,0,2026-02-01',
        'EUR,USD,1.123456789,2026-02-01',
        'eur,USD,1.1,2026-02-01',
        'EUR,EUR,1,2026-02-01',
        'EUR,USD,1.1,2026-02-30',
        'EUR,USD,1.09,2026-01-01', // a second rate for the pair and date
      ].join('\n');
      expect(await problems(db, 'rates', text)).toEqual([
        expect.stringMatching(/^rates\.csv:3: rate: expected a rate more than 0/),
        expect.stringMatching(/^rates\.csv:4: rate: expected a rate more than 0/),
        expect.stringMatching(/^rates\.csv:5: rate: expected a rate more than 0 with at most 8 decimals/),
        expect.stringMatching(/^rates\.csv:6: currency: expected a currency code/),
        'rates.csv:7: to: a rate converts between two currencies; both are EUR',
        'rates.csv:8: from: expected a date YYYY-MM-DD, got "2026-02-30"',
        'rates.csv:9: from: a second EUR to USD rate from 2026-01-01 (first on line 2)',
      ]);
      expect(await db.kysely.selectFrom('rates').selectAll().execute()).toEqual([]);
    });

    it('a file of daily rates larger than one write batch counts new and replaced rates exactly', async () => {
      const db = await crm(t);
      const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
      const file = (from: number, to: number, rate: string) => ['currency,to,rate,from', ...Array.from({ length: to - from }, (_, k) => `EUR,USD,${rate},${day(from + k)}`)].join('\n');
      expect(await importCsv(db, 'rates', file(0, 700, '1.1'), 'r.csv')).toEqual({ ok: true, inserted: 700, updated: 0, unchanged: 0, warnings: [] });
      // Days 500..1199: 200 replaced, 500 new; GBP rows of the same days are other pairs.
      expect(await importCsv(db, 'rates', `${file(500, 1200, '1.2')}\nGBP,USD,1.3,${day(600)}\n`, 'r.csv')).toEqual({ ok: true, inserted: 501, updated: 200, unchanged: 0, warnings: [] });
      const table = await RateTable.into(db, 'USD');
      expect([table.on('EUR', day(499))?.rate, table.on('EUR', day(650))?.rate, table.on('GBP', day(650))?.rate]).toEqual(['1.1', '1.2', '1.3']);
    });

    it('a row missing a cell does not hide the other rows\' problems, and 100 are listed of many', async () => {
      const db = await crm(t);
      expect(await problems(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.1,\nEUR,USD,1e0,2026-01-02\nGBP,USD,1.2,01/02/2026\n')).toEqual([
        'rates.csv:2: from: is required',
        expect.stringMatching(/^rates\.csv:3: rate: expected a rate more than 0/),
        'rates.csv:4: from: expected a date YYYY-MM-DD, got "01/02/2026"',
      ]);
      const many = Array.from({ length: 300 }, () => 'EUR,USD,x,2026-01-01').join('\n');
      const result = await importCsv(db, 'rates', `currency,to,rate,from\n${many}\n`, 'rates.csv');
      expect(result).toMatchObject({ ok: false, total: 300 });
      expect(result.ok ? 0 : result.problems.length).toBe(100);
      expect(await db.kysely.selectFrom('rates').selectAll().execute()).toEqual([]);
    });
  });

  describe('rep.end_date', async () => {
    it('imports with the other rep fields and is null while employed', async () => {
      const db = await crm(t);
      expect(await getRep(db, 'r2')).toMatchObject({ start_date: '2024-01-01', end_date: '2026-02-15' });
      expect(await getRep(db, 'r1')).toMatchObject({ end_date: null });
      expect(await problems(db, 'reps', 'id,name,email,end_date\nr4,Kay,kay@acme.example,2026-13-01\n')).toEqual([
        'reps.csv:2: end_date: 2026-13-01 is not a calendar date (no such day in that month)',
      ]);
      // A timestamp is not a date: one problem, not also "no such day in that month".
      expect(await problems(db, 'reps', 'id,name,email,end_date\nr4,Kay,kay@acme.example,2026-01-31T17:00:00Z\n')).toEqual([
        'reps.csv:2: end_date: expected a date like 2026-03-31, got "2026-01-31T17:00:00Z" (a date and time: write the date alone, like 2026-01-31)',
      ]);
      // Leaving before starting is a typo, not 0 days employed; leaving on the first day is one day.
      expect(await problems(db, 'reps', 'id,name,email,start_date,end_date\nr4,Kay,kay@acme.example,2026-02-01,2026-02-01\nr5,Lin,lin@acme.example,2026-03-01,2026-02-01\n'))
        .toEqual(['reps.csv:3: end_date: 2026-02-01 is before start_date 2026-03-01']);
      expect(await getRep(db, 'r4')).toBeNull();
    });

    it('a file with only end_date (or only start_date) is checked against the stored other date', async () => {
      const db = await crm(t);
      // r1 started 2024-01-01 and r2 left 2026-02-15 (REPS); these files carry one of the two dates.
      expect(await problems(db, 'reps', 'id,name,email,end_date\nr3,Alan,alan@acme.example,2026-06-30\nr1,Ada,ada@acme.example,2023-12-31\n'))
        .toEqual(['reps.csv:3: end_date: 2023-12-31 is before start_date 2024-01-01 (stored; the file has no start_date column)']);
      expect(await problems(db, 'reps', 'id,name,email,start_date\nr2,Grace,grace@acme.example,2026-03-01\n'))
        .toEqual(['reps.csv:2: start_date: 2026-03-01 is after end_date 2026-02-15 (stored; the file has no end_date column)']);
      expect(await getRep(db, 'r1')).toMatchObject({ start_date: '2024-01-01', end_date: null });
      expect(await getRep(db, 'r3')).toMatchObject({ end_date: null });
      expect(await importCsv(db, 'reps', 'id,name,email,end_date\nr1,Ada,ada@acme.example,2024-01-01\n', 'reps.csv')).toMatchObject({ ok: true, updated: 1 });
    });
  });

  describe('credited facts', () => {
    it('splits, conversion and team credit from the stored shares and rates', async () => {
      const db = await crm(t);
      await importCsv(db, 'credits', 'deal,rep,share\nD1,r1,60\nD1,r3,40\n', 'c.csv');
      await importCsv(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.12345678,2026-02-01\n', 'r.csv');
      const reps = await listReps(db);
      const split = await gatherFacts(db, specRule({ credit: 'splits', convert: 'closing_rate' }), reps, '2026-Q1');
      if (!split.ok) throw new Error(split.message);
      const revenue = (rep: string) => { const m = split.facts.get(rep)!.metrics.revenue; return m.type === 'money' ? m.amount : null; };
      // r1: 60% of 100,000; r2: 50,000 EUR × 1.12345678 (grace left 15 February, her deal closed on the 10th); r3: 40%.
      expect([revenue('r1'), revenue('r2'), revenue('r3')]).toEqual(['60000', '56172.839', '40000']);
      expect(split.facts.get('r2')!.credited).toEqual([
        { deal: 'D2', type: 'own', share: '100', closedAt: '2026-02-10', amount: '50000', currency: 'EUR', conversion: { rate: '1.12345678', from: '2026-02-01' }, credited: '56172.839' },
      ]);
      await db.kysely.updateTable('reps').set({ manager: 'ada@acme.example' }).where('id', 'in', ['r2', 'r3']).execute();
      const team = await gatherFacts(db, specRule({ credit: 'team', convert: 'closing_rate' }), reps, '2026-Q1');
      if (!team.ok) throw new Error(team.message);
      const ada = team.facts.get('r1')!;
      expect(ada.metrics.revenue).toEqual({ type: 'money', amount: '56172.839', currency: 'USD' });
      expect(team.facts.get('r3')!.notes).toEqual(['r3 (alan@acme.example) has no reports: `credit team` credits no deals']);
      await db.close();
    });

    it('with conversion, `deal.amount` compared with money in the deal\'s own currency reads its own amount', async () => {
      const db = await crm(t);
      expect(await problems(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.12345678,2026-02-01\n')).toEqual([]);
      const money = (amount: string, currency: string) => ({ kind: 'literal', type: 'money', currency, value: { type: 'money', value: { amount, currency } } }) as const;
      const spiff = (id: string, amount: string, currency: string) => ({
        id, amount: { amount: '10', currency: 'USD' }, where: bin('>=', field('deal', 'amount', 'money'), money(amount, currency)), description: `spiff where deal.amount >= ${amount} ${currency}`,
      });
      // Grace's D2: 50,000 EUR, 56,172.839 USD converted.
      const rule = specRule({ reps: null, convert: 'closing_rate', bonuses: [], spiffs: [spiff('eur40', '40000', 'EUR'), spiff('eur60', '60000', 'EUR'), spiff('usd56', '56000', 'USD'), spiff('usd57', '57000', 'USD')] });
      const run = await statementsForPeriod(db, rule, '2026-Q1');
      if (!run.ok) throw new Error(run.message);
      const grace = run.statements.find((s) => s.rep === 'r2')!;
      expect(grace.lines.filter((l) => l.kind === 'spiff').map((l) => l.description.split(':')[0])).toEqual([
        'spiff where deal.amount >= 40000 EUR', 'spiff where deal.amount >= 56000 USD',
      ]);
      await db.close();
    });

    it('a rate only the other way round (USD to EUR) converts nothing, and the warning says which row is needed', async () => {
      const db = await crm(t);
      expect(await problems(db, 'rates', 'currency,to,rate,from\nUSD,EUR,0.9,2026-01-01\n')).toEqual([]);
      const run = await statementsForPeriod(db, specRule({ reps: null, convert: 'closing_rate', bonuses: [], spiffs: [] }), '2026-Q1');
      if (!run.ok) throw new Error(run.message);
      const grace = run.statements.find((s) => s.rep === 'r2')!;
      expect(grace.measure).toBe('0.00');
      expect(grace.warnings).toEqual([
        'deal D2 (won, 50,000.00 EUR) is left out: no EUR to USD rate is effective on 2026-02-10 (import --kind rates: currency EUR, to USD; a USD to EUR rate is not used the other way)',
      ]);
      await db.close();
    });

    it('a pair whose rates all start after the deal\'s date: the warning names the first rate\'s date, not the inverse pair', async () => {
      const db = await crm(t);
      // Rates from March; Grace's 50,000 EUR closed 10 February. The warning used to suggest a
      // USD to EUR row was imported by mistake, when an EUR to USD row from 10 February is missing.
      expect(await problems(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.1,2026-03-01\nEUR,USD,1.2,2026-04-01\n')).toEqual([]);
      const expected = 'deal D2 (won, 50,000.00 EUR) is left out: no EUR to USD rate is effective on 2026-02-10: the first is from 2026-03-01 (import --kind rates: a EUR to USD row from 2026-02-10 or earlier)';
      const everyDeal = bin('>=', field('deal', 'amount', 'money'), usd('0'));
      // Grouped scans, and the row scan a condition on deal.amount sends the rule down.
      for (const spiffs of [[], [{ id: 'any', amount: { amount: '1', currency: 'USD' }, where: everyDeal, description: 'spiff' }]]) {
        const run = await statementsForPeriod(db, specRule({ reps: null, convert: 'closing_rate', bonuses: [], spiffs }), '2026-Q1');
        if (!run.ok) throw new Error(run.message);
        const grace = run.statements.find((s) => s.rep === 'r2')!;
        expect(grace.measure).toBe('0.00');
        expect(grace.warnings).toEqual([expected]);
      }
      await db.close();
    });

    it('a manager loop: team all levels ends, each rep gets the other\'s deal, never its own, and both statements warn', async () => {
      const db = await crm(t);
      // Ada and Grace manage each other; Alan reports to Ada.
      await db.kysely.updateTable('reps').set({ manager: 'grace@acme.example' }).where('id', '=', 'r1').execute();
      await db.kysely.updateTable('reps').set({ manager: 'ada@acme.example' }).where('id', 'in', ['r2', 'r3']).execute();
      expect(await problems(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.1,2026-01-01\n')).toEqual([]);
      const run = await statementsForPeriod(db, specRule({ reps: null, credit: 'team_all_levels', convert: 'closing_rate' }), '2026-Q1');
      if (!run.ok) throw new Error(run.message);
      const by = new Map(run.statements.map((s) => [s.rep, s]));
      // Ada: Grace's 50,000 EUR × 1.1; Grace: Ada's 100,000 (and Alan's none).
      expect([by.get('r1')!.measure, by.get('r2')!.measure]).toEqual(['55000.00', '100000.00']);
      expect(by.get('r1')!.warnings).toEqual(['r1 is in a manager loop (r1 → r2 → r1): its own deals are not counted as its team\'s']);
      expect(by.get('r2')!.warnings).toEqual(['r2 is in a manager loop (r2 → r1 → r2): its own deals are not counted as its team\'s']);
      expect(by.get('r3')!.warnings).toEqual(['r3 (alan@acme.example) has no reports: `credit team all levels` credits no deals']);
      await db.close();
    });

    it('a spiff whose `where` reads `rep` is about the rep paid: the share\'s rep, the manager of a team deal', async () => {
      const db = await crm(t);
      expect(await problems(db, 'credits', 'deal,rep,share\nD1,r1,60\nD1,r3,40\n')).toEqual([]);
      expect(await problems(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.1,2026-01-01\n')).toEqual([]);
      const spiffFor = (name: string) => [{
        id: 'spiff-1', amount: { amount: '100', currency: 'USD' }, where: bin('=', field('rep', 'name'), str(name)), description: `spiff 100 USD per deal where rep.name = "${name}"`,
      }];
      const spiffs = async (rule: ReturnType<typeof specRule>) => {
        const run = await statementsForPeriod(db, rule, '2026-Q1');
        if (!run.ok) throw new Error(run.message);
        return run.statements.map((s) => [s.rep, s.lines.filter((l) => l.kind === 'spiff').map((l) => l.amount)]);
      };
      // Alan holds 40% of Ada's deal D1: his statement pays 40% of the spiff, Ada's none.
      expect(await spiffs(specRule({ reps: null, credit: 'splits', spiffs: spiffFor('Alan') })))
        .toEqual([['r1', []], ['r2', []], ['r3', ['40.00']]]);
      // Ada manages Grace: Grace's converted deal D2 pays Ada's team spiff.
      await db.kysely.updateTable('reps').set({ manager: 'ada@acme.example' }).where('id', '=', 'r2').execute();
      expect(await spiffs(specRule({ reps: null, credit: 'team', convert: 'closing_rate', spiffs: spiffFor('Ada') })))
        .toEqual([['r1', ['100.00']], ['r2', []], ['r3', []]]);
      await db.close();
    });

    it('all splits: a rep with a revenue and an overlay share of one deal counts it once, at both shares', async () => {
      const db = await crm(t);
      // Ada holds 60% revenue and 10% overlay of D1; Grace has her own EUR deal D2 and a 5% overlay on it.
      const shares = 'deal,rep,share,type\nD1,r1,60,revenue\nD1,r3,40,revenue\nD1,r1,10,overlay\nD2,r2,5,overlay\n';
      expect(await problems(db, 'credits', shares)).toEqual([]);
      const largest = {
        name: 'largest', aggregate: 'max', entity: 'deal', field: 'amount', where: null, type: 'money',
        source: { file: 'rules/m.rules', line: 1 },
      } as const;
      const rule = specRule({
        reps: null,
        credit: 'all',
        metrics: { largest },
        bonuses: [
          { id: 'bonus-1', amount: { amount: '1000', currency: 'USD' }, when: bin('>=', metric('deals_won'), num('2')), description: 'bonus 1000 USD when deals_won >= 2' },
          { id: 'bonus-2', amount: { amount: '1', currency: 'USD' }, when: bin('>=', metric('largest', 'money'), usd('70000')), description: 'bonus 1 USD when largest >= 70000 USD' },
        ],
        spiffs: [{ id: 'spiff-1', amount: { amount: '250', currency: 'USD' }, where: null, description: 'spiff 250 USD per deal' }],
        rewards: [],
      });
      const run = await statementsForPeriod(db, rule, '2026-Q1');
      if (!run.ok) throw new Error(run.message);
      const ada = run.statements.find((s) => s.rep === 'r1')!;
      expect(ada.measure).toBe('70000.00');
      // One deal won, not two; its credit to her is 70,000 (the largest); the spiff pays 250 × 70%.
      expect(ada.lines.map((l) => [l.kind, l.amount])).toEqual([['commission', '5600.00'], ['bonus', '1.00'], ['spiff', '175.00']]);
      expect(ada.credited?.map((c) => [c.deal, c.type, c.share])).toEqual([['D1', 'overlay', '10'], ['D1', 'revenue', '60']]);
      // Grace's foreign deal is left out once, not once per credit.
      expect(run.statements.find((s) => s.rep === 'r2')!.warnings).toEqual([expect.stringMatching(/^deal D2 \(won, 50,000.00 EUR\) is left out/)]);
      await db.close();
    });
  });
});
