// The applied plans: every version `salesflow apply` recorded, newest last. The newest row is the
// plan `serve`, `events send` and `payouts run` run by default, whatever folder they start in.
// Rows are never edited; re-applying the plan that is already applied records nothing.
import type { Db } from './db.js';
import { streamRows } from './dialect.js';

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

const infoColumns = ['version', 'hash', 'rule_hashes', 'rule_count', 'applied_at', 'git_commit', 'git_dirty', 'rule_paths'] as const;

interface InfoRow {
  version: unknown; hash: string; rule_hashes: string; rule_count: unknown; applied_at: string;
  git_commit: string | null; git_dirty: unknown; rule_paths: string;
}

// Integers are int8 on PostgreSQL, which `pg` returns as text.
function decode(row: InfoRow): AppliedPlanInfo {
  return {
    version: Number(row.version),
    hash: row.hash,
    appliedAt: row.applied_at,
    gitCommit: row.git_commit,
    gitDirty: row.git_dirty === null ? null : Number(row.git_dirty) !== 0,
    rulePaths: JSON.parse(row.rule_paths) as string[],
    ruleCount: Number(row.rule_count),
    ruleHashes: JSON.parse(row.rule_hashes) as Record<string, RuleHash>,
  };
}

/** The applied plan's version and hash only: cheap enough to ask before every routed event. */
export async function appliedPlanHead(db: Db): Promise<{ version: number; hash: string } | null> {
  const row = await db.kysely.selectFrom('applied_plans').select(['version', 'hash']).orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row ? { version: Number(row.version), hash: row.hash } : null;
}

/** The applied plan (the newest version), with its JSON. */
export async function latestAppliedPlan(db: Db): Promise<AppliedPlanRow | null> {
  const row = await db.kysely.selectFrom('applied_plans').select([...infoColumns, 'plan']).orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row ? { ...decode(row), planJson: row.plan } : null;
}

/** Applied versions, newest first. */
export async function appliedPlanHistory(db: Db, limit = 1000): Promise<AppliedPlanInfo[]> {
  const rows = await db.kysely.selectFrom('applied_plans').select([...infoColumns]).orderBy('version', 'desc').limit(limit).execute();
  return rows.map(decode);
}

/**
 * Applied versions, newest first, each with what `readPlan` takes from its plan JSON. The plans are
 * read as they stream by and only what `readPlan` returns is kept, so a long history never holds
 * every version's plan JSON at once.
 */
export async function appliedPlanHistoryReading<T>(
  db: Db, limit: number, readPlan: (planJson: string) => T,
): Promise<(AppliedPlanInfo & { read: T })[]> {
  const query = db.kysely.selectFrom('applied_plans').select([...infoColumns, 'plan']).orderBy('version', 'desc').limit(limit).compile();
  const versions: (AppliedPlanInfo & { read: T })[] = [];
  for await (const batch of streamRows(db, query, 50)) {
    for (const cells of batch) {
      const row = Object.fromEntries(infoColumns.map((column, i) => [column, cells[i]])) as unknown as InfoRow;
      versions.push({ ...decode(row), read: readPlan(cells[infoColumns.length] as string) });
    }
  }
  return versions;
}

export async function appliedPlanInfo(db: Db, version: number): Promise<AppliedPlanInfo | null> {
  const row = await db.kysely.selectFrom('applied_plans').select([...infoColumns]).where('version', '=', version).executeTakeFirst();
  return row ? decode(row) : null;
}

/**
 * Records `plan` as the applied plan unless it already is. The next version number is claimed by
 * its primary key: of two applies racing for it one inserts, the other reads again, so neither a
 * version nor an identical plan is ever recorded twice.
 */
export async function recordAppliedPlan(db: Db, plan: NewAppliedPlan): Promise<{ recorded: boolean; applied: AppliedPlanInfo }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const head = await appliedPlanHead(db);
    if (head && head.hash === plan.hash) return { recorded: false, applied: (await appliedPlanInfo(db, head.version))! };
    const version = (head?.version ?? 0) + 1;
    const result = await db.kysely.insertInto('applied_plans').values({
      version,
      hash: plan.hash,
      plan: plan.planJson,
      rule_hashes: JSON.stringify(plan.ruleHashes),
      rule_count: plan.ruleCount,
      applied_at: plan.appliedAt ?? new Date().toISOString(),
      git_commit: plan.gitCommit,
      git_dirty: plan.gitDirty === null ? null : plan.gitDirty ? 1 : 0,
      rule_paths: JSON.stringify(plan.rulePaths),
    }).onConflict((oc) => oc.column('version').doNothing()).executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return { recorded: true, applied: (await appliedPlanInfo(db, version))! };
  }
  throw new Error('could not record the applied plan: the version kept being taken by concurrent applies');
}
