// Shared by the DSL tests: the example templates from rules/templates, and a one-call compile of
// in-memory rule text against them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSources, compileSources, type Diagnostic, type SourceFile } from '../../src/dsl/index.js';

export const root = join(import.meta.dirname, '..', '..');

export function readTemplates(folder: string, shownAs: string): SourceFile[] {
  return readdirSync(folder)
    .filter((n) => n.endsWith('.md'))
    .sort()
    .map((n) => ({ path: `${shownAs}/${n}`, text: readFileSync(join(folder, n), 'utf8') }));
}

export const exampleTemplates = readTemplates(join(root, 'rules', 'templates'), 'rules/templates');

export function diagnose(text: string, file = 'test.rules', templates = exampleTemplates): Diagnostic[] {
  return checkSources({ rules: [{ path: file, text }], templates });
}

export function compile(text: string, file = 'test.rules', templates = exampleTemplates) {
  return compileSources({ rules: [{ path: file, text }], templates });
}

export const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');
