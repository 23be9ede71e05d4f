// What `salesflow worker` writes to stderr. The Temporal SDK's own lines pass through as its
// default logger writes them, except a failed activity attempt: the SDK logs that with the task
// token and the error's whole stack, about 30 lines per attempt, repeated every few seconds while
// an expected outage lasts (SMTP relay or database down, docs/operations.md "When a part is down").
// Here it is one line naming the activity, the run, the attempt and the error. An error that is a
// bug in salesflow (TypeError and the like) keeps its stack, which is what a bug report needs.
import { formatWithOptions } from 'node:util';
import { DefaultLogger, type LogEntry, Runtime, type RuntimeOptions } from '@temporalio/worker';

const BUG_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError', 'AssertionError']);

// One line per entry whatever its size: a log collector reads a line as an entry.
const format = formatWithOptions.bind(undefined, { colors: false, breakLength: Infinity });

function timeOf(entry: LogEntry): string {
  return new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
}

/** The error's class and message on one line, and its cause's, as `name: message`. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return format(error);
  const own = `${error.name}: ${error.message.replace(/\s*\n\s*/g, ' ')}`;
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${own} (cause ${cause.name}: ${cause.message.replace(/\s*\n\s*/g, ' ')})` : own;
}

/** One line for a failed activity attempt; null for any other entry. */
export function activityFailureLine(entry: LogEntry): string | null {
  if (entry.message !== 'Activity failed' || !entry.meta) return null;
  const meta = entry.meta as { activityType?: string; workflowId?: string; attempt?: number; error?: unknown };
  const error = meta.error;
  // An ApplicationFailure marked non-retryable ends the activity; any other failure is retried.
  const next = (error as { nonRetryable?: unknown } | undefined)?.nonRetryable === true ? 'not retried' : 'Temporal retries it as its retry policy says';
  const line = `${timeOf(entry)} [${entry.level}] activity ${meta.activityType ?? '?'} of workflow ${meta.workflowId ?? '?'} ` +
    `failed on attempt ${meta.attempt ?? '?'} (${next}): ${describeError(error)}`;
  if (error instanceof Error && BUG_ERRORS.has(error.name) && error.stack) {
    return `${line}\n${error.stack.split('\n').slice(1).join('\n')}`;
  }
  return line;
}

/**
 * A line from the SDK's native core (forwarded, see installWorkerLogging): its gRPC status said as
 * `Unavailable: tcp connect error` rather than the Rust debug dump, on one line.
 */
function coreLine(entry: LogEntry): string {
  const meta = (entry.meta ?? {}) as { error?: unknown };
  const error = typeof meta.error === 'string' ? meta.error : meta.error === undefined ? '' : format(meta.error);
  const status = /code: (\w+), message: "([^"]*)"/.exec(error);
  const why = status ? `${status[1]}: ${status[2]}` : error;
  return `${timeOf(entry)} [${entry.level}] Temporal: ${entry.message}${why ? `: ${why}` : ''}`;
}

/** How long the same core warning is not repeated: each poller logs every retry while Temporal is down. */
const CORE_REPEAT_MS = 60_000;

/**
 * The log function of the worker's Temporal runtime: `write` gets whole lines, `now` is the clock
 * that spaces out repeated core warnings.
 */
export function workerLogFunction(
  write: (text: string) => void = (text) => process.stderr.write(text), now: () => number = Date.now,
): (entry: LogEntry) => void {
  const lastSaid = new Map<string, number>();
  return (entry) => {
    const failure = activityFailureLine(entry);
    if (failure !== null) {
      write(`${failure}\n`);
      return;
    }
    if ((entry.meta as { sdkComponent?: unknown } | undefined)?.sdkComponent === 'core') {
      const line = coreLine(entry);
      // "gRPC call poll_activity_task_queue retried 6 times": the same warning whatever the count.
      const key = line.slice(line.indexOf('[')).replace(/\d+ times/, 'N times').replace(/poll_\w+_task_queue/, 'poll');
      const last = lastSaid.get(key);
      if (last !== undefined && now() - last < CORE_REPEAT_MS) return;
      lastSaid.set(key, now());
      write(`${line}${last === undefined ? '' : ' (repeated; said at most once a minute)'}\n`);
      return;
    }
    const meta = entry.meta === undefined ? '' : ` ${format(entry.meta)}`;
    write(`${timeOf(entry)} [${entry.level}] ${entry.message}${meta}\n`);
  };
}

let installed = false;

/**
 * Temporal's runtime with these options, once per process: when the process already has one (a
 * test that started a server in it, a second `run`), that one is kept and logs as it was set up.
 */
export function installRuntimeOnce(options: RuntimeOptions): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install(options);
  } catch (err) {
    if ((err as Error)?.name !== 'IllegalStateError') throw err;
  }
}

/** Installs the worker's logging, before the first connection or worker. */
export function installWorkerLogging(): void {
  // The native core's warnings (a retried gRPC call while Temporal is unreachable) came straight to
  // stderr with terminal colour codes, one multi-line dump per poller and retry; forwarded, they
  // go through workerLogFunction.
  installRuntimeOnce({
    logger: new DefaultLogger('INFO', workerLogFunction()),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}
