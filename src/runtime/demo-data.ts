// Demo CRM data for `salesflow dev`: a small sales org (reps with managers and time zones, deals
// across last quarter and this one, a few leads) imported only into an empty data source, so a
// developer's own data is never mixed with it; and by default only into dev's own var/salesflow.db,
// not into a new database of the developer's that happens to be empty (src/runtime/dev.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../data/db.js';
import { formatProblem, importCsv, importKinds, type ImportKind } from '../data/import.js';
import { projectRoot } from '../temporal/index.js';

export type DemoLoad =
  | { loaded: false; reason: string }
  | { loaded: true; folder: string; counts: Record<ImportKind, number> };

export async function isDataSourceEmpty(db: Db): Promise<boolean> {
  const any = async (table: 'reps' | 'deals' | 'leads') => (await db.kysely.selectFrom(table).select('id').limit(1).execute()).length > 0;
  return !(await any('reps')) && !(await any('deals')) && !(await any('leads'));
}

/** `<rules folder>/demo` when the project has one, else the demo shipped with salesflow. */
export function demoFolder(rulePaths: string[]): string | null {
  const candidates = [...rulePaths.map((p) => path.join(p, 'demo')), path.join(projectRoot, 'rules', 'demo')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'reps.csv'))) ?? null;
}

/** `notHere`: why the demo is not for this data source even when empty (said when it is empty). */
export async function loadDemoData(db: Db, rulePaths: string[], notHere?: string): Promise<DemoLoad> {
  if (!(await isDataSourceEmpty(db))) return { loaded: false, reason: 'the data source already has CRM data' };
  if (notHere) return { loaded: false, reason: notHere };
  const folder = demoFolder(rulePaths);
  if (!folder) return { loaded: false, reason: 'no demo CSVs found' };
  const counts = { reps: 0, deals: 0, leads: 0, credits: 0, rates: 0 } as Record<ImportKind, number>;
  // Reps first: deals and leads name them; credits name deals and reps.
  for (const kind of importKinds) {
    const file = path.join(folder, `${kind}.csv`);
    if (!fs.existsSync(file)) continue;
    const result = await importCsv(db, kind, fs.readFileSync(file, 'utf8'), file);
    if (!result.ok) throw new Error(`demo data is broken:\n${result.problems.map(formatProblem).join('\n')}`);
    counts[kind] = result.inserted + result.updated + result.unchanged;
  }
  return { loaded: true, folder, counts };
}
