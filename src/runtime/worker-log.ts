// What `salesflow worker` writes to stderr. The Temporal SDK's own lines pass through as its
// default logger writes them, except a failed activity attempt: the SDK logs that with the task
// token and the error's whole stack, about 30 lines per attempt, repeated every few seconds while
// an expected outage lasts (SMTP relay or database down, docs/operations.md "When a part is down").
// Here it is one line naming the activity, the run, the attempt and the error. An error that is a
// bug in salesflow (TypeError and the like) keeps its stack, which is what a bug report needs.
import { formatWithOptions } from 'node:util';
import { DefaultLogger, type LogEntry, Runtime } from '@temporalio/worker';

const BUG_ERRORS = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError', 'AssertionError']);

const format = formatWithOptions.bind(undefined, { colors: false });

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

/** The log function of the worker's Temporal runtime: `write` gets whole lines. */
export function workerLogFunction(write: (text: string) => void = (text) => process.stderr.write(text)): (entry: LogEntry) => void {
  return (entry) => {
    const failure = activityFailureLine(entry);
    if (failure !== null) {
      write(`${failure}\n`);
      return;
    }
    const meta = entry.meta === undefined ? '' : ` ${format(entry.meta)}`;
    write(`${timeOf(entry)} [${entry.level}] ${entry.message}${meta}\n`);
  };
}

/** Installs the worker's logging; once per process, before the first connection or worker. */
export function installWorkerLogging(): void {
  Runtime.install({ logger: new DefaultLogger('INFO', workerLogFunction()) });
}
