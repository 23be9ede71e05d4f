// The demo data of `salesflow dev` (rules/demo) with the plans of rules/: split deals, EUR deals
// with rates and a mid-quarter hire load into an empty data source, and the Q3 statements the
// dev approval pages show name the splits, the conversions and the proration.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { statementsForPeriod } from '../../src/data/period-statements.js';
import { loadRules } from '../../src/dsl/index.js';
import type { IncentiveRule } from '../../src/plan/schema.js';
import { loadDemoData } from '../../src/runtime/demo-data.js';
import { tempDir } from '../data/tmp.js';

describe('demo data', () => {
  it('loads credits and rates, and the enterprise and manager plans use them', async () => {
    const db = await openDatabase(join(tempDir(), 'demo.db'));
    const load = await loadDemoData(db, ['rules/']);
    expect(load).toMatchObject({ loaded: true, counts: { reps: 12, credits: 6, rates: 3 } });
    const { plan } = await loadRules(['rules/']);
    const rule = (name: string) => plan!.rules.find((r): r is IncentiveRule => r.name === name)!;

    const enterprise = await statementsForPeriod(db, rule('Enterprise AEs FY26'), '2026-Q3');
    if (!enterprise.ok) throw new Error(enterprise.message);
    const felix = enterprise.statements.find((s) => s.rep === 'r-felix')!;
    expect(felix.credited?.map((c) => [c.deal, c.type, c.share, c.conversion?.rate ?? null])).toEqual([
      ['D-2009', 'revenue', '30', '1.08'], ['D-3001', 'own', '100', '1.08'], ['D-3002', 'revenue', '50', null], ['D-3004', 'revenue', '40', '1.1125'],
    ]);
    // 30% × 64,500 × 1.08 + 120,000 × 1.08 + 50% × 80,000 + 40% × 60,000 × 1.1125
    expect(felix.measure).toBe('217198.00');
    const zoe = enterprise.statements.find((s) => s.rep === 'r-zoe')!;
    expect(zoe.proration).toEqual({ fraction: '45/92', target: '250000.00', prorated: '122282.61', bounds: ['73369.57', '122282.61'] });

    const managers = await statementsForPeriod(db, rule('Sales managers FY26'), '2026-Q3');
    if (!managers.ok) throw new Error(managers.message);
    expect(managers.statements.find((s) => s.rep === 'r-maria')!.credited?.every((c) => c.type === 'team')).toBe(true);
    await db.close();
  });
});
