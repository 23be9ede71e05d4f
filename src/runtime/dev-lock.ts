// One `salesflow dev` per var/ folder. Two Temporal dev servers on one var/temporal.db fight over
// the SQLite file: the second died with pages of Go stack ("database is locked (SQLITE_BUSY)") and
// an SDK message about a stuck download, or, when it won the race, both ran the same workflows.
// The usual way to get there is a dev that was killed (kill -9, a closed terminal, an OOM kill):
// its Temporal dev server lives on, still on the ports and the file. So dev records itself in
// var/dev.lock, and a second dev says who is there: the dev still running, or the Temporal dev
// server a dead one left behind (found by its command line where /proc exists), with its pid.
import fs from 'node:fs';
import path from 'node:path';

const LOCK_FILE = 'dev.lock';

interface LockRecord {
  pid: number;
  httpPort: number;
  startedAt: string;
}

export type DevLock = { ok: true; release: () => void } | { ok: false; message: string };

/** Whether `pid` is a running process; with /proc, one whose command line mentions `word`. */
function running(pid: number, word: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const commandLine = readCommandLine(pid);
  return commandLine === null || commandLine.includes(word);
}

function readCommandLine(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return null;
  }
}

/** Temporal dev servers persisting to `dbFile`, by pid; empty where /proc cannot tell. */
export function temporalServersOn(dbFile: string): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (() => {
      try {
        return fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        return [];
      }
    })();
    const at = args.indexOf('--db-filename');
    if (args.includes('start-dev') && at >= 0 && path.resolve(args[at + 1] ?? '') === path.resolve(dbFile)) found.push(Number(entry));
  }
  return found;
}

function readLock(file: string): LockRecord | null {
  try {
    const record = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return Number.isInteger(record.pid) ? (record as LockRecord) : null;
  } catch {
    return null;
  }
}

/**
 * Takes var/ for this dev, or says who has it. A lock left by a dev that is gone is taken over,
 * unless the Temporal dev server it started still runs on var/temporal.db.
 */
export function acquireDevLock(varDir: string, httpPort: number): DevLock {
  const file = path.join(varDir, LOCK_FILE);
  const dbFile = path.join(varDir, 'temporal.db');
  const mine: LockRecord = { pid: process.pid, httpPort, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let taken = false;
    try {
      fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      taken = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = taken ? null : readLock(file);
    if (holder && holder.pid !== process.pid && running(holder.pid, 'salesflow')) {
      return {
        ok: false,
        message: `another salesflow dev (pid ${holder.pid}, HTTP port ${holder.httpPort}, started ${holder.startedAt}) is running on ${varDir}: ` +
          'stop it first (Ctrl-C in its terminal), or give this one another folder',
      };
    }
    // No dev holds the folder, but a Temporal dev server a killed one started may still run on it
    // (also one from before this lock existed).
    const leftovers = temporalServersOn(dbFile);
    if (leftovers.length > 0) {
      if (taken) releaseIfMine(file);
      return {
        ok: false,
        message: `a Temporal dev server (pid ${leftovers.join(', ')}) left running by a salesflow dev that did not shut down ` +
          `still uses ${dbFile} (and its ports): stop it (kill ${leftovers.join(' ')}) and start salesflow dev again`,
      };
    }
    if (taken) return { ok: true, release: () => releaseIfMine(file) };
    // The dev that wrote it is gone and left nothing running: the folder is free.
    removeIfStill(file, holder);
    // A dev starting beside this one may be writing its lock or taking over: a moment for it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return { ok: false, message: `could not take ${file}: another salesflow dev keeps starting on ${varDir}` };
}

/** How old an unreadable lock must be before it counts as left behind (not one being written now). */
const UNREADABLE_STALE_MS = 5000;
/** How old a takeover guard must be before it counts as left by a dev killed while taking over. */
const GUARD_STALE_MS = 10_000;

/**
 * Removes the lock judged left behind (`stale`, null when it could not be read) if it is still
 * that lock. Another dev starting at the same moment may have removed it and written its own
 * between this dev reading it and removing it: removing that fresh lock handed the folder to both.
 * Only the holder of `dev.lock.takeover` removes a lock, after reading it again; a lock can only be
 * replaced by removing it, so what it reads then is what it removes.
 */
function removeIfStill(file: string, stale: LockRecord | null): void {
  const guard = `${file}.takeover`;
  try {
    fs.writeFileSync(guard, `${process.pid}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another dev is taking over now; a guard left by one killed in these few lines is cleared once old.
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > GUARD_STALE_MS) fs.rmSync(guard, { force: true });
    } catch {
      // Gone meanwhile: the other dev finished.
    }
    return;
  }
  try {
    const now = readLock(file);
    const same = stale === null
      ? now === null && olderThan(file, UNREADABLE_STALE_MS)
      : now !== null && now.pid === stale.pid && now.startedAt === stale.startedAt && now.httpPort === stale.httpPort;
    if (same) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function releaseIfMine(file: string): void {
  if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}
