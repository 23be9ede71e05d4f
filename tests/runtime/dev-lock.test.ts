// One `salesflow dev` per var/ folder, with real processes: a second dev names the dev still
// running there; after a dev was killed, the Temporal dev server it left on var/temporal.db (a
// real one here) is named with its pid instead of a second server failing on the SQLite file with
// pages of Go stack; once that is stopped, the folder is taken over.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { acquireDevLock } from '../../src/runtime/dev-lock.js';
import { spawnDevServer } from '../../src/temporal/index.js';

const folders: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(() => {
  for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
});

function varFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-dev-lock-'));
  folders.push(dir);
  return dir;
}

/** A process whose command line says salesflow, as a running `salesflow dev` would. */
async function standInDev(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'salesflow', 'dev'], { stdio: 'ignore' });
  cleanups.push(() => { child.kill('SIGKILL'); });
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid!;
}

/** The pid of a process that has exited: a dev killed with kill -9. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

const writeLock = (dir: string, pid: number) =>
  fs.writeFileSync(path.join(dir, 'dev.lock'), JSON.stringify({ pid, httpPort: 3000, startedAt: '2026-12-07T07:00:00.000Z' }));

test('a second dev on a folder a running dev holds is refused, naming that dev', async () => {
  const dir = varFolder();
  const pid = await standInDev();
  writeLock(dir, pid);
  expect(acquireDevLock(dir, 3001)).toEqual({
    ok: false,
    message: `another salesflow dev (pid ${pid}, HTTP port 3000, started 2026-12-07T07:00:00.000Z) is running on ${dir}: ` +
      'stop it first (Ctrl-C in its terminal), or give this one another folder',
  });
});

test('the Temporal dev server a killed dev left on var/temporal.db is named with its pid; once stopped, the folder is taken over', async () => {
  const dir = varFolder();
  const dbFile = path.join(dir, 'temporal.db');
  const server = await spawnDevServer({ dbFile });
  cleanups.push(() => server.kill());
  writeLock(dir, await deadPid());
  const refused = {
    ok: false,
    message: `a Temporal dev server (pid ${server.pid}) left running by a salesflow dev that did not shut down still uses ${dbFile} ` +
      `(and its ports): stop it (kill ${server.pid}) and start salesflow dev again`,
  };
  expect(acquireDevLock(dir, 3000)).toEqual(refused);
  // Left by a dev from before the lock existed: no lock file, the same answer, and none left behind.
  fs.rmSync(path.join(dir, 'dev.lock'));
  expect(acquireDevLock(dir, 3000)).toEqual(refused);
  expect(fs.existsSync(path.join(dir, 'dev.lock'))).toBe(false);

  await server.stop();
  const lock = acquireDevLock(dir, 3000);
  expect(lock.ok).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'dev.lock'), 'utf8'))).toMatchObject({ pid: process.pid, httpPort: 3000 });
  if (lock.ok) lock.release();
  expect(fs.existsSync(path.join(dir, 'dev.lock'))).toBe(false);
}, 60_000);

test('a stale lock another dev takes over between this dev reading it and removing it stays that dev\'s', async () => {
  // Two devs started at once after a killed one: both read its lock and find its pid dead. The
  // other removes it and writes its own right after this one read; this one must not then remove
  // the other's fresh lock and take the folder too (two Temporal dev servers on var/temporal.db).
  const dir = varFolder();
  const file = path.join(dir, 'dev.lock');
  writeLock(dir, await deadPid());
  const other = await standInDev();
  const realRead = fs.readFileSync;
  let raced = false;
  const spy = vi.spyOn(fs, 'readFileSync').mockImplementation(((target: fs.PathOrFileDescriptor, options?: unknown) => {
    const text = realRead(target, options as BufferEncoding);
    if (!raced && target === file) {
      raced = true;
      // The other dev, in between: the stale lock removed, its own written.
      fs.rmSync(file);
      fs.writeFileSync(file, JSON.stringify({ pid: other, httpPort: 3005, startedAt: '2026-12-07T07:30:00.000Z' }), { flag: 'wx' });
    }
    return text;
  }) as typeof fs.readFileSync);
  cleanups.push(() => spy.mockRestore());
  const lock = acquireDevLock(dir, 3000);
  expect(raced).toBe(true);
  expect(lock).toEqual({
    ok: false,
    message: `another salesflow dev (pid ${other}, HTTP port 3005, started 2026-12-07T07:30:00.000Z) is running on ${dir}: ` +
      'stop it first (Ctrl-C in its terminal), or give this one another folder',
  });
  expect(JSON.parse(realRead(file, 'utf8'))).toMatchObject({ pid: other });
});

test('the lock of a killed dev that left nothing running is taken over, and no takeover guard is left behind', async () => {
  const dir = varFolder();
  writeLock(dir, await deadPid());
  const lock = acquireDevLock(dir, 3002);
  expect(lock.ok).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'dev.lock'), 'utf8'))).toMatchObject({ pid: process.pid, httpPort: 3002 });
  expect(fs.existsSync(path.join(dir, 'dev.lock.takeover'))).toBe(false);
  if (lock.ok) lock.release();
  expect(fs.existsSync(path.join(dir, 'dev.lock'))).toBe(false);
});
