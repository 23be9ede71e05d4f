// Credited facts (`credit splits`, `convert currencies at closing rate`) come three ways: the row
// scan (every deal of the window into JS with its shares; rules with conditions only JS can
// evaluate), the scan grouped by the deal's rep (own whole deals summed by SQL, split and foreign
// deals as detail; explicit rep lists) and the scan grouped by the credited rep, read side by side
// with the reps (`simulate` for all reps). On both data sources all three must give the same facts
// and statements, digit for digit, over split deals with decimal shares, foreign deals with and
// without a rate, lost deals and spiffs.
import { expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/data/db.js';
import { gatherFacts } from '../../src/data/facts.js';
import { formatProblem, importCsv, type ImportKind } from '../../src/data/import.js';
import { statementsForPeriod } from '../../src/data/period-statements.js';
import { listReps } from '../../src/data/reps.js';
import type { Expr, IncentiveRule } from '../../src/plan/schema.js';
import { bin, field, specRule, str, usd } from '../payouts/spec-rule.js';
import { forEachDialect, type DialectTarget } from '../support/dialects.js';

const REPS = ['r1', 'r2', 'r3', 'r4', 'r5', 'é6', "o'brien"];

async function load(db: Db, kind: ImportKind, text: string): Promise<void> {
  const result = await importCsv(db, kind, text, `${kind}.csv`);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
}

/** Reps (all AEs but one), 300 deals (won, lost, open; USD and EUR), splits on about a third, EUR rates from February only. */
async function crm(target: DialectTarget): Promise<Db> {
  const db = await openDatabase(await target.fresh());
  // r2 is hired and r3 leaves inside Q1 (for the prorated rule).
  const dates = (id: string) => (id === 'r2' ? '2026-02-10,' : id === 'r3' ? '2020-01-01,2026-03-05' : ',');
  await load(db, 'reps', `id,name,email,role,start_date,end_date\n${REPS.map((id, i) => `"${id}",Rep ${i},rep${i}@acme.example,${i === 4 ? 'SE' : 'AE'},${dates(id)}`).join('\n')}\n`);
  let seed = 11;
  // The high bits: the low bits of this generator repeat with short periods.
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
  const deals: string[] = [];
  const credits: string[] = [];
  const owners = [...REPS, 'ghost'];
  await load(db, 'reps', 'id,name,email,role\nghost,Ghost,ghost@acme.example,SE\n');
  for (let i = 0; i < 300; i++) {
    const stage = ['won', 'won', 'won', 'lost', 'open'][next(5)];
    const day = new Date(Date.UTC(2026, 0, 1 + next(120))).toISOString().slice(0, 10);
    const owner = owners[next(owners.length)];
    deals.push([
      `D${i}`, `"${owner}"`, `${next(90000)}.${String(next(100)).padStart(2, '0')}`, next(5) ? 'USD' : 'EUR', stage,
      ['Core', 'Analytics'][next(2)], ['new', 'renewal', ''][next(3)], stage === 'open' ? '' : day,
    ].join(','));
    const kind = next(6);
    if (kind === 0) credits.push(`D${i},"${owner}",60,revenue`, `D${i},"${REPS[(REPS.indexOf(owner) + 1) % REPS.length]}",40%,revenue`);
    if (kind === 1) credits.push(`D${i},r1,33.3333,revenue`, `D${i},r2,33.3333,revenue`, `D${i},"${"o'brien"}",33.3334,revenue`);
    if (kind === 2) credits.push(`D${i},r3,12.5,overlay`);
  }
  await load(db, 'deals', `id,rep,amount,currency,stage,product,type,closed_at\n${deals.join('\n')}\n`);
  await load(db, 'credits', `deal,rep,share,type\n${credits.join('\n')}\n`);
  await load(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.0834,2026-02-01\nEUR,USD,1.1,2026-03-15\n');
  return db;
}

// Every won deal is at least 0 USD: with conversion on, a condition reading `deal.amount` runs in
// JS (SQL would see the unconverted amount), which sends the rule down the row scan.
const jsOnly: Expr = bin('>=', field('deal', 'amount', 'money'), usd('0'));
const spiff = (where: Expr | null) => [{ id: 'spiff-1', amount: { amount: '250', currency: 'USD' }, where, description: 'spiff' }];
const analytics = bin('=', field('deal', 'product'), str('Analytics'));

const rules: Record<string, IncentiveRule> = {
  splitsConvert: specRule({ credit: 'splits', convert: 'closing_rate' }),
  convertOnly: specRule({ convert: 'closing_rate', reps: null }),
  splitsOnly: specRule({ credit: 'splits', reps: null }),
  everyWonDeal: specRule({ credit: 'splits', convert: 'closing_rate', spiffs: spiff(null) }),
  prorated: specRule({ credit: 'splits', convert: 'closing_rate', prorate: 'employment' }),
};

forEachDialect('credited facts: row scan, grouped by deal rep, grouped by credited rep', (target) => {
  it('give the same statements for all reps streamed and for an explicit rep list', async () => {
    const db = await crm(target);
    try {
      const reps = await listReps(db);
      for (const [name, rule] of Object.entries(rules)) {
        for (const period of ['2026-Q1', '2026-Q2']) {
          const streamed = await statementsForPeriod(db, rule, period);
          const general = await statementsForPeriod(db, rule, period, { reps });
          expect(streamed.ok ? 'ok' : streamed.message, name).toBe('ok');
          expect(streamed, `${name} ${period}`).toEqual(general);
          if (!streamed.ok) continue;
          // Not vacuous: split and converted deals are listed, and revenue is credited.
          if (rule.credit) expect(streamed.statements.some((s) => s.credited?.some((c) => c.type === 'revenue' && c.share !== '100'))).toBe(true);
          if (rule.convert) expect(streamed.statements.some((s) => s.credited?.some((c) => c.conversion))).toBe(true);
          // The deals of r2 before its hire and of r3 after it left are named (own and split ones).
          if (rule.prorate && period === '2026-Q1') {
            for (const [rep, words] of [['r2', "closed before r2's start_date 2026-02-10"], ['r3', "closed after r3's end_date 2026-03-05"]]) {
              expect(streamed.statements.find((s) => s.rep === rep)?.warnings, name).toEqual(expect.arrayContaining([expect.stringContaining(words)]));
            }
          }
        }
      }
    } finally {
      await db.close();
    }
  });

  it('give the facts of the row scan, digit for digit', async () => {
    const db = await crm(target);
    try {
      const reps = await listReps(db);
      // The same spiff twice: on every won deal (SQL), and on every won deal of at least 0 USD (JS: the row scan).
      const grouped = await gatherFacts(db, rules.everyWonDeal, reps, '2026-Q1');
      const rowScan = await gatherFacts(db, { ...rules.everyWonDeal, spiffs: spiff(jsOnly) }, reps, '2026-Q1');
      expect(grouped.ok && rowScan.ok).toBe(true);
      if (!grouped.ok || !rowScan.ok) return;
      expect([...grouped.facts]).toEqual([...rowScan.facts]);
      expect([...grouped.facts.values()].some((f) => f.leftOut.length > 0)).toBe(true);
      // And the streamed statements agree with the row scan's.
      const streamed = await statementsForPeriod(db, rules.everyWonDeal, '2026-Q1');
      const viaRowScan = await statementsForPeriod(db, { ...rules.everyWonDeal, spiffs: spiff(jsOnly) }, '2026-Q1');
      expect(streamed.ok && viaRowScan.ok).toBe(true);
      if (!streamed.ok || !viaRowScan.ok) return;
      const strip = (s: (typeof streamed.statements)[number]) => JSON.parse(JSON.stringify(s, (k, v) => (k === 'description' || k === 'where' ? undefined : v)));
      expect(streamed.statements.map(strip)).toEqual(viaRowScan.statements.map(strip));
    } finally {
      await db.close();
    }
  });

  it('give the same statements when a deal or rep id holds a separator character (U+001E, U+001F) of the grouped texts', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      const odd = 'r\u001f2';
      await load(db, 'reps', `id,name,email,role\nr1,Rep 1,r1@acme.example,AE\n"${odd}",Rep 2,r2@acme.example,AE\nr3,Rep 3,r3@acme.example,AE\n`);
      await load(db, 'deals', [
        'id,rep,amount,currency,stage,product,type,closed_at',
        `"D\u001e1",r1,1000.50,EUR,won,Analytics,new,2026-02-10`,
        `"D\u001f2","${odd}",2000,USD,won,Core,new,2026-02-11`,
        'D3,r3,3000,USD,won,Core,new,2026-02-12',
        `"D\u001e\u001f4",r3,4000,EUR,won,Core,renewal,2026-03-01`,
      ].join('\n') + '\n');
      await load(db, 'credits', `deal,rep,share,type\n"D\u001e1",r1,60,revenue\n"D\u001e1","${odd}",40,revenue\n"D\u001f2","${odd}",50,revenue\n"D\u001f2",r3,50,revenue\n`);
      await load(db, 'rates', 'currency,to,rate,from\nEUR,USD,1.1,2026-01-01\n');
      const reps = await listReps(db);
      const rule = specRule({ credit: 'splits', convert: 'closing_rate', spiffs: spiff(analytics), reps: null });
      const streamed = await statementsForPeriod(db, rule, '2026-Q1');
      const general = await statementsForPeriod(db, rule, '2026-Q1', { reps });
      const rowScan = await statementsForPeriod(db, { ...rule, spiffs: spiff(bin('and', analytics, jsOnly)) }, '2026-Q1');
      expect(streamed.ok ? 'ok' : streamed.message).toBe('ok');
      expect(streamed).toEqual(general);
      if (!streamed.ok || !rowScan.ok) throw new Error('not ok');
      const strip = (st: (typeof streamed.statements)[number]) => JSON.parse(JSON.stringify(st, (k, v) => (k === 'description' || k === 'where' ? undefined : v)));
      expect(streamed.statements.map(strip)).toEqual(rowScan.statements.map(strip));
      // Credited as written: D\u001e1 at 60/40 between r1 and the odd rep, converted; D\u001f2 half to r3.
      const of = (rep: string) => streamed.statements.find((st) => st.rep === rep)!;
      expect(of(odd).credited?.map((c) => [c.deal, c.share, c.credited])).toEqual([['D\u001e1', '40', '440.22'], ['D\u001f2', '50', '1000']]);
      expect(of('r1').credited?.map((c) => [c.deal, c.share])).toEqual([['D\u001e1', '60']]);
      expect(of('r3').credited?.map((c) => [c.deal, c.share])).toEqual([['D\u001e\u001f4', '100'], ['D\u001f2', '50']]);
    } finally {
      await db.close();
    }
  });

  it('keep the spiff condition SQL takes on own, split and converted deals alike', async () => {
    const db = await crm(target);
    try {
      const reps = await listReps(db);
      const withSpiff = specRule({ credit: 'splits', convert: 'closing_rate', spiffs: spiff(analytics), reps: null });
      const js = { ...withSpiff, spiffs: spiff(bin('and', analytics, jsOnly)) };
      const a = await gatherFacts(db, withSpiff, reps, '2026-Q1');
      const b = await gatherFacts(db, js, reps, '2026-Q1');
      expect(a.ok && b.ok).toBe(true);
      if (!a.ok || !b.ok) return;
      expect([...a.facts]).toEqual([...b.facts]);
      expect([...a.facts.values()].some((f) => f.spiffDeals['spiff-1'].length > 0)).toBe(true);
    } finally {
      await db.close();
    }
  });
});
