// Progress of a long import goes to stderr, about once a second: rewritten in place on a terminal,
// a line per update for a large file written to a log, nothing for a small file in a script.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LARGE_FILE, progressLine } from '../../src/cli/commands/import.js';
import { openDatabase } from '../../src/data/db.js';
import { importCsv } from '../../src/data/import.js';
import { tempDir } from './tmp.js';

function fakeStderr(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (chunk: string) => { written.push(chunk); return true; } } as never };
}

describe('import progress', () => {
  it('is reported while rows are read, with growing counts', async () => {
    const db = await openDatabase(join(tempDir(), 'p.db'));
    const rows = Array.from({ length: 5_000 }, (_, i) => `r${i},Rep ${i},rep${i}@acme.example`);
    const seen: number[] = [];
    const result = await importCsv(db, 'reps', `id,name,email\n${rows.join('\n')}\n`, 'reps.csv', {
      onProgress: (n) => seen.push(n), progressEvery: 0,
    });
    expect(result).toMatchObject({ ok: true, inserted: 5_000 });
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(5_001);
    await db.close();
  });

  it('shows on a terminal in place, in a log only for large files, and never for a small file in a script', () => {
    const tty = fakeStderr(true);
    const onTty = progressLine(100, tty.stream);
    onTty.update!(250_000, 2);
    onTty.done();
    expect(tty.written).toEqual(['\rimport: 250,000 rows read, 125,000 rows/s\x1b[K', '\r\x1b[2K']);

    const log = fakeStderr(false);
    const large = progressLine(LARGE_FILE, log.stream);
    large.update!(1_000, 1);
    large.done();
    expect(log.written).toEqual(['import: 1,000 rows read, 1,000 rows/s\n']);

    expect(progressLine(LARGE_FILE - 1, fakeStderr(false).stream).update).toBeUndefined();
  });
});
