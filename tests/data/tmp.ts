// Real SQLite files in a fresh temporary folder per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-data-'));
  dirs.push(dir);
  return dir;
}

export const fixture = (name: string): string => new URL(`../fixtures/crm/${name}`, import.meta.url).pathname;
