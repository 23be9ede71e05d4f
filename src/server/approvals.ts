// GET|POST /approvals/:token (SPEC §9). GET and HEAD only show; a decision is made by POST alone,
// through the payout workflow's `decide` Update, whose validator is the single judge of "current
// approver, current round, not yet decided". The Update id is derived from the token and the
// decision, so a replayed POST (double click, reload, retry) gets the first result back instead of
// deciding twice.
import { createHash } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Hono, type Context } from 'hono';
import type { Db } from '../data/db.js';
import { getRepByEmail } from '../data/reps.js';
import { getStatement } from '../data/statements.js';
import { earlierApprovalEmailRecorded, refusedApprovalEmails } from '../data/outbox.js';
import { approverZone, rejectedBefore } from '../activities/payout.js';
import { type ApprovalClaims, verifyToken } from '../tokens/index.js';
import { type Decision, type DecisionResult, decideUpdate, type PayoutStatus, payoutStatusQuery, workflowIds } from '../workflows/api.js';
import type { ServerContext } from './context.js';
import { type FormRead, readForm } from './form.js';
import { html, type SafeHtml } from './pages/html.js';
import {
  alreadyDecidedPage, approvalForm, badFormPage, decidedPage, type LinkProblem, linkProblemPage, notAwaitingPage, supersededPage,
} from './pages/approval.js';
import { isCrossSitePost, ownOrigins } from './security.js';

/** The reason box takes 2,000 characters (UTF-16 units, as `maxlength` counts them). */
const REASON_MAX = 2000;
/**
 * What a full reason box can weigh form-encoded: a character outside ASCII is up to 3 UTF-8 bytes,
 * 9 bytes as %XX%XX%XX (a 2,000-character reason in Japanese is 18,000), plus the decision field.
 */
export const APPROVAL_FORM_LIMIT = REASON_MAX * 9 + 2048;

/** How long an expired link's page waits to say what became of the payout. */
const EXPIRED_READ_MS = 3000;
/**
 * How long a page waits on Temporal. A query or an update is answered by a worker, so with every
 * worker down (a deploy, an outage) Temporal holds the call open indefinitely: the approver gets
 * "try again shortly" instead of a page that never loads.
 */
const READ_MS = 5000;
const DECIDE_MS = 10_000;

const problemStatus: Record<LinkProblem, 400 | 403 | 404 | 410 | 413 | 503> = {
  forged: 403, expired: 410, 'not-found': 404, 'cross-site': 403, 'too-large': 413, unavailable: 503, unconfirmed: 503, 'run-ended': 410, 'run-restarted': 410,
};

/** What is wrong with a decision form that names no decision this page takes. */
function formProblem(form: FormRead, contentType: string): SafeHtml | string {
  if (!form.ok) return form.reason === 'unreadable' ? form.problem : 'The form is too large.';
  const choice = form.fields.get('decision');
  if (choice !== undefined) {
    const shown = choice.length > 60 ? `${choice.slice(0, 60)}…` : choice;
    return html`The form's <code>decision</code> is “${shown}”; it must be <code>approve</code> or <code>reject</code>.`;
  }
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') {
    return html`The body was sent as ${type || 'no content type'}, not as a form: send <code>application/x-www-form-urlencoded</code> or <code>multipart/form-data</code> with <code>decision</code> set to <code>approve</code> or <code>reject</code>.`;
  }
  return html`The form has no <code>decision</code> field; it must be <code>approve</code> or <code>reject</code>.`;
}

/** The same token and decision always map to the same Update id; reasons do not change it. */
export function decisionUpdateId(token: string, decision: Decision['decision']): string {
  return `decide-${createHash('sha256').update(`${token}\n${decision}`).digest('hex').slice(0, 40)}`;
}

type StatusRead = { ok: true; status: PayoutStatus } | { ok: false; problem: LinkProblem };

