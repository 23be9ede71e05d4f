// Polls `probe` until it stops throwing (a schedule's dispatch and the runs it starts show up in
// Temporal a moment after the call that caused them), then returns its value; after `timeoutMs`
// the probe's last error is the test's failure.
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
