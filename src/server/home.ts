// Dev only: GET / — the overview of a `salesflow dev` session: the rules loaded, the workflows
// running (with links into the Temporal UI), the payouts waiting for a decision and those whose
// run ended before one.
import { Hono } from 'hono';
import { exportLedger } from '../data/ledger.js';
import { waitingStatements } from '../data/statements.js';
import { endedWords, payoutRunStates } from '../runtime/payout-run-state.js';
import { payoutStatusQuery } from '../workflows/api.js';
import type { ServerContext } from './context.js';
import { type EndedPayout, homePage, type PendingApproval, type RunningWorkflow } from './pages/home.js';

const MAX_LISTED = 50;
/** The overview must not hang on a slow or absent Temporal: it shows what it has. */
const LIST_TIMEOUT_MS = 2000;

async function runningWorkflows(ctx: ServerContext): Promise<RunningWorkflow[] | null> {
  const list = async () => {
    const rows: RunningWorkflow[] = [];
    for await (const wf of ctx.temporalClient.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      rows.push({ workflowId: wf.workflowId, type: wf.type, startTime: wf.startTime.toISOString() });
      if (rows.length >= MAX_LISTED) break;
    }
    return rows;
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), LIST_TIMEOUT_MS);
  });
  try {
    // Servers without visibility (the time-skipping test server) cannot list; the page says so.
    return await Promise.race([list().catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function pendingApprovals(ctx: ServerContext): Promise<{ listed: PendingApproval[]; total: number; ended: EndedPayout[] }> {
  const pending = await waitingStatements(ctx.db);
  const shown = pending.slice(0, MAX_LISTED).map(({ workflowId, statement: s }) => ({
    workflowId, rule: s.rule, rep: s.rep, repName: s.repName, period: s.period, total: s.total, currency: s.currency,
  }));
  // A run terminated or failed in Temporal leaves its statement pending for good: shown apart, as
  // ended (how and when), not as waiting for an approver whose link can no longer decide it.
  // Side by side with the nobody-to-ask queries, so a Temporal that does not answer is waited on once.
  const [states] = await Promise.all([
    withinListTimeout(payoutRunStates(ctx.temporalClient, shown.map((p) => p.workflowId), { timeoutMs: LIST_TIMEOUT_MS })),
    noteNobodyAsked(ctx, shown),
  ]);
  const ended: EndedPayout[] = [];
  const listed: PendingApproval[] = [];
  for (const p of shown) {
    const state = states?.get(p.workflowId);
    if (state?.kind === 'ended' || state?.kind === 'gone') ended.push({ ...p, how: endedWords(state) });
    else listed.push(p);
  }
  return { total: pending.length - ended.length, listed, ended };
}

/** The answer, or null once LIST_TIMEOUT_MS has passed: the overview shows what it has. */
async function withinListTimeout<T>(work: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), LIST_TIMEOUT_MS); });
  return Promise.race([work.catch(() => null), timeout]).finally(() => clearTimeout(timer));
}

/**
 * A pending statement whose run found nobody to ask sends no approval email at all, and with
 * `otherwise approve` pays when the window ends: the overview says so, with the run's reason,
 * rather than offering an "approval email" that does not exist. Bounded like the running list.
 */
async function noteNobodyAsked(ctx: ServerContext, listed: PendingApproval[]): Promise<void> {
  if (listed.length === 0) return;
  const asked = new Set((await ctx.db.kysely.selectFrom('outbox').select('workflow_id')
    .where('workflow_id', 'in', listed.map((p) => p.workflowId)).where('key', 'like', '%:approval-%').execute()).map((r) => r.workflow_id));
  const unasked = listed.filter((p) => !asked.has(p.workflowId));
  const read = Promise.all(unasked.map(async (p) => {
    // A query needs a worker: with none running it would stay open, so it gets a deadline too.
    const status = await ctx.temporalClient.withDeadline(Date.now() + LIST_TIMEOUT_MS, () =>
      ctx.temporalClient.workflow.getHandle(p.workflowId).query(payoutStatusQuery)).catch(() => null);
    if (status?.nobodyToAsk) p.nobodyToAsk = { reason: status.nobodyToAsk, deadline: status.deadline, outcome: status.afterDeadline ?? null };
  }));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([read, new Promise((resolve) => { timer = setTimeout(resolve, LIST_TIMEOUT_MS); })]).finally(() => clearTimeout(timer));
}

export function homeRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    // Both wait on Temporal for at most LIST_TIMEOUT_MS: side by side, so the page waits once.
    const [pending, running] = await Promise.all([pendingApprovals(ctx), runningWorkflows(ctx)]);
    const ledger = await exportLedger(ctx.db);
    const body = homePage({
      // The applied plan when the server follows it (dev after another apply), else the one it started with.
      rules: (ctx.currentPlan ? await ctx.currentPlan() : ctx.plan)?.rules ?? [],
      running,
      pending: pending.listed,
      pendingTotal: pending.total,
      ended: pending.ended,
      // Newest last in the export; the page shows the most recent first.
      ledger: ledger.sort((a, b) => b.id - a.id).slice(0, MAX_LISTED),
      ledgerTotal: ledger.length,
      temporalUiUrl: ctx.dev?.temporalUiUrl,
      namespace: ctx.config.temporal.namespace,
    });
    return c.html(body.toString());
  });
  return app;
}
