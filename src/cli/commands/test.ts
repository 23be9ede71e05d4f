// `salesflow test [paths]`: rule test cases kept beside the rules (`rules/tests/<case>/`, see
// docs/testing-rules.md), reported like `opa test`: ok/FAIL per case, a diff when one fails,
// exit 1 when any fails.
import { parseArgs } from 'node:util';
import { findCaseFolders, runCaseFolder, type CaseResult } from '../../data/rule-tests.js';
import { rulesOrDiagnostics } from '../../runtime/compile-rules.js';

const USAGE = 'usage: salesflow test [paths]   (cases in <rules folder>/tests/<case>/case.json)';

export async function run(args: string[]): Promise<number> {
  let positionals: string[];
  let values: { help?: boolean };
  try {
    ({ values, positionals } = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`salesflow test: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  const paths = positionals.length ? positionals : ['rules/'];

  const plan = await rulesOrDiagnostics(paths);
  if (!plan) return 1;
  const folders = findCaseFolders(paths);
  if (folders.length === 0) {
    process.stderr.write(`salesflow test: no test cases found (looked for tests/<case>/case.json beside ${paths.join(', ')}; see docs/testing-rules.md)\n`);
    return 0;
  }

  const results: CaseResult[] = [];
  for (const folder of folders) {
    for (const result of await runCaseFolder(plan, folder)) {
      results.push(result);
      process.stdout.write(`${result.ok ? 'ok  ' : 'FAIL'}  ${result.name}  (${result.file})\n`);
      for (const line of result.report) process.stdout.write(`        ${line}\n`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`${'-'.repeat(72)}\n`);
  process.stdout.write(failed ? `FAIL: ${failed}/${results.length}\n` : `PASS: ${results.length}/${results.length}\n`);
  return failed ? 1 : 0;
}
