// Loads Chevrotain from its single-file bundle. The package's main entry pulls in hundreds of
// lodash-es modules (about 350 ms on Node 20); the bundle loads in a fraction of that, which keeps
// `salesflow check` within its cold-start budget. The package's `exports` map hides the bundle,
// so it is found next to the resolved entry and loaded by URL.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Chevrotain = typeof import('chevrotain');

async function load(): Promise<Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve('chevrotain');
    const bundle = join(dirname(entry), '..', 'chevrotain.min.mjs');
    if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as Chevrotain;
  } catch {
    // fall through to the regular entry
  }
  return import('chevrotain');
}

export const chevrotain: Chevrotain = await load();
