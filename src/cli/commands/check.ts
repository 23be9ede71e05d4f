// `salesflow check [--format text|json] [paths]`: parse and check rules and templates (SPEC §7).
// Exit 0 when there are no errors (warnings allowed), 1 otherwise. Imports only the DSL, which
// loads Chevrotain's bundle and no zod, to keep the cold start small.
import { parseArgs } from 'node:util';
import { mappingFiles } from '../../connectors/mapping/files.js';
import { checkRules, formatDiagnostics } from '../../dsl/index.js';

const USAGE = 'usage: salesflow check [--format text|json] [paths]   (default paths: rules/)';

export async function run(args: string[]): Promise<number> {
  let parsed: { values: { format?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: { format: { type: 'string', short: 'f', default: 'text' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`salesflow check: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const format = parsed.values.format;
  if (format !== 'text' && format !== 'json') {
    process.stderr.write(`salesflow check: --format must be text or json, not "${format}"\n`);
    return 1;
  }
  const rules = checkRules(parsed.positionals);
  // CRM mappings (rules/crm/*.yaml) are checked with the rules they feed (docs/crm.md); their
  // loader (and the YAML parser) is loaded only when there are mapping files, to keep start-up small.
  const crm = mappingFiles(parsed.positionals).length > 0
    ? (await import('../../connectors/mapping/load.js')).loadMappings(parsed.positionals)
    : { diagnostics: [], files: 0 };
  const diagnostics = [...rules.diagnostics, ...crm.diagnostics];
  const files = rules.files + crm.files;
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  process.stdout.write(formatDiagnostics(diagnostics, format));
  if (format === 'text') {
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    process.stderr.write(`${plural(files, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  }
  return errors > 0 ? 1 : 0;
}
