// `salesflow history [--format json] [--limit N]`: the plans `salesflow apply` recorded in the
// data source, newest first: when, which plan hash, which git commit, how many rules, and what each
// version changed from the one before it (rules and CRM mappings added, changed, removed).
import { parseArgs } from 'node:util';
import { appliedPlanHistoryReading } from '../../data/plans.js';
import { noAppliedPlanMessage, shortHash } from '../../runtime/applied-plan.js';
import { changeItems, recordedContents, type RecordedContents, type VersionChanges, versionChanges } from '../../runtime/plan-changes.js';
import { fail, loadConfigChecked, noDataSourceFile, openData } from '../../runtime/session.js';

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
  // No SQLite file there: nothing was applied to it, and reading creates none.
  const db = noDataSourceFile(config.value) ? null : await openData(config.value);
  if (db && !db.ok) return fail(db.message);
  let read: Awaited<ReturnType<typeof appliedPlanHistoryReading<RecordedContents>>> = [];
  if (db) {
    try {
      // One more than shown: the oldest version shown is compared with the one applied before it.
      read = await appliedPlanHistoryReading(db.value, limit + 1, recordedContents);
    } finally {
      await db.value.close();
    }
  }
  const versions = read.slice(0, limit).map(({ ruleHashes: _rules, read: _contents, ...v }, i) => ({
    ...v, current: i === 0, changes: versionChanges(read[i + 1] ?? null, read[i]),
  }));

  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(versions, null, 2)}\n`);
    return 0;
  }
  if (versions.length === 0) {
    process.stdout.write(`No applied plans: ${noAppliedPlanMessage(config.value)}\n`);
    return 0;
  }
  const table = [['VERSION', 'APPLIED AT', 'PLAN', 'GIT', 'RULES', ''],
    ...versions.map((v) => [
      String(v.version), v.appliedAt, shortHash(v.hash),
      v.gitCommit ? `${v.gitCommit.slice(0, 12)}${v.gitDirty ? ' dirty' : ''}` : '-',
      String(v.ruleCount), v.current ? '(applied)' : '',
    ])];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  // The changes go on lines of their own under each version, not in a column: the first version
  // lists every rule, which would push a column far past any terminal's width.
  const indent = ' '.repeat(widths[0] + 2);
  const lines = [line(table[0])];
  versions.forEach((v, i) => lines.push(line(table[i + 1]), ...changeLines(v.changes, indent)));
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** Wide enough for a CI log, narrow enough for a terminal. */
const CHANGES_WIDTH = 100;

/** The change items joined by "; ", wrapped between items (never inside a rule name) to CHANGES_WIDTH. */
function changeLines(changes: VersionChanges, indent: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const item of changeItems(changes)) {
    const joined = current ? `${current}; ${item}` : item;
    if (current && indent.length + joined.length > CHANGES_WIDTH) {
      lines.push(`${indent}${current};`);
      current = item;
    } else {
      current = joined;
    }
  }
  lines.push(`${indent}${current}`);
  return lines;
}
