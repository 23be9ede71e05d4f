// GET /readyz: can this `serve` process do its work right now? It asks the data source for a
// trivial query and Temporal for its system info, side by side, each bounded by a short timeout,
// so a load balancer or Kubernetes takes the process out of rotation while either is down and
// puts it back when both answer. /healthz (liveness) stays a plain "the process answers".
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../data/db.js';
import { redactText } from '../data/source.js';

/** Each check's budget: a probe must answer well within a load balancer's own timeout. */
export const READINESS_TIMEOUT_MS = 2_000;

export type CheckName = 'database' | 'temporal';

export interface Readiness {
  ready: boolean;
  /** "ok" or "failed" per check. */
  checks: Record<CheckName, 'ok' | 'failed'>;
  /** For each failed check, why, in a short line (no URLs with passwords, no stack). */
  reasons: Partial<Record<CheckName, string>>;
}

export interface ReadinessDeps {
  db: Db;
  temporalClient: Client;
  /** Where the client connects (TEMPORAL_ADDRESS), named in the reason; no secrets in it. */
  config?: { temporal: { address: string } };
  /** Why this Temporal is not the plan's (ServerDeps.otherTemporal): the Temporal check fails with it. */
  otherTemporal?: () => Promise<string | null>;
  timeoutMs?: number;
}

/**
 * The readiness check of one server. A check answers within the timeout, but the Temporal client
 * retries an unanswered call in the background until its deadline; one still retrying when the
 * connection closes throws from a timer ("Channel has been shut down"). `settled()` waits for
 * checks still running, so the server closes before its Temporal connection is closed.
 */
export interface ReadinessProbe {
  check(): Promise<Readiness>;
  /** Resolves once no check is running any more (at most `timeoutMs` plus the retry backoff). */
  settled(): Promise<void>;
}

export function readinessProbe({ db, temporalClient, config, otherTemporal, timeoutMs = READINESS_TIMEOUT_MS }: ReadinessDeps): ReadinessProbe {
  const running = new Set<Promise<unknown>>();
  const track = (call: () => Promise<unknown>): (() => Promise<unknown>) => () => {
    // A driver throwing before it returns a promise is a failed check too, not a 500.
    const p = Promise.resolve().then(call);
    running.add(p);
    void p.then(() => running.delete(p), () => running.delete(p));
    return p;
  };
  return {
    async check() {
      let other: string | null = null;
      const [database, reached] = await Promise.all([
        bounded(track(() => sql`select 1`.execute(db.kysely)), timeoutMs),
        // The gRPC deadline ends the call and its retries; `bounded` answers on time even while a
        // retry is waiting on its backoff timer, or a lazy connection is still dialling.
        bounded(track(() => temporalClient.connection.withDeadline(Date.now() + timeoutMs, () => temporalClient.workflowService.getSystemInfo({}))), timeoutMs),
        // Reached, but another Temporal than the plan's: events would go where no worker polls.
        otherTemporal ? bounded(track(async () => { other = await otherTemporal(); }), timeoutMs) : null,
      ]);
      const temporal = reached ?? other;
      const reasons: Partial<Record<CheckName, string>> = {};
      if (database !== null) reasons.database = `data source ${db.name}: ${database}`;
      if (temporal !== null) reasons.temporal = `Temporal${config ? ` at ${config.temporal.address}` : ''}: ${temporal}`;
      return {
        ready: database === null && temporal === null,
        checks: { database: database === null ? 'ok' : 'failed', temporal: temporal === null ? 'ok' : 'failed' },
        reasons,
      };
    },
    async settled() {
      // Bounded too: a query on a data source that never answers must not hold shutdown forever.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs + 5_000); }),
      ]);
      clearTimeout(timer);
    },
  };
}

/** null when `run` settles in time; otherwise why not, as a short line. */
async function bounded(run: () => Promise<unknown>, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
  });
  try {
    return await Promise.race([
      run().then(() => null, (err: unknown) => shortReason(err, timeoutMs)),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One line of an error, without credentials (drivers quote connection strings in some messages). */
export function shortReason(err: unknown, timeoutMs: number): string {
  const code = (err as { code?: unknown }).code;
  // gRPC DEADLINE_EXCEEDED (4): our own deadline, said the way the timeout says it.
  if (code === 4) return `no answer within ${timeoutMs / 1000} s`;
  const raw = err instanceof Error ? err.message : String(err);
  // The Temporal native layer wraps its reason in a debug dump: keep the quoted message.
  const message = /message: "([^"]+)"/.exec(raw)?.[1] ?? raw;
  const line = redactText((message.split('\n').find((l) => l.trim() !== '') ?? 'failed').trim());
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
