// The applied plan is the one truth: `apply` records the compiled plan (rules and CRM mappings) in
// the data source, and `serve`, `events send`, `payouts run` and `import --source` run that plan,
// whatever folder they start in.
// Rule paths on their command line are a trial of a local change: they run those rules instead and
// say so. A long-running `serve` asks the data source for the applied plan's hash before each use
// (one indexed row), so a new apply takes effect without a restart.
import { resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Db } from '../data/db.js';
import { redact } from '../data/source.js';
import {
  type AppliedPlanInfo, appliedPlanHead, latestAppliedPlan, recordAppliedPlan, type RuleHash,
} from '../data/plans.js';
import { crmPresetNames } from '../plan/catalog.js';
import type { CrmMapping } from '../plan/crm.js';
import { Plan } from '../plan/schema.js';
import { planSourceFiles } from './compile-rules.js';
import { gitStateOf, notInCommitWarning } from './git-state.js';
import type { TemporalClient } from './client.js';
import { connect, DEFAULT_RULE_PATHS, type Loaded, loadPlan, noDataSourceFile, openData } from './session.js';

export type { AppliedPlanInfo, RuleHash } from '../data/plans.js';

/** What a command runs, and where it came from. */
export interface PlanInUse {
  plan: Plan;
  /** The applied version when the plan was read from the data source; null for a trial of rule paths. */
  applied: AppliedPlanInfo | null;
  /** Set for a trial: the sentence the command prints (it is not running the applied plan). */
  notice: string | null;
}

export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

export function ruleHashesOf(plan: Plan): Record<string, RuleHash> {
  return Object.fromEntries(plan.rules.map((r) => [r.id, { name: r.name, kind: r.kind, version: r.version }]));
}

/**
 * Records `plan` (compiled from `paths`) as the applied plan unless it already is; git state
 * included. `gitWarning` says why rules in a git work tree were recorded without their commit, or
 * which files read the recorded commit does not hold; null when the commit tells the whole story.
 */
export async function recordPlan(
  db: Db, plan: Plan, paths: string[],
): Promise<{ recorded: boolean; applied: AppliedPlanInfo; gitWarning: string | null }> {
  const rulePaths = paths.length > 0 ? paths : DEFAULT_RULE_PATHS;
  const { state: git, problem } = gitStateOf(rulePaths, process.cwd(), 'git', await planSourceFiles(rulePaths));
  const result = await recordAppliedPlan(db, {
    hash: plan.hash,
    planJson: JSON.stringify(plan),
    ruleHashes: ruleHashesOf(plan),
    ruleCount: plan.rules.length,
    gitCommit: git?.commit ?? null,
    gitDirty: git ? git.dirty : null,
    rulePaths,
  });
  const gitWarning = problem ? `${problem}; the applied plan records no git commit` : git ? notInCommitWarning(git) : null;
  return { ...result, gitWarning };
}

/** One line about an applied version: `version 3, plan 1a2b…, git abc123 (dirty), applied 2026-…`. */
export function describeApplied(info: AppliedPlanInfo): string {
  const git = info.gitCommit ? `git ${info.gitCommit.slice(0, 12)}${info.gitDirty ? ' with uncommitted changes' : ''}` : 'no git commit';
  return `version ${info.version}, plan ${shortHash(info.hash)}, ${info.ruleCount} rule(s), ${git}, applied ${info.appliedAt}`;
}

/**
 * The data source as shown to people: a PostgreSQL URL without its password, a SQLite path made
 * absolute (the default DATABASE_URL is relative, and another folder is the usual surprise).
 */
export function dataSourceName(config: Pick<Config, 'databasePath'>): string {
  const target = config.databasePath;
  if (target.includes('://')) return redact(target);
  return target === ':memory:' ? target : resolve(target);
}

export function noAppliedPlanMessage(config: Pick<Config, 'databasePath'>): string {
  return `no plan has been applied to the data source ${dataSourceName(config)} yet: run "salesflow apply [rule paths]" ` +
    '(every process must share DATABASE_URL; or give rule paths to try rules without applying them)';
}

