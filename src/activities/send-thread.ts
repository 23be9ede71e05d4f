// The worker's send thread: on PostgreSQL, a worker hands each message to a thread of its own that
// holds the SMTP connections and a few database connections, and does only this: send, and mark
// sent the moment the relay says 250. The window in which a killed worker repeats an email is
// "accepted by the relay, not yet recorded"; measured under `npm run chaos`, it was mostly the
// worker's main thread being busy (Temporal task handling, other activities, garbage collection)
// when the 250 arrived. A thread that is idle between sends reacts to the 250 at once.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Transmission, TransmitResult } from './mail.js';

/** The thread's code, compiled (dist/); running from source (tests under vitest) there is none. */
const entry = new URL('./send-thread-entry.js', import.meta.url);

interface Pending { resolve(result: TransmitResult): void; reject(err: Error): void }

export class SendThread {
  #worker: Worker | null = null;
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(private readonly smtpUrl: string, private readonly databaseUrl: string) {}

  /** Whether a send thread can run here (the package is built). */
  static available(): boolean {
    return entry.protocol === 'file:' && fs.existsSync(fileURLToPath(entry));
  }

  readonly transmit = (t: Transmission): Promise<TransmitResult> => new Promise((resolve, reject) => {
    const id = this.#next++;
    this.#pending.set(id, { resolve, reject });
    this.#thread().postMessage({ id, t });
  });

  /** Started on first use, and again after it died (its sends in flight are failed, and retried by Temporal). */
  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(entry, { workerData: { smtpUrl: this.smtpUrl, databaseUrl: this.databaseUrl } });
    worker.unref();
    worker.on('message', (reply: { id: number; result?: TransmitResult; error?: string }) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.result) pending?.resolve(reply.result);
      else pending?.reject(new Error(reply.error ?? 'send thread: no result'));
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = null;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        pending.reject(new Error(`send thread stopped: ${err.message}`));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit ${code}`)));
    this.#worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await worker.terminate();
  }
}
