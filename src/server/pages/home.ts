// The dev overview page.
import { dec, displayMoney } from '../../money/index.js';
import type { LedgerEntry } from '../../data/ledger.js';
import type { Rule } from '../../plan/schema.js';
import { zonedDateTime } from '../../workflows/calendar.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export interface RunningWorkflow {
  workflowId: string;
  type: string;
  startTime: string;
}

export interface PendingApproval {
  workflowId: string;
  rule: string;
  rep: string;
  repName: string;
  period: string;
  total: string;
  currency: string;
  /** The run found nobody to ask (no approval email): why, and what its window's end decides. */
  nobodyToAsk?: { reason: string; deadline: string | null; outcome: 'escalated' | 'approved' | 'rejected' | null };
}

/** A pending statement whose run ended (terminated, failed) before a decision: no link can decide it. */
export interface EndedPayout extends PendingApproval {
  /** How and when its run ended ("terminated 2026-04-03 09:12 UTC"). */
  how: string;
}

export interface HomeView {
  rules: Rule[];
  /** null: the Temporal server cannot list workflows (or did not answer in time). */
  running: RunningWorkflow[] | null;
  pending: PendingApproval[];
  /** How many there are: the lists are cut (the counts in the headings are these, not the rows shown). */
  pendingTotal: number;
  /** Among the listed pending statements, those whose run has ended. */
  ended?: EndedPayout[];
  ledger: LedgerEntry[];
  ledgerTotal: number;
  temporalUiUrl?: string;
  namespace: string;
}

function workflowLink(view: HomeView, workflowId: string): SafeHtml {
  if (!view.temporalUiUrl) return html`<code>${workflowId}</code>`;
  const href = `${view.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(view.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return html`<a href="${href}"><code>${workflowId}</code></a>`;
}

function nobodyAsked(n: NonNullable<PendingApproval['nobodyToAsk']>): SafeHtml {
  const at = n.deadline ? zonedDateTime(Date.parse(n.deadline), 'UTC') : 'the end of the window';
  const then = n.outcome === 'approved' ? html`<strong>paid without approval</strong> at ${at} (<code>otherwise approve</code>)` : html`decided by the rule's <code>otherwise</code> at ${at}`;
  return html`<span><strong>Nobody to ask</strong> (${n.reason}): no approval email was sent; ${then}.</span>`;
}

/** Says the table below lists only part of what the heading counts. */
function cut(shown: number, total: number, which: string): SafeHtml | '' {
  return shown < total ? html`<p class="muted">${shown} of ${total} are listed: ${which}.</p>` : '';
}

export function homePage(view: HomeView): SafeHtml {
  return page(
    { title: 'Overview', section: 'Dev overview', wide: true },
    html`<h1>salesflow dev</h1>
<p>Everything on this machine: <a href="/outbox">the outbox</a> (every email sent)${view.temporalUiUrl ? html`, <a href="${view.temporalUiUrl}">the Temporal UI</a>` : ''}.</p>

<section class="card" aria-labelledby="pending-heading">
<h2 id="pending-heading">Payouts waiting for approval (${view.pendingTotal})</h2>
${cut(view.pending.length, view.pendingTotal, 'the first by period, rule and rep')}
${view.pending.length === 0
    ? html`<p class="muted">None. Run <code>salesflow payouts run --period 2026-Q1</code> to start some.</p>`
    : html`<table><thead><tr><th scope="col">Rule</th><th scope="col">Rep</th><th scope="col">Period</th><th scope="col" class="amount">Total</th><th scope="col">Workflow</th><th scope="col">Email</th></tr></thead><tbody>
${view.pending.map(
  (p) => html`<tr><td>${p.rule}</td><td>${p.repName} <span class="muted">(${p.rep})</span></td><td>${p.period}</td><td class="amount">${displayMoney(dec(p.total), p.currency)}</td><td>${workflowLink(view, p.workflowId)}</td><td>${p.nobodyToAsk ? nobodyAsked(p.nobodyToAsk) : html`<a href="/outbox?workflow=${encodeURIComponent(p.workflowId)}">approval email</a>`}</td></tr>`,
)}
</tbody></table>`}
</section>

${view.ended && view.ended.length > 0 ? html`<section class="card" aria-labelledby="ended-heading">
<h2 id="ended-heading">Payouts whose run ended before a decision (${view.ended.length})</h2>
<p>Their runs were terminated or failed in Temporal, so no approval link can decide them. <code>salesflow payouts run --period PERIOD</code> starts each again (a new statement, asked for anew; the ledger still pays once).</p>
<table><thead><tr><th scope="col">Rule</th><th scope="col">Rep</th><th scope="col">Period</th><th scope="col" class="amount">Total</th><th scope="col">Workflow</th><th scope="col">Ended</th></tr></thead><tbody>
${view.ended.map(
  (p) => html`<tr><td>${p.rule}</td><td>${p.repName} <span class="muted">(${p.rep})</span></td><td>${p.period}</td><td class="amount">${displayMoney(dec(p.total), p.currency)}</td><td>${workflowLink(view, p.workflowId)}</td><td>${p.how}</td></tr>`,
)}
</tbody></table>
</section>` : ''}

<section class="card" aria-labelledby="ledger-heading">
<h2 id="ledger-heading">Payout ledger (${view.ledgerTotal})</h2>
${cut(view.ledger.length, view.ledgerTotal, 'the newest')}
${view.ledger.length === 0
    ? html`<p class="muted">No approved payouts yet.</p>`
    : html`<table><thead><tr><th scope="col">Rule</th><th scope="col">Rep</th><th scope="col">Period</th><th scope="col" class="amount">Amount</th><th scope="col">Approved by</th><th scope="col">Approved at</th></tr></thead><tbody>
${view.ledger.map(
  (e) => html`<tr><td>${e.ruleName}</td><td>${e.rep}</td><td>${e.period}</td><td class="amount">${displayMoney(dec(e.amount), e.currency)}</td><td>${e.approvedBy}</td><td class="muted">${e.approvedAt}</td></tr>`,
)}
</tbody></table>`}
</section>

<section class="card" aria-labelledby="running-heading">
<h2 id="running-heading">Running workflows</h2>
${view.running === null
    ? html`<p class="muted">Temporal did not list its workflows (not reachable, or a server without visibility).</p>`
    : view.running.length === 0
      ? html`<p class="muted">None running.</p>`
      : html`<table><thead><tr><th scope="col">Workflow</th><th scope="col">Type</th><th scope="col">Started</th></tr></thead><tbody>
${view.running.map((w) => html`<tr><td>${workflowLink(view, w.workflowId)}</td><td>${w.type}</td><td class="muted">${w.startTime}</td></tr>`)}
</tbody></table>`}
</section>

<section class="card" aria-labelledby="rules-heading">
<h2 id="rules-heading">Rules (${view.rules.length})</h2>
${view.rules.length === 0
    ? html`<p class="muted">No rules loaded.</p>`
    : html`<table><thead><tr><th scope="col">Rule</th><th scope="col">Kind</th><th scope="col">Source</th><th scope="col">Version</th></tr></thead><tbody>
${view.rules.map((r) => html`<tr><td>${r.name}</td><td><span class="kind">${r.kind}</span></td><td class="muted">${r.source.file}:${r.source.line}</td><td class="muted"><code>${r.version.slice(0, 12)}</code></td></tr>`)}
</tbody></table>`}
</section>`,
  );
}