/** The applied plan as recorded, checked against the plan schema (a newer salesflow may have written it). */
export async function readAppliedPlan(db: Db): Promise<{ plan: Plan; info: AppliedPlanInfo } | null> {
  const row = await latestAppliedPlan(db);
  if (!row) return null;
  const parsed = Plan.safeParse(JSON.parse(row.planJson));
  if (!parsed.success) {
    throw new AppliedPlanError(
      `the applied plan (version ${row.version}, ${shortHash(row.hash)}) is not a plan this salesflow can run: ` +
        `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}; upgrade salesflow or apply again`,
    );
  }
  const { planJson: _json, ...info } = row;
  return { plan: parsed.data, info };
}

/** A problem with what is recorded (not a bug): the command prints it and exits 1. */
export class AppliedPlanError extends Error {}

/**
 * The plan a command runs: the applied one, or, when rule paths are given, those rules as a trial
 * (with the notice saying it is not the applied plan and which hash runs instead).
 */
export async function planToRun(db: Db, config: Pick<Config, 'databasePath'>, paths: string[]): Promise<Loaded<PlanInUse>> {
  if (paths.length > 0) {
    const local = await loadPlan(paths);
    if (!local.ok) return local;
    const head = await appliedPlanHead(db);
    return { ok: true, value: { plan: local.value, applied: null, notice: trialNotice(local.value, paths, head) } };
  }
  let applied;
  try {
    applied = await readAppliedPlan(db);
  } catch (err) {
    if (err instanceof AppliedPlanError) return { ok: false, message: err.message };
    throw err;
  }
  if (!applied) return { ok: false, message: noAppliedPlanMessage(config) };
  return { ok: true, value: { plan: applied.plan, applied: applied.info, notice: null } };
}

/**
 * The data source, the plan to run and a Temporal connection, in that order: a missing applied
 * plan is reported before Temporal is tried. Whatever was opened is closed again on a failure.
 */
export async function openWithPlan(
  config: Config, paths: string[],
): Promise<Loaded<{ db: Db; temporal: TemporalClient; plan: PlanInUse }>> {
  // Without rule paths only an applied plan runs, and a SQLite file that is not there holds none:
  // said without creating an empty database in the folder this was started from.
  if (paths.length === 0 && noDataSourceFile(config)) return { ok: false, message: noAppliedPlanMessage(config) };
  const db = await openData(config);
  if (!db.ok) return db;
  const plan = await planToRun(db.value, config, paths).catch(async (err: unknown) => {
    await db.value.close();
    throw err;
  });
  if (!plan.ok) {
    await db.value.close();
    return plan;
  }
  const temporal = await connect(config);
  if (!temporal.ok) {
    await db.value.close();
    return temporal;
  }
  return { ok: true, value: { db: db.value, temporal: temporal.value, plan: plan.value } };
}

function trialNotice(plan: Plan, paths: string[], head: { version: number; hash: string } | null): string {
  const running = `NOT running the applied plan: running plan ${shortHash(plan.hash)} from ${paths.join(' ')}`;
  const applied = !head
    ? 'no plan has been applied yet'
    : head.hash === plan.hash
      ? `the same content as the applied plan, version ${head.version}`
      : `the applied plan is ${shortHash(head.hash)}, version ${head.version}`;
  return `${running} (${applied}); runs started here record plan ${shortHash(plan.hash)}. ` +
    `"salesflow apply ${paths.join(' ')}" makes these rules the applied plan.`;
}

/**
 * The applied plan for a long-running process: each `current()` compares the recorded head with
 * the one it holds and reads the plan again only when another apply recorded a new version.
 */
export class AppliedPlanSource {
  private held: { plan: Plan; info: AppliedPlanInfo } | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: Pick<Config, 'databasePath'>,
    /** Told when a newer applied plan is picked up (serve logs it). */
    private readonly onChange?: (info: AppliedPlanInfo, previous: AppliedPlanInfo, plan: Plan) => void,
  ) {}

  async current(): Promise<{ plan: Plan; info: AppliedPlanInfo }> {
    const head = await appliedPlanHead(this.db);
    if (!head) throw new AppliedPlanError(noAppliedPlanMessage(this.config));
    if (this.held?.info.version === head.version) return this.held;
    const read = await readAppliedPlan(this.db);
    if (!read) throw new AppliedPlanError(noAppliedPlanMessage(this.config));
    const previous = this.held?.info ?? null;
    this.held = read;
    if (previous) this.onChange?.(read.info, previous, read.plan);
    return read;
  }
}

