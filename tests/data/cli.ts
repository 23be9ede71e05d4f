// Runs a salesflow command in-process against a given data source, capturing what it prints.
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export interface CliRun { code: number; stdout: string; stderr: string }

export async function salesflow(args: string[], databasePath: string, cwd?: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
  const previous = process.env.DATABASE_URL;
  const previousCwd = process.cwd();
  process.env.DATABASE_URL = databasePath;
  if (cwd) process.chdir(cwd);
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    if (cwd) process.chdir(previousCwd);
    if (previous === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previous;
  }
}
