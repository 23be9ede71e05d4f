// The compiled plans of the example rules are pinned in golden files. Run with
// UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJsonPretty, compileSources, loadRules } from '../../src/dsl/index.js';
import { Plan } from '../../src/plan/schema.js';
import { readTemplates, root } from './helpers.js';

const update = process.env.UPDATE_GOLDEN === '1';

function assertGolden(name: string, actual: string): void {
  const file = join(import.meta.dirname, 'golden', name);
  if (update || !existsSync(file)) {
    if (!update) throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('golden plans', () => {
  it('rules/ compiles clean to the pinned plan', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { plan, diagnostics } = await loadRules(['rules']);
      expect(diagnostics).toEqual([]);
      expect(Plan.safeParse(plan).success).toBe(true);
      assertGolden('rules.json', canonicalJsonPretty(plan));
    } finally {
      process.chdir(cwd);
    }
  });

  it('the SPEC §4–§5 examples compile clean to the pinned plan', async () => {
    const folder = join(root, 'tests', 'dsl', 'fixtures', 'spec');
    const { plan, diagnostics } = await compileSources({
      rules: [{ path: 'spec.rules', text: readFileSync(join(folder, 'spec.rules'), 'utf8') }],
      templates: readTemplates(join(folder, 'templates'), 'templates'),
    });
    expect(diagnostics).toEqual([]);
    assertGolden('spec.json', canonicalJsonPretty(plan));
  });
});
