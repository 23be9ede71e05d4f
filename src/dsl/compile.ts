// Emits the plan (src/plan/schema.ts) from checked rules: attaches the templates and custom metric
// definitions each rule uses, and the content hashes (rule `version`, plan `hash`). The CRM mappings
// beside the rules join the plan here too (withCrmMappings), so one hash covers everything applied.
import type { CrmMapping } from '../plan/crm.js';
import type { PLAN_FORMAT_VERSION, Plan, Rule, Template } from '../plan/schema.js';
import type { CheckedProgram } from './checker.js';
import { canonicalJson, contentHash, sha256 } from './hash.js';

// A type-only import keeps zod out of `salesflow check`'s start-up; the type ties this to the schema.
const FORMAT_VERSION: typeof PLAN_FORMAT_VERSION = 1;

export function compilePlan(program: CheckedProgram, templates: ReadonlyMap<string, Template>): Plan {
  const metricsByName = new Map(program.metrics.map((m) => [m.name, m]));
  // Each template is hashed once; a rule's version covers the hashes of the templates it sends.
  const templateHashes = new Map<string, string>();
  const templateHash = (t: Template) => {
    let hash = templateHashes.get(t.name);
    if (!hash) templateHashes.set(t.name, (hash = contentHash(t)));
    return hash;
  };
  const rules: Rule[] = program.rules.map(({ draft, templates: names, metrics: metricNames }) => {
    const ruleTemplates: Record<string, Template> = {};
    for (const name of [...names].sort()) {
      const template = templates.get(name);
      if (template) ruleTemplates[name] = template;
    }
    const ruleMetrics: Plan['metrics'][number][] = [...metricNames].sort().flatMap((n) => metricsByName.get(n) ?? []);
    const metrics = Object.fromEntries(ruleMetrics.map((m) => [m.name, m]));
    const body = { ...draft, templates: ruleTemplates, metrics };
    const templateVersions = Object.fromEntries(Object.values(ruleTemplates).map((t) => [t.name, templateHash(t)]));
    const version = contentHash({ ...draft, metrics, templates: templateVersions });
    return { ...body, version } as Rule;
  });
  return { formatVersion: FORMAT_VERSION, hash: planHash(rules, program.metrics, []), metrics: program.metrics, rules };
}

/**
 * A CRM mapping's content hash (what `status` compares). `file` is left out, as a rule's `source`
 * is: applying the same mapping from another folder is no new version. The generic hash's omitted
 * key cannot be used here: `source` is a deal field a mapping fills.
 */
export function crmMappingVersion(mapping: CrmMapping): string {
  const { file: _where, ...content } = mapping;
  return sha256(canonicalJson(content));
}

/**
 * A rule's content apart from what its name decides (`name`, the `id` slug of it, and the `version`
 * that covers both): equal for a rule renamed and otherwise unchanged, so `status` and `apply` can
 * say "renamed" instead of one rule removed and another added. Read from plan JSON as stored (a
 * schedule's action, an applied plan), hence `unknown`; null for something that is not a rule.
 */
export function ruleBodyHash(rule: unknown): string | null {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return null;
  const { id: _id, name: _name, version: _version, ...body } = rule as Record<string, unknown>;
  return contentHash(body);
}

/**
 * A plan without CRM mappings hashes exactly as it did before mappings were part of the plan, so a
 * plan applied by an earlier salesflow still reads as the same as the rules it was applied from.
 */
function planHash(rules: readonly Rule[], metrics: Plan['metrics'], crm: readonly CrmMapping[]): string {
  const content = { formatVersion: FORMAT_VERSION, rules: rules.map((r) => [r.id, r.version]), metrics };
  return contentHash(crm.length === 0 ? content : { ...content, crm: crm.map((m) => [m.name, crmMappingVersion(m)]) });
}

/** `plan` with the CRM mappings beside its rules (by name) and a hash over both. */
export function withCrmMappings(plan: Plan, crm: readonly CrmMapping[]): Plan {
  const byName = [...crm].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...plan, crm: byName, hash: planHash(plan.rules, plan.metrics, byName) };
}
