// `import --kind credits` of a large file, on SQLite and PostgreSQL: 202,500 shares over 90,000
// deals streamed from a file are stored exactly (with progress told while reading); a re-import
// replaces each deal's shares and names what it removed; bad rows far apart (a row's own problem,
// a deal's total, unknown reps, a repeated share) are listed by line, the first 100 of them, all
// counted, and nothing is written; a deal split over more rows than one message can list.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { countOf, openDatabase, sql, type Db } from '../../src/data/db.js';
import { formatProblem, importCsv, importCsvFile } from '../../src/data/import.js';
import { forEachDialect } from '../support/dialects.js';
import { tempDir } from './tmp.js';

const DEALS = 90_000;
const REPS = 50;
/** Deal i's revenue shares by i % 4 (one rep, 60/40, thirds, halves); halves come with a 10% overlay. */
const SPLITS = [['100'], ['60', '40'], ['33.3333', '33.3333', '33.3334'], ['50', '50']];
/** Deal i's first line in the file: the header is line 1, and every four deals take 9 lines. */
const firstLine = (i: number) => 2 + 9 * Math.floor(i / 4) + [0, 1, 3, 6][i % 4];
const rep = (i: number) => `r${i % REPS}`;

function creditsFile(options: { overlays?: boolean; changeSplit?: boolean; change?: (i: number, line: string, k: number) => string; append?: string[] } = {}): string {
  const lines = ['deal,rep,share,type'];
  for (let i = 0; i < DEALS; i++) {
    const shares = options.changeSplit && i % 4 === 1 ? ['70', '30'] : SPLITS[i % 4];
    shares.forEach((share, k) => {
      const line = `d${i},${rep(i + k)},${share},revenue`;
      lines.push(options.change ? options.change(i, line, k) : line);
    });
    if (i % 4 === 3 && options.overlays !== false) lines.push(`d${i},${rep(i + 5)},10,overlay`);
  }
  lines.push(...(options.append ?? []));
  const path = join(tempDir(), 'credits.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function crm(url: string): Promise<Db> {
  const db = await openDatabase(url);
  const reps = ['id,name,email', ...Array.from({ length: REPS }, (_, i) => `r${i},Rep ${i},r${i}@acme.example`)];
  const deals = ['id,rep,amount,currency,stage,closed_at', ...Array.from({ length: DEALS }, (_, i) => `d${i},${rep(i)},100,USD,won,2026-02-01`)];
  for (const [kind, text] of [['reps', reps], ['deals', deals]] as const) {
    const r = await importCsv(db, kind, `${text.join('\n')}\n`, `${kind}.csv`);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  }
  return db;
}

const sharesOf = async (db: Db, deal: string) => (await db.kysely.selectFrom('credits').select(['rep', 'share', 'type'])
  .where('deal', '=', deal).orderBy('type').orderBy('rep').execute()).map((r) => `${r.rep} ${r.share} ${r.type}`);

forEachDialect('credits import of a large file', (target) => {
  it('stores 202,500 shares, replaces them on re-import, and refuses a bad file whole with its problems by line', async () => {
    const db = await crm(await target.fresh());
    try {
      const rows = (DEALS / 4) * 9;
      // Progress is told as the file is read (the command's progress line), not once at the end.
      const seen: number[] = [];
      expect(await importCsvFile(db, 'credits', creditsFile(), 'credits.csv', { onProgress: (n) => seen.push(n), progressEvery: 0 }))
        .toEqual({ ok: true, inserted: rows, updated: 0, unchanged: 0, warnings: [] });
      expect(seen.length).toBeGreaterThan(100);
      expect(seen.at(-1)).toBe(rows);
      expect(await countOf(db, sql`SELECT count(*) FROM credits`)).toBe(rows);
      expect(await sharesOf(db, 'd89999')).toEqual(['r4 10 overlay', 'r0 50 revenue', 'r49 50 revenue']);
      expect(await sharesOf(db, 'd45002')).toEqual(['r2 33.3333 revenue', 'r3 33.3333 revenue', 'r4 33.3334 revenue']);
      // Every deal's revenue shares total exactly 100 (summed in micros).
      expect(await countOf(db, sql`SELECT count(*) FROM (SELECT deal FROM credits WHERE type = 'revenue' GROUP BY deal
        HAVING sum(CAST(round(CAST(share AS DOUBLE PRECISION) * 1000000) AS INTEGER)) <> 100000000) wrong`)).toBe(0);

      // Again without the overlays, and 70/30 for the 60/40 deals: nothing new, those deals' two
      // shares updated, every other revenue share unchanged, the 22,500 overlays removed and the
      // first ten named in byte order of deal.
      const overlayDeals = Array.from({ length: DEALS / 4 }, (_, j) => 4 * j + 3).map((i) => `d${i}`).sort();
      const named = overlayDeals.slice(0, 10).map((d) => `${d}: ${rep(Number(d.slice(1)) + 5)} 10% overlay`);
      expect(await importCsvFile(db, 'credits', creditsFile({ overlays: false, changeSplit: true }), 'again.csv')).toEqual({
        ok: true, inserted: 0, updated: 2 * (DEALS / 4), unchanged: rows - DEALS / 4 - 2 * (DEALS / 4), removed: DEALS / 4,
        warnings: [`22500 shares these deals had before are not in the file and were removed (a file replaces all of a deal's shares): ${named.join('; ')}, and 22490 more`],
      });
      expect(await countOf(db, sql`SELECT count(*) FROM credits`)).toBe(rows - DEALS / 4);
      expect(await sharesOf(db, 'd1')).toEqual(['r1 70 revenue', 'r2 30 revenue']);

      // A bad share on line 3 (its deal d1 gets no total), d50000 at 90% on line 112,502, then 150
      // shares to an unknown rep and one repeated share after the last deal.
      const end = firstLine(DEALS);
      const bad = creditsFile({
        change: (i, line, k) => (i === 1 && k === 0 ? 'd1,r1,abc,revenue' : i === 50_000 ? 'd50000,r0,90,revenue' : line),
        append: [...Array.from({ length: 150 }, (_, j) => `d${j},nobody,5,overlay`), 'd4,r4,100,revenue'],
      });
      const refused = await importCsvFile(db, 'credits', bad, 'bad.csv');
      expect(refused).toMatchObject({ ok: false, total: 153 });
      const listed = refused.ok ? [] : refused.problems.map(formatProblem);
      expect(listed).toHaveLength(100);
      expect(listed.slice(0, 3)).toEqual([
        'bad.csv:3: share: expected a percent more than 0 with at most 6 decimals, like 60 or 33.3333%, got "abc"',
        'bad.csv:112502: share: revenue shares of deal "d50000" total 90%, not 100% (line 112502)',
        `bad.csv:${end}: rep: unknown rep "nobody" (import reps first)`,
      ]);
      expect(listed[99]).toBe(`bad.csv:${end + 97}: rep: unknown rep "nobody" (import reps first)`);
      expect(firstLine(50_000)).toBe(112_502);
      // Nothing written: the shares of the second import are all there, and only they.
      expect(await countOf(db, sql`SELECT count(*) FROM credits`)).toBe(rows - DEALS / 4);
      expect(await sharesOf(db, 'd1')).toEqual(['r1 70 revenue', 'r2 30 revenue']);
      expect(await sharesOf(db, 'd50000')).toEqual(['r0 100 revenue']);
    } finally {
      await db.close();
    }
  }, 300_000);

  it('a deal split over 1,200 reps that totals 120% names its first 1,000 lines and counts the rest', async () => {
    const db = await openDatabase(await target.fresh());
    try {
      const reps = ['id,name,email', ...Array.from({ length: 1200 }, (_, i) => `p${i},Rep ${i},p${i}@acme.example`)];
      expect(await importCsv(db, 'reps', `${reps.join('\n')}\n`, 'reps.csv')).toMatchObject({ ok: true });
      expect(await importCsv(db, 'deals', 'id,rep,amount,currency,stage\nbig,p0,100,USD,won\n', 'deals.csv')).toMatchObject({ ok: true });
      const shares = ['deal,rep,share', ...Array.from({ length: 1200 }, (_, i) => `big,p${i},0.1`)];
      const result = await importCsv(db, 'credits', `${shares.join('\n')}\n`, 'big.csv');
      const lines = Array.from({ length: 1000 }, (_, i) => i + 2).join(', ');
      expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
        `big.csv:2: share: revenue shares of deal "big" total 120%, not 100% (lines ${lines}, and 200 more)`,
      ]);
      expect(await countOf(db, sql`SELECT count(*) FROM credits`)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
