// `salesflow compile [--format json] [--out FILE] [paths]`: print the checked plan as canonical
// JSON (sorted keys, so two runs over the same files give identical bytes), CRM mappings included:
// the plan and hash `salesflow apply` would record. Exit 1 on any error.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { canonicalJsonPretty, formatDiagnostics } from '../../dsl/index.js';
import { compileRules } from '../../runtime/compile-rules.js';

const USAGE = 'usage: salesflow compile [--format text|json] [--out FILE] [paths]   (default paths: rules/)';

export async function run(args: string[]): Promise<number> {
  let parsed: { values: { format?: string; out?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: {
        format: { type: 'string', short: 'f', default: 'text' },
        out: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`salesflow compile: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const format = parsed.values.format;
  if (format !== 'text' && format !== 'json') {
    process.stderr.write(`salesflow compile: --format must be text or json, not "${format}"\n${USAGE}\n`);
    return 1;
  }
  const { plan, diagnostics } = await compileRules(parsed.positionals);
  // The plan goes to stdout; diagnostics to stderr so `compile > plan.json` stays valid JSON.
  if (diagnostics.length > 0) process.stderr.write(formatDiagnostics(diagnostics, format));
  if (!plan) return 1;
  const json = canonicalJsonPretty(plan);
  if (parsed.values.out) {
    try {
      writeFileSync(parsed.values.out, json);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      process.stderr.write(`salesflow compile: cannot write ${parsed.values.out}: ${why}\n`);
      return 1;
    }
  } else process.stdout.write(json);
  return 0;
}
