// The rule language's public surface: the only module the rest of salesflow imports from src/dsl.
import { compareDiagnostics, type Diagnostic } from './diagnostics.js';
import { readSources } from './load.js';
export { listRuleFiles, type RuleFileRef, sourceFilesOf } from './load.js';
import { analyze, compileSources, type CompileInput, type CompileResult } from './program.js';

export type { Diagnostic } from './diagnostics.js';
export type { Severity } from './messages.js';
export type { CompileInput, CompileResult, SourceFile } from './program.js';
export { closest, formatDiagnostics } from './diagnostics.js';
export { messages } from './messages.js';
export { keywordNames } from './lexer.js';
export { canonicalJsonPretty, contentHash } from './hash.js';
export { stringLiteral } from './literals.js';
export { crmMappingVersion, ruleBodyHash, withCrmMappings } from './compile.js';
export { compileSources };

/** Reads, checks and compiles rule files and folders (default `rules/`); the plan is zod-validated. */
export async function loadRules(paths: string[]): Promise<CompileResult> {
  const { input, diagnostics } = readSources(paths);
  const result = await compileSources(input);
  const all = [...diagnostics, ...result.diagnostics].sort(compareDiagnostics);
  const hasErrors = all.some((d) => d.severity === 'error');
  return { plan: hasErrors ? null : result.plan, diagnostics: all };
}

/** Parses and checks only (no plan validation): what `salesflow check` needs, fast to start. */
export function checkRules(paths: string[]): { diagnostics: Diagnostic[]; files: number } {
  const { input, diagnostics } = readSources(paths);
  const analysis = analyze(input, { compile: false });
  return { diagnostics: [...diagnostics, ...analysis.bag.sorted()].sort(compareDiagnostics), files: input.rules.length };
}

export function checkSources(input: CompileInput): Diagnostic[] {
  return analyze(input, { compile: false }).bag.sorted();
}
export { formatSource, type FormatResult } from './format.js';
