// One run of the chaos harness (chaos/run.ts) for a test file: a temp folder and the preferred data
// source (PostgreSQL where installed) set up before the file's tests and removed after them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { preferredDataSource, type DataSource } from '../../../chaos/data-source.js';
import { run, type RunOptions, type RunResult } from '../../../chaos/run.js';

export interface ChaosScenario {
  /** The finished run; read it inside a test. */
  readonly result: RunResult;
  /** What the run logged, for assertion messages. */
  readonly log: string;
}

export function chaosScenario(
  name: string,
  options: Pick<RunOptions, 'workers' | 'size' | 'chaos' | 'timeoutMs'>,
  hookTimeoutMs: number,
): ChaosScenario {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const lines: string[] = [];
  let dir: string | undefined;
  let data: DataSource | undefined;
  let result: RunResult | undefined;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `salesflow-${name}-`));
    data = await preferredDataSource(dir);
    result = await run({ ...options, root, dir, data, log: (line) => lines.push(line) });
  }, hookTimeoutMs);
  afterAll(async () => {
    await data?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get result() {
      if (!result) throw new Error(`the ${name} run did not finish`);
      return result;
    },
    get log() { return lines.join('\n'); },
  };
}
