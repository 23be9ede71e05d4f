// Running rule test cases: each case folder's CSV fixtures are imported into a fresh temporary
// SQLite file, then the same statement code as `simulate` and the payout workflow computes the
// statement that is compared with the case's expectation.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { statementWindow } from '../payouts/facts.js';
import { closestName, selectIncentives } from '../payouts/rule-selection.js';
import { compareStatement, parseCaseFile, type TestCase } from '../payouts/test-case.js';
import type { Plan } from '../plan/schema.js';
import { openDatabase } from './db.js';
import { formatProblem, importCsv, importKinds } from './import.js';
import { duplicateKeys } from './json-duplicates.js';
import { parseJsonText, topLevelItemLines, valueLines } from './json-text.js';
import { statementsForPeriod } from './period-statements.js';
import { getRep, listReps } from './reps.js';

export interface CaseFolder {
  /** The folder holding case.json and the CSV fixtures. */
  dir: string;
  file: string;
}

export interface CaseResult {
  name: string;
  /** Where the case is written, for the report. */
  file: string;
  /** The line of case.json the case starts on; null when the file could not be read as cases. */
  line: number | null;
  ok: boolean;
  /** Why it failed: mismatch report, bad case file, fixture import problems. */
  report: string[];
  /** What the case names; null when its file could not be read as cases. */
  rule: string | null;
  period: string | null;
  rep: string | null;
}

/** Case folders beside rule paths: `<rules folder>/tests/<case>/case.json` (or `tests/case.json`). */
export function findCaseFolders(paths: string[]): CaseFolder[] {
  const found = new Map<string, CaseFolder>();
  const add = (dir: string, sub: boolean) => {
    const file = join(dir, 'case.json');
    // A case folder whose case file is misnamed (`cases.json`, `Case.json`) is still a case
    // folder: it is reported as one that does not read, not skipped as if it held no case.
    if (existsSync(file) || (sub && readdirSync(dir).some((f) => /\.(csv|json)$/i.test(f)))) found.set(file, { dir, file });
  };
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const dir = statSync(path).isDirectory() ? path : dirname(path);
    const tests = join(dir, 'tests');
    if (existsSync(tests) && statSync(tests).isDirectory()) {
      add(tests, false);
      for (const entry of readdirSync(tests, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.isDirectory()) add(join(tests, entry.name), true);
      }
    }
  }
  return [...found.values()];
}

function loadCases(folder: CaseFolder, shown: string): { ok: true; cases: TestCase[]; lines: number[]; valueLines: Map<string, number>; isArray: boolean } | { ok: false; messages: string[] } {
  if (!existsSync(folder.file)) {
    const json = readdirSync(folder.dir).filter((f) => /\.json$/i.test(f));
    const near = closestName('case.json', json);
    return { ok: false, messages: [`${shown}: no such file: a case folder holds its cases in case.json${near ? `; did you mean to name ${near} case.json?` : json.length ? ` (found ${json.join(', ')})` : ''}`] };
  }
  const json = parseJsonText(readFileSync(folder.file, 'utf8'), shown);
  if (!json.ok) return { ok: false, messages: [json.message] };
  const twice = duplicateKeys(json.text);
  if (twice.length) {
    return { ok: false, messages: twice.map((d) => `${shown}:${d.line}:${d.col}: "${d.key}" is given twice in one object; JSON keeps only the last, so the first would never be checked`) };
  }
  const parsed = parseCaseFile(json.value);
  const written = valueLines(json.text);
  const lines = topLevelItemLines(json.text, written);
  if (parsed.ok) return { ...parsed, lines, valueLines: written, isArray: Array.isArray(json.value) };
  // `case [4].expect.capped: ...` also names the line case [4] starts on, as a failing case does.
  return { ok: false, messages: parsed.messages.map((m) => {
    const index = /^case \[(\d+)\]/.exec(m)?.[1];
    const line = index ? lines[Number(index) - 1] : Array.isArray(json.value) ? undefined : lines[0];
    return `${shown}${line ? `:${line}` : ''}: ${m}`;
  }) };
}