async function readStatus(client: Client, workflowId: string): Promise<StatusRead> {
  try {
    return { ok: true, status: await client.withDeadline(Date.now() + READ_MS, () => client.workflow.getHandle(workflowId).query(payoutStatusQuery)) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { ok: false, problem: 'not-found' };
    console.error(`salesflow: reading payout ${workflowId} failed: ${(err as Error).message}`);
    return { ok: false, problem: 'unavailable' };
  }
}

/**
 * Whether an undecided payout's run has ended (terminated or failed, e.g. by an operator in
 * Temporal): a closed run still answers queries with its last state, "awaiting approval", so the
 * page offered buttons that could never decide and the decision was "try again shortly" forever.
 * Unknown (Temporal not answering) counts as not ended.
 */
async function runEnded(client: Client, workflowId: string): Promise<boolean> {
  try {
    const described = await client.withDeadline(Date.now() + READ_MS, () => client.workflow.getHandle(workflowId).describe());
    return described.status.name !== 'RUNNING';
  } catch {
    return false;
  }
}

/**
 * Which page a link of an ended run gets: started again since (`payouts run` began the next
 * attempt, whose email has the link that decides now), or only ended, which sales ops can start again.
 */
async function endedProblem(ctx: ServerContext, workflowId: string): Promise<LinkProblem> {
  const next = workflowIds.nextPayoutAttempt(workflowId);
  if (await getStatement(ctx.db, next).catch(() => null)) return 'run-restarted';
  try {
    await ctx.temporalClient.withDeadline(Date.now() + READ_MS, () => ctx.temporalClient.workflow.getHandle(next).describe());
    return 'run-restarted';
  } catch {
    return 'run-ended';
  }
}

/** Whether `payouts run` has started the payout again since (a re-run after a rejection, or after an ended run). */
async function startedAgain(ctx: ServerContext, workflowId: string): Promise<boolean> {
  const next = workflowIds.nextPayoutAttempt(workflowId);
  if (await getStatement(ctx.db, next).catch(() => null)) return true;
  try {
    await ctx.temporalClient.withDeadline(Date.now() + READ_MS, () => ctx.temporalClient.workflow.getHandle(next).describe());
    return true;
  } catch {
    return false;
  }
}

/** The page of a decided payout, saying when a rejected one was computed again since. */
async function decidedAlready(ctx: ServerContext, workflowId: string, decision: DecisionResult, status: PayoutStatus, zone: string): Promise<SafeHtml> {
  const again = decision.outcome === 'rejected' && await startedAgain(ctx, workflowId);
  return alreadyDecidedPage(decision, status.statement, zone, status.reason, again);
}

// An approver not yet on record means this round's email is still being sent: not superseded.
const isSuperseded = (status: PayoutStatus, claims: ApprovalClaims) =>
  status.round !== claims.round || (status.approver !== null && status.approver.toLowerCase() !== claims.approver.toLowerCase());

const sameDecision = (result: DecisionResult, claims: ApprovalClaims, decision: Decision['decision']) =>
  result.decidedBy.toLowerCase() === claims.approver.toLowerCase() &&
  result.outcome === (decision === 'approve' ? 'approved' : 'rejected');

/**
 * Temporal keeps a closed run only for its namespace's retention (a day on the dev server), but
 * the decision is in the data source for good: a link clicked later shows it from there. A run
 * that is gone while its statement still waits stays "not found" (nothing here can decide it).
 */
async function recordedStatus(db: Db, workflowId: string): Promise<StatusRead> {
  const stored = await getStatement(db, workflowId).catch(() => null);
  if (!stored || stored.status === 'pending') return { ok: false, problem: 'not-found' };
  const decision: DecisionResult | null = stored.status === 'recorded'
    ? null
    : { outcome: stored.status, decidedBy: stored.decidedBy ?? 'unknown', decidedAt: stored.decidedAt ?? '' };
  return { ok: true, status: { phase: stored.status, statement: stored.statement, approver: null, round: -1, deadline: null, decision, reason: stored.reason } };
}

export function approvalRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  // A decision on record is final, so it answers when the run is gone or no worker can answer.
  const statusOf = async (workflowId: string): Promise<StatusRead> => {
    const read = await readStatus(ctx.temporalClient, workflowId);
    if (read.ok || (read.problem !== 'not-found' && read.problem !== 'unavailable')) return read;
    const recorded = await recordedStatus(ctx.db, workflowId);
    return recorded.ok ? recorded : read;
  };
  const show = (c: Context, body: SafeHtml, status: 200 | 400 | 403 | 404 | 409 | 410 | 413 | 503) => c.html(body.toString(), status);
  const problem = (c: Context, p: LinkProblem) => show(c, linkProblemPage(p), problemStatus[p]);

  type Verified = { ok: true; claims: ApprovalClaims } | { ok: false; problem: LinkProblem; expired?: ApprovalClaims };

  function claimsOf(token: string): Verified {
    const check = verifyToken(token, ctx.secret, 'approval', (ctx.clock ?? Date.now)());
    if (check.ok) return { ok: true, claims: check.claims as ApprovalClaims };
    if (check.reason !== 'expired') return { ok: false, problem: 'forged' };
    // Signed by us and only out of date: its claims are ours, so the page can say what became of the payout.
    const stale = verifyToken(token, ctx.secret, 'approval', Number.NEGATIVE_INFINITY);
    return { ok: false, problem: 'expired', ...(stale.ok ? { expired: stale.claims as ApprovalClaims } : {}) };
  }

  /**
   * A link's window ends when the request escalates or falls to `otherwise`, so an expired link
   * usually means one of those happened: say which (who has it now, or who decided) rather than
   * only "expired". It decides nothing either way.
   */
  async function expiredLink(c: Context, verified: Verified & { ok: false }) {
    if (!verified.expired) return problem(c, verified.problem);
    // The plain "expired" page is right too, so it does not wait long on a Temporal that is down.
    let timer: NodeJS.Timeout | undefined;
    const read = await Promise.race([
      statusOf(verified.expired.workflowId),
      new Promise<StatusRead>((resolve) => { timer = setTimeout(() => resolve({ ok: false, problem: 'unavailable' }), EXPIRED_READ_MS); }),
    ]).finally(() => clearTimeout(timer));
    if (!read.ok) return problem(c, 'expired');
    const { status } = read;
    if (status.decision) return show(c, await decidedAlready(ctx, verified.expired.workflowId, status.decision, status, await readerZone(status, verified.expired.approver)), 409);
    if (status.phase === 'awaiting-approval' && isSuperseded(status, verified.expired)) return show(c, supersededPage(status, verified.expired.approver), 410);
    return problem(c, 'expired');
  }

  /**
   * The zone a link's approver reads times in, as their deadline was shown: the round's own zone
   * while they are the one asked, else theirs when they are a rep, else the rule's, else UTC.
   */
  async function readerZone(status: PayoutStatus, approver: string): Promise<string> {
    if (status.deadlineZone && status.approver?.toLowerCase() === approver.toLowerCase()) return status.deadlineZone;
    const rep = await getRepByEmail(ctx.db, approver).catch(() => null);
    if (status.ruleZone) return approverZone(rep?.timezone ?? null, status.ruleZone);
    // Read off the data source (the run is gone from Temporal): the rule as the plan has it now.
    const ruleId = (status.statement as { ruleId?: unknown } | null)?.ruleId;
    const rule = (await ctx.planNow().catch(() => null))?.rules.find((r) => r.id === ruleId);
    return approverZone(rep?.timezone ?? null, rule?.timezone);
  }

  /** The page for a payout that cannot take this link's decision (or any decision) now. */
  async function stateProblem(c: Context, status: PayoutStatus, claims: ApprovalClaims) {
    if (status.decision) return show(c, await decidedAlready(ctx, claims.workflowId, status.decision, status, await readerZone(status, claims.approver)), 409);
    if (status.phase !== 'awaiting-approval') return show(c, notAwaitingPage(status), 409);
    if (isSuperseded(status, claims)) return show(c, supersededPage(status, claims.approver), 410);
    return null;
  }

  /** stateProblem, else the page for a run that has ended (or was restarted) while it waited; null when the link is open. */
  async function closedLink(c: Context, status: PayoutStatus, claims: ApprovalClaims) {
    const blocked = await stateProblem(c, status, claims);
    if (blocked) return blocked;
    if (await runEnded(ctx.temporalClient, claims.workflowId)) return problem(c, await endedProblem(ctx, claims.workflowId));
    return null;
  }

  app.get('/approvals/:token', async (c) => {
    const token = c.req.param('token');
    const verified = claimsOf(token);
    if (!verified.ok) return verified.problem === 'expired' ? expiredLink(c, verified) : problem(c, verified.problem);
    const read = await statusOf(verified.claims.workflowId);
    if (!read.ok) return problem(c, read.problem);
    const closed = await closedLink(c, read.status, verified.claims);
    if (closed) return closed;
    // A statement run again after a rejection: the approver sees what was rejected and why.
    const previous = await rejectedBefore(ctx.db, verified.claims.workflowId);
    const replaces = previous ? { by: previous.decidedBy, at: previous.decidedAt, reason: previous.reason, total: previous.statement.total, currency: previous.statement.currency } : undefined;
    const escalated = verified.claims.round > 0
      ? {
        earlierAsked: await earlierApprovalEmailRecorded(ctx.db, verified.claims.workflowId, verified.claims.round).catch(() => true),
        refusedTo: [...new Set(await refusedApprovalEmails(ctx.db, verified.claims.workflowId).catch(() => []))],
      }
      : undefined;
    // The deadline in the approver's zone, also when the link is opened while its email is still
    // being recorded (the run's status then names no approver and no zone yet).
    const zone = await readerZone(read.status, verified.claims.approver);
    return show(c, approvalForm({ ...read.status, deadlineZone: zone }, verified.claims.approver, replaces, escalated), 200);
  });

  app.post('/approvals/:token', async (c) => {
    const token = c.req.param('token');
    const verified = claimsOf(token);
    if (!verified.ok) return verified.problem === 'expired' ? expiredLink(c, verified) : problem(c, verified.problem);
    const { claims } = verified;
    if (isCrossSitePost(c.req.raw.headers, ownOrigins(ctx.config.publicUrl, c.req.url))) return problem(c, 'cross-site');
    const form = await readForm(c.req.raw, APPROVAL_FORM_LIMIT);
    const choice = form.ok ? form.fields.get('decision') : undefined;
    if (choice !== 'approve' && choice !== 'reject') {
      // A link already decided (or moved on, or ended) says so whatever the body: a manager
      // submitting a decided link again was told to choose Approve or Reject, as if it were open.
      const read = await statusOf(claims.workflowId);
      const closed = read.ok ? await closedLink(c, read.status, claims) : null;
      if (closed) return closed;
      // Said as such: "choose Approve or Reject" would send the approver back to press the same button.
      if (!form.ok && form.reason === 'too-large') return problem(c, 'too-large');
      return show(c, badFormPage(formProblem(form, c.req.header('content-type') ?? '')), 400);
    }
    // Cut at a whole character: half of an emoji's surrogate pair would reach the emails as garbage.
    // NUL, which no textarea sends, is dropped: PostgreSQL cannot store it, and recording the
    // decision failed on every retry, leaving the payout neither recorded nor paid.
    const reason = form.ok ? form.fields.get('reason')?.replace(/\u0000/g, '').trim().slice(0, REASON_MAX).replace(/[\uD800-\uDBFF]$/, '') : undefined;
    const decision: Decision = { approver: claims.approver, round: claims.round, decision: choice, ...(reason ? { reason } : {}) };

    const handle = ctx.temporalClient.workflow.getHandle(claims.workflowId);
    try {
      const result = await ctx.temporalClient.withDeadline(Date.now() + DECIDE_MS, () =>
        handle.executeUpdate(decideUpdate, { args: [decision], updateId: decisionUpdateId(token, choice) }));
      const after = await statusOf(claims.workflowId);
      const zone = after.ok ? await readerZone(after.status, claims.approver) : undefined;
      // The same token and decision map to one Update, so a second press (back, edit the reason,
      // press again; or two tabs) gets the first result: the reason on record is the first one,
      // and the page must not show this press's reason as the one the rep was sent.
      const recorded = after.ok ? after.status.reason : undefined;
      if (recorded !== undefined && (recorded ?? null) !== (reason || null)) {
        return show(c, decidedPage(result, after.ok ? after.status.statement : undefined, true, undefined, zone, recorded), 200);
      }
      return show(c, decidedPage(result, after.ok ? after.status.statement : undefined, false, reason, zone), 200);
    } catch (err) {
      // Refused by the validator, or the workflow has finished: the current state says why.
      const read = await statusOf(claims.workflowId);
      // The decision may have reached Temporal before the call gave up: not "nothing was changed".
      if (!read.ok) return problem(c, read.problem === 'unavailable' ? 'unconfirmed' : read.problem);
      const { status } = read;
      if (status.decision && sameDecision(status.decision, claims, choice)) {
        return show(c, decidedPage(status.decision, status.statement, true, undefined, await readerZone(status, claims.approver), status.reason), 200);
      }
      const closed = await closedLink(c, status, claims);
      if (closed) return closed;
      console.error(`salesflow: decision on ${claims.workflowId} failed: ${(err as Error).message}`);
      return problem(c, 'unavailable');
    }
  });
  return app;
}
