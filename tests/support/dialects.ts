// One table of cases, run against both data sources (hono's shared-case style): every case gets a
// fresh empty SQLite file, then a fresh PostgreSQL database on a throwaway cluster. Where no
// PostgreSQL binaries exist the PostgreSQL block is skipped and its title says why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { postgresUnavailable, startPostgres, type TestPostgres } from './postgres.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DialectTarget {
  dialect: Dialect;
  /** DATABASE_URL of a new, empty data source (a file path, or a postgres:// URL). */
  fresh(): Promise<string>;
  /** PostgreSQL only: the cluster (to restart it). */
  cluster(): TestPostgres | null;
}

/** `describe(title)` once per dialect; `body` declares the cases with the target it is given. */
export function forEachDialect(title: string, body: (target: DialectTarget) => void): void {
  describe(`${title} [sqlite]`, () => {
    let dir = '';
    let n = 0;
    beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'salesflow-dialect-')); });
    afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
    body({ dialect: 'sqlite', fresh: async () => join(dir, `case-${++n}.db`), cluster: () => null });
  });
  const skipped = postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : '';
  describe.skipIf(postgresUnavailable !== null)(`${title} [postgres]${skipped}`, () => {
    let pg: TestPostgres | null = null;
    let n = 0;
    beforeAll(async () => { pg = await startPostgres(); });
    afterAll(() => { pg?.stop(); });
    body({ dialect: 'postgres', fresh: async () => pg!.createDatabase(`case_${++n}`), cluster: () => pg });
  });
}
