// Emits the plan (src/plan/schema.ts) from checked rules: attaches the templates and custom metric
// definitions each rule uses, and the content hashes (rule `version`, plan `hash`).
import type { PLAN_FORMAT_VERSION, Plan, Rule, Template } from '../plan/schema.js';
import type { CheckedProgram } from './checker.js';
import { canonicalJson, sha256, withoutSources } from './hash.js';

// A type-only import keeps zod out of `salesflow check`'s start-up; the type ties this to the schema.
const FORMAT_VERSION: typeof PLAN_FORMAT_VERSION = 1;

export function compilePlan(program: CheckedProgram, templates: ReadonlyMap<string, Template>): Plan {
  const metricsByName = new Map(program.metrics.map((m) => [m.name, m]));
  const rules: Rule[] = program.rules.map(({ draft, templates: names, metrics: metricNames }) => {
    const ruleTemplates: Record<string, Template> = {};
    for (const name of [...names].sort()) {
      const template = templates.get(name);
      if (template) ruleTemplates[name] = template;
    }
    const ruleMetrics: Plan['metrics'][number][] = [...metricNames].sort().flatMap((n) => metricsByName.get(n) ?? []);
    const body = { ...draft, templates: ruleTemplates, metrics: Object.fromEntries(ruleMetrics.map((m) => [m.name, m])) };
    const version = sha256(canonicalJson(withoutSources(body)));
    return { ...body, version } as Rule;
  });
  const hash = sha256(canonicalJson({
    formatVersion: FORMAT_VERSION,
    rules: rules.map((r) => [r.id, r.version]),
    metrics: withoutSources(program.metrics),
  }));
  return { formatVersion: FORMAT_VERSION, hash, metrics: program.metrics, rules };
}
