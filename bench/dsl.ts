// `npm run bench:dsl`: throughput of the rule language on a generated corpus of at least 5 MB,
// against JSON.parse of the compiled plan in the same process (goal: parse+check at ≥ 1/20 of
// JSON.parse's bytes per second), and the cold start of `salesflow check rules/` against a bare
// `node -e ''` (goal: ≤ 3×). BENCH_MB sets the corpus size, BENCH_STARTS the cold-start samples.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSources, compileSources, type SourceFile } from '../src/dsl/index.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const MB = Number(process.env.BENCH_MB ?? 5);
const STARTS = Number(process.env.BENCH_STARTS ?? 15);

function corpus(): { rules: SourceFile[]; templates: SourceFile[]; bytes: number } {
  const examples = ['goals.rules', 'commission.rules', 'sequences.rules'].map((f) => readFileSync(join(root, 'rules', f), 'utf8'));
  const metrics = readFileSync(join(root, 'rules', 'metrics.rules'), 'utf8');
  const templates = readdirSync(join(root, 'rules', 'templates'))
    .filter((n) => n.endsWith('.md'))
    .map((n) => ({ path: `rules/templates/${n}`, text: readFileSync(join(root, 'rules', 'templates', n), 'utf8') }));
  const rules: SourceFile[] = [{ path: 'rules/metrics.rules', text: metrics }];
  let bytes = metrics.length;
  for (let copy = 0; bytes < MB * 1024 * 1024; copy++) {
    examples.forEach((text, i) => {
      // Rule names must be unique across the plan; everything else is the examples as written.
      const renamed = text.replace(/^(goal|incentive|sequence) "([^"]+)"/gm, `$1 "$2 ${copy}"`);
      rules.push({ path: `rules/gen/${copy}-${i}.rules`, text: renamed });
      bytes += Buffer.byteLength(renamed);
    });
  }
  return { rules, templates, bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time<T>(run: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = run();
  return { result, ms: performance.now() - start };
}

async function main(): Promise<void> {
  const { rules, templates, bytes } = corpus();
  const mb = bytes / 1024 / 1024;
  console.log(`corpus: ${rules.length} files, ${mb.toFixed(2)} MB`);

  // Compile first to get the plan; then time parse+check and JSON.parse with the heap in a
  // similar state (medians of a few runs: a shared machine is noisy).
  const compileStart = performance.now();
  const { plan, diagnostics } = await compileSources({ rules, templates });
  const compileMs = performance.now() - compileStart;
  if (!plan) throw new Error(`corpus did not compile: ${diagnostics[0]?.message}`);
  const json = JSON.stringify(plan);
  const jsonBytes = Buffer.byteLength(json);
  console.log(`plan: ${plan.rules.length} rules`);

  const checks = Array.from({ length: 3 }, () => time(() => checkSources({ rules, templates })));
  const errors = checks[0].result.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`corpus does not check clean: ${errors[0].message}`);
  const check = { ms: median(checks.map((c) => c.ms)) };
  const jsonMs = median(Array.from({ length: 5 }, () => time(() => JSON.parse(json)).ms));

  const checkRate = mb / (check.ms / 1000);
  const compileRate = mb / (compileMs / 1000);
  const jsonRate = jsonBytes / 1024 / 1024 / (jsonMs / 1000);
  console.log(`parse+check:        ${check.ms.toFixed(0)} ms  ${checkRate.toFixed(2)} MB/s`);
  console.log(`parse+check+compile (zod-validated): ${compileMs.toFixed(0)} ms  ${compileRate.toFixed(2)} MB/s`);
  console.log(`JSON.parse of plan: ${(jsonBytes / 1024 / 1024).toFixed(2)} MB in ${jsonMs.toFixed(0)} ms  ${jsonRate.toFixed(2)} MB/s`);
  console.log(`ratio parse+check / JSON.parse: 1/${(jsonRate / checkRate).toFixed(1)}  (goal ≥ 1/20)`);
  console.log(`ratio compile / JSON.parse:     1/${(jsonRate / compileRate).toFixed(1)}`);

  const bin = join(root, 'bin', 'salesflow.js');
  const spawnMs = (args: string[]) => time(() => spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' })).ms;
  spawnMs(['-e', '']);
  spawnMs([bin, 'check', 'rules/']);
  const bare: number[] = [];
  const checkStarts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    bare.push(spawnMs(['-e', '']));
    checkStarts.push(spawnMs([bin, 'check', 'rules/']));
  }
  const bareMs = median(bare);
  const checkMs = median(checkStarts);
  console.log(`cold start: node -e '' ${bareMs.toFixed(0)} ms, salesflow check rules/ ${checkMs.toFixed(0)} ms  → ${(checkMs / bareMs).toFixed(2)}×  (goal ≤ 3×)`);
}

await main();
