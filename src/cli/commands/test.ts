// `salesflow test [--format text|json] [paths]`: rule test cases kept beside the rules
// (`rules/tests/<case>/case.json`, see docs/testing-rules.md), reported like `opa test`: ok/FAIL
// per case, a diff when one fails, exit 1 when any fails; or as one JSON array for CI.
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgsOnce } from '../parse-args.js';
import { findCaseFolders, runCaseFolder, type CaseResult } from '../../data/rule-tests.js';
import { rulesOrDiagnostics } from '../../runtime/compile-rules.js';

const USAGE = 'usage: salesflow test [--format text|json] [paths]   (cases in <rules folder>/tests/<case>/case.json)';

/** The rules folder a path of cases belongs to (`rules/tests/x` or `rules/tests` → `rules`), else null. */
function rulesFolderOf(path: string): string | null {
  const full = resolve(path);
  if (basename(full) === 'tests' && findCaseFolders([dirname(full)]).length > 0) return dirname(full);
  if (existsSync(join(full, 'case.json')) && basename(dirname(full)) === 'tests') return dirname(dirname(full));
  return null;
}

/** One case in `--format json`: what it names, whether it passed, and why not (the text report's lines). */
function caseJson(r: CaseResult) {
  return { name: r.name, file: r.file, line: r.line, rule: r.rule, period: r.period, rep: r.rep, ok: r.ok, messages: r.report };
}

export async function run(args: string[]): Promise<number> {
  let positionals: string[];
  let values: { help?: boolean; format?: string };
  try {
    ({ values, positionals } = parseArgsOnce({
      args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' }, format: { type: 'string' } },
    }));
  } catch (err) {
    process.stderr.write(`salesflow test: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') {
    process.stderr.write(`salesflow test: --format must be text or json, not "${format}"\n${USAGE}\n`);
    return 1;
  }
  const paths = positionals.length ? positionals : ['rules/'];

  // Rules with errors: their diagnostics on stderr (as text; `check --format json` gives them as
  // JSON), nothing on stdout, exit 1.
  const plan = await rulesOrDiagnostics(paths);
  if (!plan) return 1;
  const folders = findCaseFolders(paths);
  if (folders.length === 0) {
    process.stderr.write(`salesflow test: no test cases found (looked for tests/<case>/case.json beside ${paths.join(', ')}; see docs/testing-rules.md)\n`);
    // `salesflow test rules/tests/commission`: the path of a case folder, where no rules are.
    // A path of cases (`salesflow test rules/tests/commission`) is a mistake, not "no tests": exit
    // 1, so a CI job given it does not pass green having run nothing.
    let misplaced = false;
    for (const path of paths) {
      const rules = rulesFolderOf(path);
      if (rules === null) continue;
      misplaced = true;
      process.stderr.write(`salesflow test: ${path} holds test cases; give the rules folder they test instead: salesflow test ${relative(process.cwd(), rules) || '.'}\n`);
    }
    if (format === 'json') process.stdout.write('[]\n');
    return misplaced ? 1 : 0;
  }

  const results: CaseResult[] = [];
  for (const folder of folders) {
    for (const result of await runCaseFolder(plan, folder)) {
      results.push(result);
      if (format === 'json') continue;
      process.stdout.write(`${result.ok ? 'ok  ' : 'FAIL'}  ${result.name}  (${result.file}${result.line ? `:${result.line}` : ''})\n`);
      for (const line of result.report) process.stdout.write(`        ${line}\n`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(results.map(caseJson), null, 2)}\n`);
    return failed ? 1 : 0;
  }
  process.stdout.write(`${'-'.repeat(72)}\n`);
  process.stdout.write(failed ? `FAIL: ${failed}/${results.length}\n` : `PASS: ${results.length}/${results.length}\n`);
  return failed ? 1 : 0;
}
