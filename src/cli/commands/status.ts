// `salesflow status [--format json] [rule paths]`: which plan is applied (hash, git commit, when,
// which CRM mappings, which Temporal), and what the rules in the working copy (default rules/) would change: rules
// and CRM mappings added, changed or removed, compared by content hash; and the CRM changes webhooks
// rejected (since the last apply and ever), which would otherwise go unnoticed: their requests were
// answered with success. Informational: exit 0 whatever it finds.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type AppliedTemporal, appliedTemporal } from '../../data/applied-temporal.js';
import { type CrmRejection, crmRejectionSummary } from '../../data/crm-rejections.js';
import { latestAppliedPlan } from '../../data/plans.js';
import type { CrmMapping } from '../../plan/crm.js';
import {
  type AppliedPlanInfo, dataSourceName, describeApplied, diffMappings, diffRules, type MappingDifference, noAppliedPlanMessage,
  recordedCrmMappings, type RuleDifference, ruleHashesOf, shortHash,
} from '../../runtime/applied-plan.js';
import { describeTemporal } from '../../runtime/applied-temporal.js';
import { compileRules } from '../../runtime/compile-rules.js';
import { findRenames, type Rename, type RuleSeen, rulesSeenIn } from '../../renames/pairing.js';
import { addedBesideRemovedGoals, renameConsequence } from '../../runtime/renames.js';
import { DEFAULT_RULE_PATHS, fail, loadConfigChecked, noDataSourceFile, openData } from '../../runtime/session.js';

const USAGE = 'usage: salesflow status [--format text|json] [rule paths]   (DATABASE_URL from the environment)\n';

interface WorkingCopy {
  paths: string[];
  /** Null when the rules do not compile (then `problem` says why). */
  hash: string | null;
  problem: string | null;
  sameAsApplied: boolean;
  difference: RuleDifference | null;
  /** The CRM mappings (rules/crm/*.yaml) against the applied plan's, by name. */
  crmDifference: MappingDifference | null;
  /**
   * Rules of `difference.removed` and `difference.added` that are one rule renamed, otherwise the
   * same (they stay in both lists: to salesflow the new name is a new rule id).
   */
  renamed: Rename[];
}

/** CRM changes webhooks rejected: how many ever, since the applied plan was applied, and the newest. */
interface RejectedStatus { total: number; sinceApply: number; newest: CrmRejection[] }

/** The applied version as status shows it: with the names of the CRM mappings it carries. */
type AppliedStatus = AppliedPlanInfo & { crmMappings: string[] };

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
  let applied: AppliedStatus | null = null;
  let appliedCrm: CrmMapping[] = [];
  let appliedRules: RuleSeen[] = [];
  let rejected: RejectedStatus = { total: 0, sinceApply: 0, newest: [] };
  let temporal: AppliedTemporal | null = null;
  const db = noDataSourceFile(config.value) ? null : await openData(config.value);
  if (db && !db.ok) return fail(db.message);
  if (db) {
    try {
      const row = await latestAppliedPlan(db.value);
      if (row) {
        const { planJson, ...info } = row;
        appliedCrm = recordedCrmMappings(planJson);
        appliedRules = rulesSeenIn(JSON.parse(planJson));
        applied = { ...info, crmMappings: appliedCrm.map((m) => m.name) };
      }
      temporal = await appliedTemporal(db.value);
      const summary = await crmRejectionSummary(db.value, applied?.appliedAt ?? null);
      rejected = { total: summary.total, sinceApply: summary.since, newest: summary.newest };
    } finally {
      await db.value.close();
    }
  }
  const paths = positionals.length > 0 ? positionals : DEFAULT_RULE_PATHS;
  const working = await workingCopy(paths, applied, appliedCrm, appliedRules);

  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ dataSource: dataSourceName(config.value), applied, appliedTemporal: temporal, workingCopy: working, crmRejected: rejected }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  if (applied) {
    lines.push(
      `Applied plan: ${describeApplied(applied)}`,
      `  from ${applied.rulePaths.join(' ')} (data source ${dataSourceName(config.value)})`,
      `  CRM mappings: ${applied.crmMappings.length ? applied.crmMappings.join(', ') : 'none (built-in presets only)'}`,
      // status needs only DATABASE_URL: Temporal's defaults, where nothing names one, are compared with nothing.
      ...describeAppliedTemporal(temporal, process.env.TEMPORAL_ADDRESS || process.env.TEMPORAL_NAMESPACE ? config.value.temporal : null),
    );
  } else {
    lines.push(`No applied plan: ${noAppliedPlanMessage(config.value)}`);
  }
  lines.push('', ...describeWorkingCopy(working, applied));
  if (rejected.total > 0) lines.push('', ...describeRejected(rejected, applied !== null));
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * Where the schedules are (what worker, serve and events send must point at), and whether this
 * environment's TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE name it. Names only: status does not reach
 * Temporal, and the commands that do compare the namespace's id (another spelling of the address is fine).
 */
function describeAppliedTemporal(temporal: AppliedTemporal | null, here: { address: string; namespace: string } | null): string[] {
  if (!temporal) return ['  Temporal: not recorded (applied before salesflow recorded it; the next apply does)'];
  const line = `  Temporal: ${temporal.address}, namespace "${temporal.namespace}" (salesflow apply, ${temporal.appliedAt}): worker, serve and events send must use it`;
  if (!here || (temporal.address === here.address && temporal.namespace === here.namespace)) return [line];
  return [line, `  note: TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE here name ${describeTemporal(here)}; unless that is the same namespace by another address, worker, serve and events send refuse it`];
}

