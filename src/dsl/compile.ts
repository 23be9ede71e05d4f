// Emits the plan (src/plan/schema.ts) from checked rules: attaches the templates and custom metric
// definitions each rule uses, and the content hashes (rule `version`, plan `hash`).
import type { PLAN_FORMAT_VERSION, Plan, Rule, Template } from '../plan/schema.js';
import type { CheckedProgram } from './checker.js';
import { contentHash } from './hash.js';

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
  const hash = contentHash({ formatVersion: FORMAT_VERSION, rules: rules.map((r) => [r.id, r.version]), metrics: program.metrics });
  return { formatVersion: FORMAT_VERSION, hash, metrics: program.metrics, rules };
}
