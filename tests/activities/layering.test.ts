// The activities sit below the runtime (docs/architecture.md: dependencies point down only). Was:
// src/activities/dispatch.ts imported src/runtime/former-names.ts for a goal's renamed-rule ids,
// so the worker's activities pulled in the Temporal client side; the pairing now lives in
// src/renames/, below both.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const src = path.join(import.meta.dirname, '..', '..', 'src');

/** Each relative import of the .ts files under `dir`, as the src/ folder it lands in. */
function importsOf(dir: string): { file: string; target: string }[] {
  return fs.readdirSync(path.join(src, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => {
      const file = path.join(src, dir, f);
      const text = fs.readFileSync(file, 'utf8');
      return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => ({
        file: path.relative(src, file),
        target: path.relative(src, path.resolve(path.dirname(file), m[1])).split(path.sep)[0],
      }));
    });
}

test('nothing in src/activities or src/renames imports the runtime, the server or the commands', () => {
  const upward = [...importsOf('activities'), ...importsOf('renames')]
    .filter(({ target }) => ['runtime', 'server', 'cli'].includes(target));
  expect(upward).toEqual([]);
});
