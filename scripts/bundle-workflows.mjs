#!/usr/bin/env node
// Bundles the compiled workflow code once at build time (`npm run build`, after tsc), so a worker
// started from the package loads dist/workflow-bundle.js instead of running webpack and swc in its
// own process: bundling costs seconds of start-up and tens of MB of RSS the worker never gives back.
//   node scripts/bundle-workflows.mjs [compiled root, default dist]
// Next to the bundle, workflow-bundle.json lists every compiled file the bundle was made from with
// its SHA-256; the worker hashes them again at start-up and bundles in process if any differs (e.g.
// after a bare `tsc` that changed workflow code), so a stale bundle is never run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = path.resolve(process.argv[2] ?? 'dist');
const entry = path.join(root, 'workflows', 'index.js');
if (!fs.existsSync(entry)) {
  console.error(`bundle-workflows: ${path.relative(process.cwd(), entry)} not found (run tsc first)`);
  process.exit(1);
}

// The project files the bundle includes: the relative-import closure of the entry point. tsc emits
// plain `import … from './x.js'` / `export … from` and erases type-only imports, so a regex over
// the emitted code finds exactly what webpack will follow; packages (@temporalio/*) are not ours.
const specifier = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.{1,2}\/[^'"]+)['"]/g;
function closure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = fs.readFileSync(file, 'utf8');
  for (const m of code.matchAll(specifier)) closure(path.resolve(path.dirname(file), m[1] ?? m[2]), seen);
  return seen;
}
const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const files = Object.fromEntries(
  [...closure(entry)].sort().map((file) => [path.relative(root, file).split(path.sep).join('/'), sha256(file)]),
);

const t0 = performance.now();
const quiet = () => {};
const { code } = await bundleWorkflowCode({
  workflowsPath: entry,
  logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: (m) => console.warn(m), error: (m) => console.error(m) },
});
// Bundle first, manifest last, each by rename: an interrupted build leaves no manifest that vouches
// for a bundle it did not describe.
const write = (name, text) => {
  const target = path.join(root, name);
  fs.writeFileSync(`${target}.tmp`, text);
  fs.renameSync(`${target}.tmp`, target);
};
fs.rmSync(path.join(root, 'workflow-bundle.json'), { force: true });
write('workflow-bundle.js', code);
write('workflow-bundle.json', `${JSON.stringify({ entry: 'workflows/index.js', files }, null, 2)}\n`);
console.log(
  `bundle-workflows: ${path.relative(process.cwd(), path.join(root, 'workflow-bundle.js'))} ` +
    `(${(code.length / 2 ** 20).toFixed(1)} MB from ${Object.keys(files).length} files, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
