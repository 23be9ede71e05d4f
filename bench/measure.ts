// Running a bench contender as a child process under /usr/bin/time: its wall time, CPU time and
// peak RSS (getrusage's maxrss), exactly and without the bench's own memory in the figure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measured { wall: number; cpu: number; rssMb: number; stdout: string }

/** Run a command under /usr/bin/time: wall and CPU seconds, peak RSS. Fails loudly on a non-zero exit. */
export function measure(command: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Measured {
  const dir = mkdtempSync(join(tmpdir(), 'salesflow-time-'));
  const report = join(dir, 'time');
  try {
    const result = spawnSync('/usr/bin/time', ['-o', report, '-f', '%e %U %S %M', command, ...args], {
      env: { ...process.env, ...env }, input, encoding: 'utf8', maxBuffer: 64 << 20,
    });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
    const [wall, user, sys, kb] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { wall, cpu: user + sys, rssMb: kb / 1024, stdout: result.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