async function workingCopy(
  paths: string[], applied: AppliedPlanInfo | null, appliedCrm: CrmMapping[], appliedRules: RuleSeen[],
): Promise<WorkingCopy> {
  const nothing = { paths, hash: null, sameAsApplied: false, difference: null, crmDifference: null, renamed: [] };
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) return { ...nothing, problem: `${missing.join(', ')} not found in ${process.cwd()}` };
  const result = await compileRules(paths);
  if (!result.plan) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    return { ...nothing, problem: `the rules or CRM mappings have ${errors} error(s); see "salesflow check ${paths.join(' ')}"` };
  }
  const { crmMappingVersion } = await import('../../dsl/index.js');
  const versions = (crm: CrmMapping[]) => Object.fromEntries(crm.map((m) => [m.name, crmMappingVersion(m)]));
  const difference = diffRules(applied?.ruleHashes ?? {}, ruleHashesOf(result.plan));
  const ids = (rules: { id: string }[]) => new Set(rules.map((r) => r.id));
  const [removedIds, addedIds] = [ids(difference.removed), ids(difference.added)];
  return {
    paths,
    hash: result.plan.hash,
    problem: null,
    sameAsApplied: applied?.hash === result.plan.hash,
    difference,
    crmDifference: diffMappings(versions(appliedCrm), versions(result.plan.crm ?? [])),
    renamed: findRenames(
      appliedRules.filter((r) => removedIds.has(r.id)),
      rulesSeenIn(result.plan).filter((r) => addedIds.has(r.id)),
    ),
  };
}

function describeWorkingCopy(working: WorkingCopy, applied: AppliedPlanInfo | null): string[] {
  const where = `Working copy (${working.paths.join(' ')})`;
  if (working.problem || !working.hash || !working.difference || !working.crmDifference) return [`${where}: nothing to compare: ${working.problem}`];
  if (working.sameAsApplied) return [`${where}: plan ${shortHash(working.hash)}, the same as the applied plan.`];
  const d = working.difference;
  const crm = working.crmDifference;
  const lines = [`${where}: plan ${shortHash(working.hash)}, differs from the ${applied ? 'applied plan' : 'data source, where no plan is applied yet'}:`];
  const renamedFrom = new Set(working.renamed.map((r) => r.from.id));
  const renamedTo = new Set(working.renamed.map((r) => r.to.id));
  for (const r of d.added) if (!renamedTo.has(r.id)) lines.push(`  + ${r.kind} "${r.name}"  (added)`);
  for (const r of d.changed) lines.push(`  ~ ${r.kind} "${r.name}"  (changed: applied ${shortHash(r.applied)}, working copy ${shortHash(r.local)})`);
  for (const r of working.renamed) {
    lines.push(`  > ${r.kind} "${r.from.name}" renamed to "${r.to.name}"  (otherwise the same rule; a new rule id, ${r.to.id}: ${renameConsequence(r.kind)})`);
  }
  for (const r of d.removed) if (!renamedFrom.has(r.id)) lines.push(`  - ${r.kind} "${r.name}"  (removed)`);
  // A goal added while others go (a goal renamed and changed at once is one): both run this period.
  const removedGoals = d.removed.filter((r) => r.kind === 'goal' && !renamedFrom.has(r.id)).map((r) => r.name);
  for (const r of d.added) {
    if (r.kind === 'goal' && !renamedTo.has(r.id) && removedGoals.length > 0) lines.push(`  ! goal "${r.name}": ${addedBesideRemovedGoals(r.name, removedGoals)}`);
  }
  for (const name of crm.added) lines.push(`  + CRM mapping "${name}"  (added)`);
  for (const m of crm.changed) lines.push(`  ~ CRM mapping "${m.name}"  (changed: applied ${shortHash(m.applied)}, working copy ${shortHash(m.local)})`);
  for (const name of crm.removed) lines.push(`  - CRM mapping "${name}"  (removed)`);
  const changes = d.added.length + d.changed.length + d.removed.length + crm.added.length + crm.changed.length + crm.removed.length;
  if (changes === 0) lines.push('  every rule and CRM mapping is the same; the plan-wide metric definitions differ');
  const unchangedCrm = crm.unchanged ? `, ${crm.unchanged} CRM mapping(s)` : '';
  lines.push(`  ${d.unchanged} rule(s)${unchangedCrm} unchanged. "salesflow apply ${working.paths.join(' ')}" makes this the applied plan.`);
  return lines;
}

function describeRejected(rejected: RejectedStatus, applied: boolean): string[] {
  const since = applied ? `${rejected.sinceApply} since the applied plan was applied, ` : '';
  return [
    `Rejected CRM changes: ${since}${rejected.total} in all (left out of their webhook requests, whose other changes were taken). Newest:`,
    ...rejected.newest.map((r) => `  ${r.rejectedAt}  ${r.source} change ${r.vendorEventId} (${r.entity} ${r.recordId}): ${r.message}`),
    '  "salesflow crm rejected" lists them all (--source NAME for one CRM); once the cause is fixed, "salesflow crm retry" takes them.',
  ];
}
