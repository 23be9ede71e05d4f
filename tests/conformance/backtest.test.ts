// `salesflow backtest` through the built CLI, as a user runs it before merging a rule change: the
// command-line errors (exit 1, as every command), and a real replay of the fixture rules printing the JSON timeline
// while the data source file stays byte for byte the same.
import { createHash } from 'node:crypto';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { salesflow, workspace } from './cli.js';

const fixtures = new URL('../fixtures/backtest/', import.meta.url).pathname;

/** A folder with the fixture rules and a data source holding the fixture reps and deals. */
function project(): string {
  const dir = workspace();
  cpSync(join(fixtures, 'rules'), join(dir, 'rules'), { recursive: true });
  for (const kind of ['reps', 'deals']) {
    const run = salesflow(dir, ['import', '--kind', kind, join(fixtures, `${kind}.csv`)]);
    expect(run.code, run.stderr).toBe(0);
  }
  return dir;
}

describe('salesflow backtest: command-line errors', () => {
  it.each([
    [['--from', '2026-09-30', '--to', '2026-07-01'], /--from 2026-09-30 is after --to 2026-07-01/],
    [['--from', '2026-13-01', '--to', '2026-12-31'], /--from "2026-13-01" is not a date: expected YYYY-MM-DD/],
    [['--from', '2026-07-01', '--to', '30/09/2026'], /--to "30\/09\/2026" is not a date/],
    [['--to', '2026-09-30'], /--from is required/],
    [['--from', '2026-07-01', '--to', '2026-09-30', '--format', 'xml'], /--format must be table or json/],
  ])('%j exits 1 with a clear message', (args, message) => {
    const run = salesflow(workspace({ 'rules/empty.rules': '' }), ['backtest', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('an unknown --rule exits 1 and suggests the nearest name', () => {
    const run = salesflow(project(), ['backtest', '--from', '2026-07-01', '--to', '2026-07-31', '--rule', 'Fridy prep']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no rule named "Fridy prep"; did you mean "Friday prep"?');
  });
});

describe('salesflow backtest: a replayed month', () => {
  it('prints the JSON timeline of one rule and leaves the data source untouched', () => {
    const dir = project();
    const dbFile = join(dir, 'var', 'salesflow.db');
    const hash = () => createHash('sha256').update(readFileSync(dbFile)).digest('hex');
    const before = hash();

    const run = salesflow(dir, ['backtest', '--from', '2026-07-01', '--to', '2026-07-31', '--rule', 'friday prep', '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const timeline = JSON.parse(run.stdout) as Record<string, string>[];
    // Fridays of July 2026 at 15:00 in Tonga (UTC+13) and New York (EDT), nothing from other rules.
    const fridays = ['2026-07-03', '2026-07-10', '2026-07-17', '2026-07-24', '2026-07-31'];
    expect(timeline.map((e) => `${e.kind} ${e.rule} ${e.to} ${e.local} ${e.zone}`).sort()).toEqual(
      [
        ...fridays.map((d) => `email Friday prep nina@acme.example ${d}T15:00 America/New_York`),
        ...fridays.map((d) => `email Friday prep tevita@acme.example ${d}T15:00 Pacific/Tongatapu`),
      ].sort(),
    );
    // The replay's clock also moves with real time while work is in flight: `at` is exact to the minute.
    expect({ ...timeline[0], at: timeline[0].at.slice(0, 16) }).toEqual({
      kind: 'email', at: '2026-07-03T02:00', local: '2026-07-03T15:00', zone: 'Pacific/Tongatapu',
      rule: 'Friday prep', rep: 'r-tevita', to: 'tevita@acme.example', template: 'friday-prep', subject: 'Friday prep, Tevita Fifita',
    });
    expect(hash()).toBe(before);

    const table = salesflow(dir, ['backtest', '--from', '2026-07-01', '--to', '2026-07-31', '--rule', 'AE commission']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/2026-08-01 00:00 +statement +AE commission +r-nina +2026-07 +1400\.00 USD/);
    expect(table.stdout).toContain('0 email(s), 2 statement(s)');
  }, 120_000);
});