/**
 * Which CRM mappings a plan carries, for serve's log: each with the file it came from; CRMs
 * without one are served by their built-in presets.
 */
export function describeCrmMappings(plan: Plan): string {
  const crm = plan.crm ?? [];
  if (crm.length === 0) {
    return 'CRM mappings: none in this plan (HubSpot, Salesforce and Zoho CRM webhooks use the built-in presets; ' +
      '/webhooks/generic/NAME answers only for a rules/crm/NAME.yaml in the plan)';
  }
  const presetsLeft = crmPresetNames.filter((p) => !crm.some((m) => m.name === p || m.preset === p));
  return `CRM mappings: ${crm.map((m) => `${m.name} (${m.file})`).join(', ')}` +
    (presetsLeft.length ? `; ${presetsLeft.join(', ')} use${presetsLeft.length === 1 ? 's' : ''} the built-in preset` : '');
}

/**
 * The CRM mappings an applied plan recorded, by name, from its JSON as stored: read without the plan
 * schema, so `status` can compare even a plan a newer salesflow wrote. None for plans applied
 * before mappings were part of the plan.
 */
export function recordedCrmMappings(planJson: string): CrmMapping[] {
  return crmMappingsIn(JSON.parse(planJson));
}

/** recordedCrmMappings of a recorded plan already parsed (history reads the rest of it too). */
export function crmMappingsIn(recordedPlan: unknown): CrmMapping[] {
  const crm = (recordedPlan as { crm?: unknown } | null)?.crm;
  return Array.isArray(crm) ? crm.filter((m): m is CrmMapping => typeof m === 'object' && m !== null && typeof (m as CrmMapping).name === 'string') : [];
}

export interface MappingDifference {
  added: string[];
  changed: { name: string; applied: string; local: string }[];
  removed: string[];
  unchanged: number;
}

/** Entries of the working copy against the applied plan's, by key: added, changed (same key, other version), removed. */
function diffByKey<T>(applied: Record<string, T>, local: Record<string, T>, versionOf: (entry: T) => string) {
  const added: [string, T][] = [];
  const changed: [string, T, T][] = [];
  const removed: [string, T][] = [];
  let unchanged = 0;
  for (const [key, entry] of Object.entries(local)) {
    const before = applied[key];
    if (before === undefined) added.push([key, entry]);
    else if (versionOf(before) !== versionOf(entry)) changed.push([key, before, entry]);
    else unchanged++;
  }
  for (const [key, entry] of Object.entries(applied)) if (!(key in local)) removed.push([key, entry]);
  return { added, changed, removed, unchanged };
}

/** What the working copy's CRM mappings change against the applied plan's, by name and content hash. */
export function diffMappings(applied: Record<string, string>, local: Record<string, string>): MappingDifference {
  const d = diffByKey(applied, local, (version) => version);
  return {
    added: d.added.map(([name]) => name).sort(),
    changed: d.changed.map(([name, before, after]) => ({ name, applied: before, local: after })).sort((a, b) => a.name.localeCompare(b.name)),
    removed: d.removed.map(([name]) => name).sort(),
    unchanged: d.unchanged,
  };
}

/** A rule in a difference: its id beside what the plan records of it. */
export type RuleRef = RuleHash & { id: string };

export interface RuleDifference {
  added: RuleRef[];
  changed: { id: string; name: string; kind: string; applied: string; local: string }[];
  removed: RuleRef[];
  unchanged: number;
}

/** What the working copy's rules change against the applied plan, rule by rule (by id and content hash). */
export function diffRules(applied: Record<string, RuleHash>, local: Record<string, RuleHash>): RuleDifference {
  const d = diffByKey(applied, local, (rule) => rule.version);
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  return {
    added: d.added.map(([id, rule]) => ({ id, ...rule })).sort(byName),
    changed: d.changed.map(([id, before, rule]) => ({ id, name: rule.name, kind: rule.kind, applied: before.version, local: rule.version })).sort(byName),
    removed: d.removed.map(([id, rule]) => ({ id, ...rule })).sort(byName),
    unchanged: d.unchanged,
  };
}
