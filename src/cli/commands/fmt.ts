// `salesflow fmt [--check] [paths]`: rewrite rule files in the canonical layout, or with --check
// only list the files that are not (exit 1). Files with syntax errors are reported and left alone.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatDiagnostics, formatSource, listRuleFiles } from '../../dsl/index.js';

const USAGE = 'usage: salesflow fmt [--check] [paths]   (default paths: rules/)';

export async function run(args: string[]): Promise<number> {
  let parsed: { values: { check?: boolean; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`salesflow fmt: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { files, diagnostics: missing } = listRuleFiles(parsed.positionals);
  let failed = missing.some((d) => d.severity === 'error');
  if (missing.length > 0) process.stderr.write(formatDiagnostics(missing, 'text'));
  const unformatted: string[] = [];
  for (const file of files) {
    const text = readFileSync(file.absolute, 'utf8');
    let result: ReturnType<typeof formatSource>;
    try {
      result = formatSource(text, file.path);
    } catch (err) {
      // The formatter refused its own output (it would have changed the rules' meaning): a bug,
      // reported per file so the other files are still formatted.
      process.stderr.write(`salesflow fmt: ${file.path}: ${(err as Error).message}\n`);
      failed = true;
      continue;
    }
    if (result.formatted === null) {
      process.stderr.write(formatDiagnostics(result.diagnostics, 'text'));
      failed = true;
      continue;
    }
    if (result.formatted === text) continue;
    unformatted.push(file.path);
    if (!parsed.values.check) writeFileSync(file.absolute, result.formatted);
  }
  if (parsed.values.check) {
    for (const path of unformatted) process.stdout.write(`${path}\n`);
    return failed || unformatted.length > 0 ? 1 : 0;
  }
  for (const path of unformatted) process.stdout.write(`formatted ${path}\n`);
  return failed ? 1 : 0;
}
