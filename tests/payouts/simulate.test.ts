import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate, statementWriter } from '../../src/cli/commands/simulate.js';
import { openDatabase, scalar, sql, type Db } from '../../src/data/db.js';
import { importCsv } from '../../src/data/import.js';
import { statementJson, statementTable } from '../../src/payouts/render.js';
import type { Plan } from '../../src/plan/schema.js';
import { fixture, tempDir } from '../data/tmp.js';
import { specRule } from './spec-rule.js';

async function crm(): Promise<Db> {
  const path = join(tempDir(), 'crm.db');
  const db = await openDatabase(path);
  for (const kind of ['reps', 'deals'] as const) await importCsv(db, kind, readFileSync(fixture(`${kind}.csv`), 'utf8'), `${kind}.csv`);
  await db.close();
  return await openDatabase(path, { readonly: true });
}

const plan = (rules = [specRule()]): Plan => ({ formatVersion: 1, hash: 'h', metrics: [], rules });

describe('simulate', () => {
  it('computes a statement for every rep the rule selects, in the SPEC §8 JSON shape', async () => {
    const db = await crm();
    const result = await simulate(plan(), db, { period: '2026-Q1' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const json = result.statements.map(statementJson);
    // r3 is an SDR: not selected.
    expect(json.map((s) => s.rep)).toEqual(['r1', 'r2']);
    const [r1, r2] = json;
    expect(Object.keys(r1)).toEqual(['rule', 'rep', 'period', 'currency', 'measure', 'target', 'attainment', 'lines', 'capped', 'total', 'rewards', 'warnings']);
    expect(r1).toMatchObject({
      rule: 'AE commission FY26', period: '2026-Q1', currency: 'USD', measure: '160000.00', target: '100000.00',
      attainment: '160.00', capped: false, total: '16000.00', rewards: ['Extra day off'],
    });
    expect(r1.lines.map((l) => [l.kind, l.amount])).toEqual([
      ['commission', '8000.00'], ['commission', '6000.00'], ['commission', '1500.00'], ['spiff', '500.00'],
    ]);
    expect(r2).toMatchObject({ capped: true, total: '30000.00' });
    expect(r2.lines.at(-1)).toMatchObject({ kind: 'cap', amount: '-6500.00' });
    expect(result.statements[0].warnings[0]).toContain('D7');
    await db.close();
  });

  it('renders a readable table with aligned amounts and explanations', async () => {
    const db = await crm();
    const result = await simulate(plan(), db, { period: '2026-Q1' });
    const table = result.ok ? statementTable(result.statements) : '';
    expect(table).toContain('AE commission FY26 · 2026-Q1 · r1 Ada Lovelace');
    expect(table).toContain('revenue 160,000.00 USD of target 100,000.00 USD = 160.00% attainment');
    expect(table).toMatch(/commission\s+8,000.00 USD {2}marginal: revenue 0.00 USD to 100,000.00 USD/);
    expect(table).toMatch(/total\s+16,000.00 USD\n/);
    expect(table).toContain('reward     Extra day off');
    expect(table).toContain('warning    deal D7');
    await db.close();
  });

  it('explains a bad period, an unknown rule and a period of the wrong kind', async () => {
    const db = await crm();
    expect(await simulate(plan(), db, { period: 'Q1' })).toEqual({ ok: false, message: expect.stringContaining('2026-Q1 (quarter)') });
    expect(await simulate(plan(), db, { period: '2026-Q1', rule: 'AE comission FY26' }))
      .toEqual({ ok: false, message: expect.stringContaining('did you mean "AE commission FY26"?') });
    expect(await simulate(plan(), db, { period: '2026-03', rule: 'AE commission FY26' }))
      .toEqual({ ok: false, message: expect.stringContaining('paid per quarter') });
    expect(await simulate(plan(), db, { period: '2027-Q1' })).toEqual({ ok: false, message: expect.stringContaining('outside') });
    await db.close();
  });

  it('writes statements out as they come: the same JSON array and table as the whole list would give', async () => {
    const db = await crm();
    const result = await simulate(plan(), db, { period: '2026-Q1' });
    await db.close();
    if (!result.ok) throw new Error(result.message);
    const written = (format: 'table' | 'json', statements = result.statements) => {
      const chunks: string[] = [];
      const writer = statementWriter(format, (text) => chunks.push(text), () => true);
      for (const s of statements) writer.statement(s);
      writer.end();
      return chunks.join('');
    };
    expect(written('json')).toBe(`${JSON.stringify(result.statements.map(statementJson), null, 2)}\n`);
    expect(JSON.parse(written('json', []))).toEqual([]);
    const table = written('table');
    expect(table.startsWith(statementTable(result.statements))).toBe(true);
    expect(table.trimEnd().split('\n').at(-1)).toBe('2 statements, total 46,000.00 USD');
  });

  it('never writes to the data source', async () => {
    const db = await crm();
    const before = await scalar(db, sql`SELECT (SELECT count(*) FROM statements) + (SELECT count(*) FROM ledger)`);
    await simulate(plan(), db, { period: '2026-Q1' });
    expect(db.sqlite?.readonly).toBe(true);
    expect(await scalar(db, sql`SELECT (SELECT count(*) FROM statements) + (SELECT count(*) FROM ledger)`)).toBe(before);
    await db.close();
  });
});
