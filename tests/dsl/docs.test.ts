// docs/language.md is the authors' reference: it must know every diagnostic code and keyword.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keywordNames, messages } from '../../src/dsl/index.js';
import { scopePaths, templateScopes } from '../../src/templates/index.js';
import { root } from './helpers.js';

const doc = readFileSync(join(root, 'docs', 'language.md'), 'utf8');

describe('docs/language.md', () => {
  it('lists every diagnostic code with its severity', () => {
    for (const def of Object.values(messages)) expect(doc).toContain(`| ${def.code} | ${def.severity} |`);
  });

  it('lists every keyword', () => {
    for (const word of keywordNames) expect(doc).toContain(`\`${word}\``);
  });

  it('documents every non-entity template placeholder', () => {
    for (const kind of Object.keys(templateScopes) as (keyof typeof templateScopes)[]) {
      for (const path of scopePaths(kind)) {
        if (/^(rep|lead|deal)\./.test(path)) continue;
        expect(doc, path).toContain(`\`${path}\``);
      }
    }
  });
});
