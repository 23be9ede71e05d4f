// Stopping a child process the way an operator would: SIGTERM for a graceful stop, SIGKILL if it
// has not exited within the grace period. Shared by the tests and the chaos harness.
import type { ChildProcess } from 'node:child_process';

/** Resolves once `child` has exited; a no-op for one already gone. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
