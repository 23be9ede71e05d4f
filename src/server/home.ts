// Dev only: GET / — the overview of a `salesflow dev` session: the rules loaded, the workflows
// running (with links into the Temporal UI) and the payouts waiting for a decision.
import { Hono } from 'hono';
import { exportLedger } from '../data/ledger.js';
import type { ServerContext } from './context.js';
import { homePage, type PendingApproval, type RunningWorkflow } from './pages/home.js';

const MAX_LISTED = 50;

async function runningWorkflows(ctx: ServerContext): Promise<RunningWorkflow[] | null> {
  try {
    const rows: RunningWorkflow[] = [];
    for await (const wf of ctx.temporalClient.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      rows.push({ workflowId: wf.workflowId, type: wf.type, startTime: wf.startTime.toISOString() });
      if (rows.length >= MAX_LISTED) break;
    }
    return rows;
  } catch {
    // Servers without visibility (the time-skipping test server) cannot list; the page says so.
    return null;
  }
}

function pendingApprovals(ctx: ServerContext): PendingApproval[] {
  return ctx.db
    .prepare(
      `SELECT workflow_id AS workflowId, rule_name AS rule, rep, period, total, currency, created_at AS createdAt
       FROM statements WHERE status = 'pending' ORDER BY created_at DESC LIMIT ${MAX_LISTED}`,
    )
    .all() as PendingApproval[];
}

export function homeRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const body = homePage({
      rules: ctx.plan?.rules ?? [],
      running: await runningWorkflows(ctx),
      pending: pendingApprovals(ctx),
      // Newest last in the export; the page shows the most recent first.
      ledger: exportLedger(ctx.db).sort((a, b) => b.id - a.id).slice(0, MAX_LISTED),
      temporalUiUrl: ctx.dev?.temporalUiUrl,
      namespace: ctx.config.temporal.namespace,
    });
    return c.html(body.toString());
  });
  return app;
}
