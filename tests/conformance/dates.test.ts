// An impossible calendar date in a CSV row is a bad row (§8): reported with its line, nothing imported.
import { describe, expect, it } from 'vitest';
import { salesflow, workspace } from './cli.js';

describe('import rejects impossible dates (§4 date fields, §8 bad row)', () => {
  for (const date of ['2026-02-30', '2026-13-05']) {
    it(`deals closed_at ${date} → exit 1, line 2 named, nothing imported`, () => {
      const dir = workspace({ 'deals.csv': `id,rep,amount,currency,stage,closed_at\ng1,r1,100,USD,won,${date}\n` });
      const r = salesflow(dir, ['import', '--kind', 'deals', 'deals.csv']);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/deals\.csv:2\b/);
    });
  }
  it('reps start_date 2020-02-30 → exit 1', () => {
    const dir = workspace({ 'reps.csv': 'id,name,email,team,role,region,manager,timezone,start_date\nr9,x,x@x.example,T,AE,EU,m@x.example,UTC,2020-02-30\n' });
    const r = salesflow(dir, ['import', '--kind', 'reps', 'reps.csv']);
    expect(r.code).toBe(1);
  });
});
