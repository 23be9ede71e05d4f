import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { it } from 'vitest';
import { openDatabase } from '../../src/data/db.js';
import { importCsvFile } from '../../src/data/import-stream.js';
import { tempDir } from './tmp.js';
it('prof', async () => {
  const path = join(tempDir(), 'big.csv');
  const lines = ['id,rep,amount,currency,stage,closed_at'];
  for (let i = 0; i < 100_000; i++) lines.push(`D${i},r${i % 7},${i}.25,USD,${i % 2 ? 'won' : 'open'},2026-03-${String((i % 28) + 1).padStart(2, '0')}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  for (const opts of [{ info: true, trim: true, bom: true, skip_empty_lines: true, relax_column_count: true }, { info: true }, {}]) {
    const t = performance.now();
    let n = 0;
    await new Promise<void>((res, rej) => { const p = parse(opts); p.on('data', () => n++); p.on('end', res); p.on('error', rej); createReadStream(path, { highWaterMark: 1 << 20 }).pipe(p); });
    console.log('parse', JSON.stringify(opts), (performance.now() - t).toFixed(0), n);
  }
  const db = openDatabase(join(tempDir(), 's.db'));
  const t = performance.now();
  await importCsvFile(db, 'deals', path, 'x');
  console.log('import', (performance.now() - t).toFixed(0));
}, 60000);
