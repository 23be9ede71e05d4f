// Black-box harness: every conformance test drives the built CLI (bin/salesflow.js → dist/) in a
// child process, in a scratch folder of its own, the way an outside user would. Run
// `npm run build` first (`npm test` does).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));

export interface Run { code: number; stdout: string; stderr: string }

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** A fresh folder holding the given files (paths relative to it). */
export function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-conformance-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) writeAt(dir, path, text);
  return dir;
}

export function writeAt(dir: string, path: string, text: string): void {
  const full = join(dir, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}

/** Runs `salesflow ARGS` in DIR with a data source inside DIR unless env says otherwise. */
export function salesflow(dir: string, args: string[], env: Record<string, string | undefined> = {}): Run {
  const childEnv: Record<string, string | undefined> = { ...process.env, DATABASE_URL: join(dir, 'var', 'salesflow.db'), ...env };
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  mkdirSync(join(dir, 'var'), { recursive: true });
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: childEnv as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A template file for NAME with a plain subject and body. */
export function template(name: string): string {
  return `---\nsubject: ${name}\n---\nHello\n`;
}

export function templates(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [`rules/templates/${n}.md`, template(n)]));
}
