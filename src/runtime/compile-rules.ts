// The plan of a rules checkout: the rules compiled with the CRM mappings beside them. Its own
// module, free of the data source and Temporal, so `salesflow compile` and `status` start small.
import { mappingFiles } from '../connectors/mapping/files.js';
import type { Diagnostic } from '../dsl/index.js';
import type { Plan } from '../plan/schema.js';

export const DEFAULT_RULE_PATHS = ['rules/'];

/**
 * The plan of a rules checkout: the rules compiled, with the CRM mappings beside them
 * (`crm/*.yaml` in each rules folder) resolved into it, one hash over both. This is what `apply`
 * records, so a mapping-only change is a new applied version. No plan when either has errors.
 */
export async function compileRules(paths: string[]): Promise<{ plan: Plan | null; diagnostics: Diagnostic[] }> {
  const rulePaths = paths.length > 0 ? paths : DEFAULT_RULE_PATHS;
  // Loaded on use: commands that only talk to Temporal do not pay for the parser, nor for the
  // YAML parser where there are no mapping files.
  const { loadRules, withCrmMappings } = await import('../dsl/index.js');
  const rules = await loadRules(rulePaths);
  const crm = mappingFiles(rulePaths).length > 0
    ? (await import('../connectors/mapping/load.js')).loadMappings(rulePaths)
    : { mappings: [], diagnostics: [] };
  const diagnostics = [...rules.diagnostics, ...crm.diagnostics];
  if (!rules.plan || diagnostics.some((d) => d.severity === 'error')) return { plan: null, diagnostics };
  // Checked like the rules' plan: a mapping the plan reader would refuse later is a bug to find now.
  const { CrmMappingSchema } = await import('../plan/crm.js');
  return { plan: withCrmMappings(rules.plan, CrmMappingSchema.array().parse(crm.mappings)), diagnostics };
}

/** Every file the plan of these rule paths is compiled from: rule files, templates, CRM mappings. */
export async function planSourceFiles(paths: string[], cwd = process.cwd()): Promise<string[]> {
  const rulePaths = paths.length > 0 ? paths : DEFAULT_RULE_PATHS;
  const { sourceFilesOf } = await import('../dsl/index.js');
  return [...sourceFilesOf(rulePaths, cwd), ...mappingFiles(rulePaths, cwd)];
}

/**
 * The plan of these rule paths (rules/ when none), or null once their diagnostics are written to
 * stderr: for the commands that read rules only (simulate, test, backtest), not CRM mappings.
 */
export async function rulesOrDiagnostics(paths: string[]): Promise<Plan | null> {
  const { loadRules, formatDiagnostics } = await import('../dsl/index.js');
  const compiled = await loadRules(paths.length ? paths : DEFAULT_RULE_PATHS);
  if (!compiled.plan) process.stderr.write(formatDiagnostics(compiled.diagnostics, 'text'));
  return compiled.plan;
}
