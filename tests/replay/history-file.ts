// History files as protobuf's canonical object form (enum names, 64-bit ints and bytes as strings).
// Written and read with the same @temporalio/proto the worker uses, so the round trip does not
// depend on which protobufjs copy the SDK's JSON helpers resolve to.
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.History;

export function historyToFile(history: temporal.api.history.v1.IHistory): string {
  const message = temporal.api.history.v1.History.fromObject(history);
  const object = temporal.api.history.v1.History.toObject(message, { longs: String, enums: String, bytes: String });
  return `${JSON.stringify(object, null, 1)}\n`;
}

export function historyFromFile(text: string): History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(text));
}

/** The workflow type a history ran (from its first event). */
export function workflowTypeOf(history: History): string {
  return history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
}