/** Run every case of one folder against its own temporary data source. */
export async function runCaseFolder(plan: Plan, folder: CaseFolder, cwd = process.cwd()): Promise<CaseResult[]> {
  const shown = relative(cwd, folder.file) || folder.file;
  // Every message names the case file as the header does: relative to where salesflow runs.
  const loaded = loadCases(folder, shown);
  if (!loaded.ok) return [{ name: basename(folder.dir), file: shown, line: null, ok: false, report: loaded.messages, rule: null, period: null, rep: null }];
  const cases = loaded.cases;
  const { valueLines: written, isArray } = loaded;
  const nameOf = (c: TestCase, i: number) => c.name ?? (cases.length > 1 ? `${basename(folder.dir)}[${i + 1}]` : basename(folder.dir));
  const result = (c: TestCase, i: number, ok: boolean, report: string[]): CaseResult =>
    ({ name: nameOf(c, i), file: shown, line: loaded.lines[i] ?? null, ok, report, rule: c.rule, period: c.period, rep: c.rep });

  // A fixture file under another name (`rep.csv`, `Deals.csv`) would be left out without a word,
  // and every case would then fail (or, expecting nothing, pass) for a reason the author cannot see.
  const fixtureFiles = importKinds.map((kind) => `${kind}.csv`);
  const strays = readdirSync(folder.dir).filter((f) => /\.csv$/i.test(f) && !(fixtureFiles as string[]).includes(f));
  if (strays.length) {
    const report = strays.map((f) => {
      const near = closestName(f, fixtureFiles);
      return `${relative(cwd, join(folder.dir, f)) || f}: not a fixture file${near ? `; did you mean ${near}?` : ''} (fixture files: ${fixtureFiles.join(', ')})`;
    });
    return cases.map((c, i) => result(c, i, false, report));
  }

  // The import's advice on a rep or deal it does not know ("import reps first") is for a data
  // source filled by hand; here the fixture's own reps.csv and deals.csv are imported first, so
  // the advice names the file the rep or deal is missing from.
  const fixture = (name: string) => relative(cwd, join(folder.dir, name)) || name;
  const inFixture = (text: string) => text
    .replace(/ \(import reps (first|too)\)$/, ` (not in ${fixture('reps.csv')})`)
    .replace(/ \(import deals first\)$/, ` (not in ${fixture('deals.csv')})`);

  const tmp = mkdtempSync(join(tmpdir(), 'salesflow-test-'));
  const db = await openDatabase(join(tmp, 'case.db'));
  try {
    const problems: string[] = [];
    // What `import` would have warned about (a won deal without closed_at counts in no period):
    // shown under a failing case, where it is often the reason.
    const warnings: string[] = [];
    for (const kind of importKinds) {
      const csv = join(folder.dir, `${kind}.csv`);
      if (!existsSync(csv)) continue;
      const imported = await importCsv(db, kind, readFileSync(csv, 'utf8'), relative(cwd, csv) || csv);
      if (!imported.ok) problems.push(...imported.problems.map((p) => inFixture(formatProblem(p))));
      else warnings.push(...imported.warnings.map((w) => `${relative(cwd, csv) || csv}: ${inFixture(w)}`));
    }
    if (problems.length) {
      return cases.map((c, i) => result(c, i, false, ['fixture does not import:', ...problems]));
    }
    const results: CaseResult[] = [];
    for (const [i, c] of cases.entries()) results.push(await runCase(c, i));
    return results;
    async function runCase(c: TestCase, i: number): Promise<CaseResult> {
      // Which case of the file, by the fields that say what it tests: a folder's default name
      // (`team[2]`) alone does not say which rep failed.
      const at = cases.length > 1 ? `case [${i + 1}]` : 'case';
      const what = `${at}: rule "${c.rule}", period ${c.period}, rep ${c.rep}`;
      const fail = (report: string[]): CaseResult =>
        result(c, i, false, [what, ...report, ...(warnings.length ? ['fixture warnings:', ...warnings.map((w) => `  ${w}`)] : [])]);
      const selection = selectIncentives(plan, c.rule);
      if (!selection.ok) return fail([`rule: ${selection.message}`]);
      const rule = selection.rules[0];
      // A rep id that is not in the fixture is a typo in the case (or a missing reps.csv): with
      // `"expect": null` it would pass whatever the rule selects.
      if (!(await getRep(db, c.rep))) {
        return fail([`rep: no rep "${c.rep}" in ${relative(cwd, join(folder.dir, 'reps.csv')) || 'reps.csv'}${await nearestRep(c.rep)}`]);
      }
      const window = statementWindow(rule, c.period);
      if (!window.ok) return fail([`period: ${window.message}`]);
      const computed = await statementsForPeriod(db, rule, c.period);
      if (!computed.ok) return fail([computed.message]);
      const statement = computed.statements.find((s) => s.rep === c.rep) ?? null;
      // A mismatch of one expectation names the line it is written on, as a check diagnostic does.
      const writtenAt = (path: string[]) => {
        const line = written.get([...(isArray ? [String(i)] : []), 'expect', ...path].join('/'));
        return line ? `${shown}:${line}: ` : '';
      };
      const mismatch = compareStatement(c.expect, statement, c.rep, writtenAt);
      return mismatch ? fail(mismatch.report) : result(c, i, true, []);
    }
    async function nearestRep(id: string): Promise<string> {
      const ids = (await listReps(db)).map((r) => r.id);
      if (ids.length === 0) return ' (the fixture has no reps)';
      const near = closestName(id, ids);
      return near ? `; did you mean "${near}"?` : '';
    }
  } finally {
    await db.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
