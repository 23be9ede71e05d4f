// The applied plans: every version `salesflow apply` recorded, newest last. The newest row is the
// plan `serve`, `events send` and `payouts run` run by default, whatever folder they start in.
// Rows are never edited; re-applying the plan that is already applied records nothing.
//
// The functions are async although better-sqlite3 is not: callers already await them, so the
// move to the async data layer changes this file only.
import { prepared, type Db } from './db.js';

/** A rule's identity in an applied plan: enough to say what a later plan added, changed or removed. */
export interface RuleHash {
  name: string;
  kind: string;
  /** The rule's content hash (its `version` in the plan). */
  version: string;
}

export interface AppliedPlanInfo {
  /** 1, 2, 3… in the order applied. */
  version: number;
  hash: string;
  appliedAt: string;
  /** `git rev-parse HEAD` where the rules were, when they are in git. */
  gitCommit: string | null;
  /** Uncommitted changes under the rule paths at apply time; null outside git. */
  gitDirty: boolean | null;
  /** The rule paths given to apply, as typed. */
  rulePaths: string[];
  ruleCount: number;
  /** By rule id. */
  ruleHashes: Record<string, RuleHash>;
}

export interface AppliedPlanRow extends AppliedPlanInfo {
  /** The compiled plan as applied (JSON text, validated by the reader). */
  planJson: string;
}

export interface NewAppliedPlan {
  hash: string;
  planJson: string;
  ruleHashes: Record<string, RuleHash>;
  ruleCount: number;
  gitCommit: string | null;
  gitDirty: boolean | null;
  rulePaths: string[];
  appliedAt?: string;
}

interface Row {
  version: number; hash: string; plan?: string; rule_hashes: string; rule_count: number; applied_at: string;
  git_commit: string | null; git_dirty: number | null; rule_paths: string;
}

const infoColumns = 'version, hash, rule_hashes, rule_count, applied_at, git_commit, git_dirty, rule_paths';

function decode(row: Row): AppliedPlanInfo {
  return {
    version: row.version,
    hash: row.hash,
    appliedAt: row.applied_at,
    gitCommit: row.git_commit,
    gitDirty: row.git_dirty === null ? null : row.git_dirty !== 0,
    rulePaths: JSON.parse(row.rule_paths) as string[],
    ruleCount: row.rule_count,
    ruleHashes: JSON.parse(row.rule_hashes) as Record<string, RuleHash>,
  };
}

/** The applied plan's version and hash only: cheap enough to ask before every routed event. */
export async function appliedPlanHead(db: Db): Promise<{ version: number; hash: string } | null> {
  const row = prepared(db, 'SELECT version, hash FROM applied_plans ORDER BY version DESC LIMIT 1').get() as
    { version: number; hash: string } | undefined;
  return row ?? null;
}

/** The applied plan (the newest version), with its JSON. */
export async function latestAppliedPlan(db: Db): Promise<AppliedPlanRow | null> {
  const row = prepared(db, `SELECT ${infoColumns}, plan FROM applied_plans ORDER BY version DESC LIMIT 1`).get() as Row | undefined;
  return row ? { ...decode(row), planJson: row.plan! } : null;
}

/** Applied versions, newest first. */
export async function appliedPlanHistory(db: Db, limit = 1000): Promise<AppliedPlanInfo[]> {
  const rows = prepared(db, `SELECT ${infoColumns} FROM applied_plans ORDER BY version DESC LIMIT ?`).all(limit) as Row[];
  return rows.map(decode);
}

/**
 * Records `plan` as the applied plan unless it already is. The next version number is claimed by
 * its primary key: of two applies racing for it one inserts, the other reads again, so neither a
 * version nor an identical plan is ever recorded twice.
 */
export async function recordAppliedPlan(db: Db, plan: NewAppliedPlan): Promise<{ recorded: boolean; applied: AppliedPlanInfo }> {
  const insert = prepared(
    db,
    `INSERT INTO applied_plans (version, hash, plan, rule_hashes, rule_count, applied_at, git_commit, git_dirty, rule_paths)
     VALUES (@version, @hash, @plan, @ruleHashes, @ruleCount, @appliedAt, @gitCommit, @gitDirty, @rulePaths)
     ON CONFLICT (version) DO NOTHING`,
  );
  for (let attempt = 0; attempt < 20; attempt++) {
    const head = await appliedPlanHead(db);
    if (head && head.hash === plan.hash) return { recorded: false, applied: (await appliedPlanInfo(db, head.version))! };
    const version = (head?.version ?? 0) + 1;
    const result = insert.run({
      version,
      hash: plan.hash,
      plan: plan.planJson,
      ruleHashes: JSON.stringify(plan.ruleHashes),
      ruleCount: plan.ruleCount,
      appliedAt: plan.appliedAt ?? new Date().toISOString(),
      gitCommit: plan.gitCommit,
      gitDirty: plan.gitDirty === null ? null : plan.gitDirty ? 1 : 0,
      rulePaths: JSON.stringify(plan.rulePaths),
    });
    if (result.changes > 0) return { recorded: true, applied: (await appliedPlanInfo(db, version))! };
  }
  throw new Error('could not record the applied plan: the version kept being taken by concurrent applies');
}

export async function appliedPlanInfo(db: Db, version: number): Promise<AppliedPlanInfo | null> {
  const row = prepared(db, `SELECT ${infoColumns} FROM applied_plans WHERE version = ?`).get(version) as Row | undefined;
  return row ? decode(row) : null;
}
