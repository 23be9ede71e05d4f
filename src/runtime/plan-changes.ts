// What each applied version changed from the version applied before it, for `salesflow history`:
// rules added, changed and removed, by id and the content hash `apply` recorded with the version
// (nothing is compiled again), and CRM mappings likewise, by name and the content hash of each
// mapping as the version's plan JSON stores it. A plan applied before mappings were part of the
// plan carries none (its CRMs were served by the built-in presets), so a mapping file applied
// after it reads as added, like one added to any plan without mappings.
import { contentHash, crmMappingVersion, stringLiteral } from '../dsl/index.js';
import { crmMappingsIn, diffMappings, diffRules, type RuleHash } from './applied-plan.js';
import { findRenames, type Rename, type RuleSeen, rulesSeenIn } from '../renames/pairing.js';

/** What history keeps of a version's plan JSON: small, so a long history is cheap to hold. */
export interface RecordedContents {
  /** CRM mapping name → content hash (crmMappingVersion of the mapping as stored). */
  crm: Record<string, string>;
  /**
   * Hash of the plan-wide metric definitions (they change the plan hash without changing a rule),
   * leaving out where each is written, as the plan hash does: a comment above one is no change.
   */
  metrics: string;
  /** Each rule's id, name, kind and content apart from the name, to tell a rename (renames.ts). */
  rules: RuleSeen[];
}

export function recordedContents(planJson: string): RecordedContents {
  const plan = JSON.parse(planJson) as { metrics?: unknown } | null;
  return {
    crm: Object.fromEntries(crmMappingsIn(plan).map((m) => [m.name, crmMappingVersion(m)])),
    metrics: contentHash(plan?.metrics ?? []),
    rules: rulesSeenIn(plan),
  };
}

export interface VersionContents {
  ruleHashes: Record<string, RuleHash>;
  read: RecordedContents;
}

export interface RuleEntry { id: string; name: string; kind: string; version: string }
export interface RuleChange { id: string; name: string; kind: string; before: string; after: string }
export interface MappingEntry { name: string; version: string }
export interface MappingChange { name: string; before: string; after: string }

export interface VersionChanges {
  rules: { added: RuleEntry[]; changed: RuleChange[]; removed: RuleEntry[] };
  crm: { added: MappingEntry[]; changed: MappingChange[]; removed: MappingEntry[] };
  /** The plan-wide metric definitions differ from the previous version's (false for the first version). */
  metricsChanged: boolean;
  /** Rules of `rules.removed` and `rules.added` that are one rule renamed, otherwise the same (in both lists too). */
  renamed: Rename[];
}

/** `after` against `before`, the version applied just before it; null before the first version, so everything is added. */
export function versionChanges(before: VersionContents | null, after: VersionContents): VersionChanges {
  const rules = diffRules(before?.ruleHashes ?? {}, after.ruleHashes);
  const crm = diffMappings(before?.read.crm ?? {}, after.read.crm);
  return {
    rules: {
      added: rules.added,
      changed: rules.changed.map(({ id, name, kind, applied, local }) => ({ id, name, kind, before: applied, after: local })),
      removed: rules.removed,
    },
    crm: {
      added: crm.added.map((name) => ({ name, version: after.read.crm[name] })),
      changed: crm.changed.map(({ name, applied, local }) => ({ name, before: applied, after: local })),
      removed: crm.removed.map((name) => ({ name, version: before!.read.crm[name] })),
    },
    metricsChanged: before !== null && before.read.metrics !== after.read.metrics,
    renamed: findRenames(
      (before?.read.rules ?? []).filter((r) => rules.removed.some((gone) => gone.id === r.id)),
      after.read.rules.filter((r) => rules.added.some((added) => added.id === r.id)),
    ),
  };
}

/**
 * The changes as short items for one line of text: `+ "Q3 SDR goal"`, `~ "AE commission FY26"`,
 * `> "Old" → "New"` (renamed), `- "Old nurture"`, `crm ~ hubspot`; rule names quoted as a rule file writes them.
 */
export function changeItems(changes: VersionChanges): string[] {
  const { rules, crm, renamed } = changes;
  const items = [
    ...rules.added.filter((r) => !renamed.some((n) => n.to.id === r.id)).map((r) => `+ ${stringLiteral(r.name)}`),
    ...rules.changed.map((r) => `~ ${stringLiteral(r.name)}`),
    ...renamed.map((r) => `> ${stringLiteral(r.from.name)} → ${stringLiteral(r.to.name)}`),
    ...rules.removed.filter((r) => !renamed.some((n) => n.from.id === r.id)).map((r) => `- ${stringLiteral(r.name)}`),
    ...crm.added.map((m) => `crm + ${m.name}`),
    ...crm.changed.map((m) => `crm ~ ${m.name}`),
    ...crm.removed.map((m) => `crm - ${m.name}`),
  ];
  if (changes.metricsChanged) items.push('plan-wide metric definitions changed');
  return items.length > 0 ? items : ['no change'];
}
