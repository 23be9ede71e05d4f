// `salesflow status [--format json] [rule paths]`: which plan is applied (hash, git commit, when),
// and what the rules in the working copy (default rules/) would change: rules added, changed or
// removed, compared by each rule's content hash. Informational: exit 0 whatever it finds.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { appliedPlanHistory } from '../../data/plans.js';
import {
  type AppliedPlanInfo, dataSourceName, describeApplied, diffRules, noAppliedPlanMessage, type RuleDifference, ruleHashesOf, shortHash,
} from '../../runtime/applied-plan.js';
import { DEFAULT_RULE_PATHS, fail, loadConfigChecked, openData } from '../../runtime/session.js';

const USAGE = 'usage: salesflow status [--format text|json] [rule paths]   (DATABASE_URL from the environment)\n';

interface WorkingCopy {
  paths: string[];
  /** Null when the rules do not compile (then `problem` says why). */
  hash: string | null;
  problem: string | null;
  sameAsApplied: boolean;
  difference: RuleDifference | null;
}

export async function run(args: string[]): Promise<number> {
  let values: { format?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args, allowPositionals: true,
      options: { format: { type: 'string', short: 'f' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return fail(`status: ${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') return fail(`status: --format must be text or json, not "${format}"`);
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const db = await openData(config.value);
  if (!db.ok) return fail(db.message);
  let applied: AppliedPlanInfo | null;
  try {
    [applied = null] = await appliedPlanHistory(db.value, 1);
  } finally {
    await db.value.close();
  }
  const paths = positionals.length > 0 ? positionals : DEFAULT_RULE_PATHS;
  const working = await workingCopy(paths, applied);

  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ dataSource: dataSourceName(config.value), applied, workingCopy: working }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  if (applied) {
    lines.push(`Applied plan: ${describeApplied(applied)}`, `  from ${applied.rulePaths.join(' ')} (data source ${dataSourceName(config.value)})`);
  } else {
    lines.push(`No applied plan: ${noAppliedPlanMessage(config.value)}`);
  }
  lines.push('', ...describeWorkingCopy(working, applied));
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function workingCopy(paths: string[], applied: AppliedPlanInfo | null): Promise<WorkingCopy> {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    return { paths, hash: null, problem: `${missing.join(', ')} not found in ${process.cwd()}`, sameAsApplied: false, difference: null };
  }
  const { loadRules } = await import('../../dsl/index.js');
  const result = await loadRules(paths);
  if (!result.plan) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    return { paths, hash: null, problem: `the rules have ${errors} error(s); see "salesflow check ${paths.join(' ')}"`, sameAsApplied: false, difference: null };
  }
  const local = ruleHashesOf(result.plan);
  return {
    paths,
    hash: result.plan.hash,
    problem: null,
    sameAsApplied: applied?.hash === result.plan.hash,
    difference: diffRules(applied?.ruleHashes ?? {}, local),
  };
}

function describeWorkingCopy(working: WorkingCopy, applied: AppliedPlanInfo | null): string[] {
  const where = `Working copy (${working.paths.join(' ')})`;
  if (working.problem || !working.hash || !working.difference) return [`${where}: nothing to compare: ${working.problem}`];
  if (working.sameAsApplied) return [`${where}: plan ${shortHash(working.hash)}, the same as the applied plan.`];
  const d = working.difference;
  const lines = [`${where}: plan ${shortHash(working.hash)}, differs from the ${applied ? 'applied plan' : 'empty data source'}:`];
  for (const r of d.added) lines.push(`  + ${r.kind} "${r.name}"  (added)`);
  for (const r of d.changed) lines.push(`  ~ ${r.kind} "${r.name}"  (changed: applied ${shortHash(r.applied)}, working copy ${shortHash(r.local)})`);
  for (const r of d.removed) lines.push(`  - ${r.kind} "${r.name}"  (removed)`);
  if (d.added.length + d.changed.length + d.removed.length === 0) {
    lines.push('  every rule is the same; the plan-wide metric definitions differ');
  }
  lines.push(`  ${d.unchanged} rule(s) unchanged. "salesflow apply ${working.paths.join(' ')}" makes this the applied plan.`);
  return lines;
}
