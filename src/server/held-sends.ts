// Dev only: the emails running sequences are holding back (quiet hours, a wait, a scheduled start),
// for the outbox page. Lists running sequence runs through Temporal's visibility and asks each with
// the `heldSend` query. Bounded in count and time: the page must render fast whatever Temporal does.
// A run waiting before a send to `lead.owner` knows only that name; the address is looked up here,
// as the send will look it up, so the held list names the person the sent list will show.
import type { Client } from '@temporalio/client';
import { currentRecords, resolveRecipient } from '../activities/subjects.js';
import type { Db } from '../data/db.js';
import { emailKey } from '../data/email-key.js';
import type { Recipient } from '../plan/schema.js';
import { heldSendQuery, type HeldSend } from '../workflows/api.js';

/** One recipient of a held email: the address when known, how the rule names it when not the subject itself. */
export interface HeldRecipient {
  address: string | null;
  /** `lead.owner`, `rep.manager`, `deal.contact`, `rep`: null for the run's own subject and a quoted address. */
  named: string | null;
  /** Why no address can be found now (the send would skip this recipient for the same reason). */
  problem: string | null;
}

export interface HeldEmail extends Omit<HeldSend, 'to' | 'named'> {
  workflowId: string;
  to: HeldRecipient[];
}

export interface HeldList {
  held: HeldEmail[];
  /** Runs listed that did not answer the query in time (worker down or busy). */
  unanswered: number;
  /**
   * Runs that answered but whose recipients could not be looked up: the data source failed (its
   * message in `unreadableReason`). Their held emails are not in `held`.
   */
  unreadable: number;
  unreadableReason: string | null;
  /** More running sequences exist than were asked. */
  truncated: boolean;
}

const RUNNING_SEQUENCES = 'ExecutionStatus = "Running" AND WorkflowType = "sequenceWorkflow"';

/** Null when Temporal did not list its workflows in time (down, or a server without visibility). */
export async function listHeldSends(
  client: Client, db: Db, options: { limit?: number; timeoutMs?: number } = {},
): Promise<HeldList | null> {
  const limit = options.limit ?? 50;
  const deadline = Date.now() + (options.timeoutMs ?? 2000);
  const ids = await withDeadline(deadline, async () => {
    const found: string[] = [];
    for await (const wf of client.workflow.list({ query: RUNNING_SEQUENCES, pageSize: limit + 1 })) {
      found.push(wf.workflowId);
      if (found.length > limit) break;
    }
    return found;
  });
  if (ids === null) return null;
  const asked = ids.slice(0, limit);
  const answers = await Promise.all(
    asked.map((workflowId) =>
      withDeadline(deadline, async (): Promise<{ held: HeldEmail | null; unreadable?: string }> => {
        const held = await client.workflow.getHandle(workflowId).query(heldSendQuery);
        if (!held) return { held: null };
        // A data source failure is not a run that did not answer: the run holds an email, the
        // page just cannot say to whom, and must not list it as nothing held.
        try {
          return { held: await withAddresses(db, held, workflowId) };
        } catch (err) {
          return { held: null, unreadable: (err as Error).message };
        }
      }),
    ),
  );
  const held = answers.flatMap((a) => (a?.held ? [a.held] : [])).sort((a, b) => a.at.localeCompare(b.at));
  const unreadable = answers.flatMap((a) => (a?.unreadable !== undefined ? [a.unreadable] : []));
  return {
    held,
    unanswered: answers.filter((a) => a === null).length,
    unreadable: unreadable.length,
    unreadableReason: unreadable[0] ?? null,
    truncated: ids.length > limit,
  };
}

/** How the rule names a recipient, unless it is the run's subject or a quoted address. */
function ruleName(recipient: Recipient, subjectKind: string): string | null {
  if (recipient.kind === 'address') return null;
  if (recipient.kind === 'entity') return recipient.entity === subjectKind ? null : recipient.entity;
  return `${recipient.entity}.${recipient.field}`;
}

/** The held email with its recipients' addresses as the data source has them now. */
async function withAddresses(db: Db, held: HeldSend, workflowId: string): Promise<HeldEmail> {
  const { named, to, ...rest } = held;
  if (!named) return { ...rest, workflowId, to: to.map((address) => ({ address, named: null, problem: null })) };
  const records = await currentRecords(db, named.subject);
  const recipients: HeldRecipient[] = [];
  const seen = new Set<string>();
  for (const recipient of named.recipients) {
    const label = ruleName(recipient, named.subject.kind);
    const found = await resolveRecipient(db, recipient, records);
    if (!found.ok) {
      if (!recipients.some((r) => r.address === null && r.named === label)) recipients.push({ address: null, named: label, problem: found.reason });
      continue;
    }
    const key = emailKey(found.recipient.email);
    if (seen.has(key)) continue;
    seen.add(key);
    recipients.push({ address: found.recipient.email, named: label, problem: null });
  }
  return { ...rest, workflowId, to: recipients };
}

/** `work()`'s result, or null when it fails or `deadline` (epoch ms) passes first. */
async function withDeadline<T>(deadline: number, work: () => Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work().catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
