// `salesflow history [--format json] [--limit N]`: the plans `salesflow apply` recorded in the
// data source, newest first: when, which plan hash, which git commit, how many rules.
import { parseArgs } from 'node:util';
import { appliedPlanHistory } from '../../data/plans.js';
import { noAppliedPlanMessage, shortHash } from '../../runtime/applied-plan.js';
import { fail, loadConfigChecked, openData } from '../../runtime/session.js';

const USAGE = 'usage: salesflow history [--format text|json] [--limit N]   (DATABASE_URL from the environment)\n';

export async function run(args: string[]): Promise<number> {
  let values: { format?: string; limit?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args, allowPositionals: false,
      options: { format: { type: 'string', short: 'f' }, limit: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return fail(`history: ${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') return fail(`history: --format must be text or json, not "${format}"`);
  const limit = values.limit === undefined ? 1000 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) return fail(`history: --limit needs a positive whole number, got "${values.limit}"`);
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const db = await openData(config.value);
  if (!db.ok) return fail(db.message);
  let versions;
  try {
    versions = await appliedPlanHistory(db.value, limit);
  } finally {
    await db.value.close();
  }

  if (format === 'json') {
    const rows = versions.map(({ ruleHashes: _rules, ...v }, i) => ({ ...v, current: i === 0 }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (versions.length === 0) {
    process.stdout.write(`No applied plans: ${noAppliedPlanMessage(config.value)}\n`);
    return 0;
  }
  const table = [['VERSION', 'APPLIED AT', 'PLAN', 'GIT', 'RULES', ''],
    ...versions.map((v, i) => [
      String(v.version), v.appliedAt, shortHash(v.hash),
      v.gitCommit ? `${v.gitCommit.slice(0, 12)}${v.gitDirty ? ' dirty' : ''}` : '-',
      String(v.ruleCount), i === 0 ? '(applied)' : '',
    ])];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  process.stdout.write(`${table.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n')}\n`);
  return 0;
}
