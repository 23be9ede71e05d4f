// Dev outbox pages: every email salesflow sent or meant to send, the emails running sequences are
// still holding back (when they go out and why), and one email as the recipient would see it. The email's HTML is shown in a sandboxed iframe (no scripts, no same-origin access);
// its links open in the top window, so the whole loop (approve, unsubscribe) can be clicked through.
import type { OutboxRow } from '../../data/outbox.js';
import type { HeldList, HeldRecipient } from '../held-sends.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

const section = 'Dev outbox';

function shortTime(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

/** `olga@acme.example (lead.owner)`; a recipient without an address says why, as the send would skip it. */
function heldRecipient(r: HeldRecipient): SafeHtml {
  if (r.address === null) return html`${r.named ?? 'no address'} <span class="muted">(${r.problem})</span>`;
  return r.named ? html`${r.address} <span class="muted">(${r.named})</span>` : html`${r.address}`;
}

/** Held emails: null when Temporal did not answer, so the page says it cannot tell. */
function heldSection(list: HeldList | null): SafeHtml {
  // A count only when the list is whole: "Held (0)" beside runs that could not be read says "none".
  const complete = list !== null && list.unreadable === 0 && list.unanswered === 0;
  const heading = html`<h2 id="held-heading">Held${list && complete ? html` (${list.held.length})` : ''}</h2>`;
  if (list === null) {
    return html`<section class="card" aria-labelledby="held-heading">${heading}
<p class="muted">Temporal did not answer, so the emails running sequences are holding back cannot be listed now (not reachable, or a server without visibility). Sent emails are below.</p></section>`;
  }
  const unreadable = list.unreadable > 0
    ? html`<p class="status-failed">The held list could not be read: the data source did not answer (${list.unreadableReason}), so the recipients of ${list.unreadable} held email(s) cannot be looked up and they are not listed. Reload this page when the data source is back.</p>`
    : '';
  const notes = html`${list.unanswered > 0 ? html`<p class="muted">${list.unanswered} running sequence(s) did not answer in time (is the worker running?).</p>` : ''}${list.truncated ? html`<p class="muted">Only the first running sequences are shown.</p>` : ''}`;
  if (list.held.length === 0) {
    const none = complete ? 'No running sequence is holding an email back.' : list.unreadable === 0 ? 'None of the running sequences that answered is holding an email back.' : null;
    return html`<section class="card" aria-labelledby="held-heading">${heading}${unreadable}${none ? html`<p class="muted">${none}</p>` : ''}${notes}</section>`;
  }
  return html`<section class="card" aria-labelledby="held-heading">${heading}${unreadable}
<p class="muted">Emails that running sequences will send later, earliest first.</p>
<table>
<thead><tr><th scope="col">Goes out (UTC)</th><th scope="col">To</th><th scope="col">Template</th><th scope="col">Why</th><th scope="col">Run</th></tr></thead>
<tbody>
${list.held.map(
  (h) => html`<tr class="held">
<td><time datetime="${h.at}">${shortTime(h.at)}</time></td>
<td>${h.to.map((r, i) => html`${i > 0 ? ', ' : ''}${heldRecipient(r)}`)}</td>
<td>${h.template}</td>
<td>${h.reason}</td>
<td class="muted"><a href="/outbox?workflow=${encodeURIComponent(h.workflowId)}"><code>${h.workflowId}</code></a></td>
</tr>`,
)}
</tbody></table>${notes}</section>`;
}

/**
 * Why an email is not sent, beside its status: a pending one with an error is being retried (the
 * relay turned it away for now, or is down), a failed one was refused or given up. Without it the
 * list said only "pending" and the reason was one click away.
 */
function statusNote(row: OutboxRow): SafeHtml | string {
  if (!row.error || (row.status !== 'pending' && row.status !== 'failed')) return '';
  return html`<br><span class="muted">${row.status === 'pending' ? 'retrying: ' : ''}${row.error}</span>`;
}

/** `filter.more`: there are older emails than `rows` (the list is cut at its newest). */
export function outboxListPage(rows: OutboxRow[], filter: { to?: string; workflowId?: string; more?: boolean }, held: HeldList | null = null): SafeHtml {
  const filtered = filter.to || filter.workflowId;
  return page(
    { title: 'Outbox', section, wide: true },
    html`<h1>Outbox</h1>
<p class="muted">Emails running sequences are holding back, then emails caught by the dev mail catcher, newest first.${filtered ? html` Showing ${filter.to ? html`mail to <strong>${filter.to}</strong>` : html`mail of <code>${filter.workflowId}</code>`} — <a href="/outbox">show all</a>.` : ''} <a href="/">Back to the overview</a>.</p>
${heldSection(held)}
<h2>Sent</h2>
${rows.length === 0
    ? html`<div class="card"><p>No emails yet. Send an event or run payouts, then reload this page.</p></div>`
    : html`<div class="card"><table>
<thead><tr><th scope="col">Created</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Template</th><th scope="col">Status</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr>
<td class="muted">${shortTime(r.created_at)}</td>
<td>${r.to_addr}</td>
<td><a href="/outbox/${r.id}">${r.subject || '(no subject)'}</a></td>
<td class="muted">${r.template ?? '—'}</td>
<td><span class="status status-${r.status}">${r.status}</span>${statusNote(r)}</td>
</tr>`,
)}
</tbody></table></div>`}${filter.more
    ? html`<p class="muted">Only the newest ${rows.length} emails are listed. To find an older one, add <code>?to=</code> and the recipient's address to this page's address.</p>`
    : ''}`,
  );
}

/**
 * Absolute http(s) links of the email, from its HTML anchors and its plain text (where a URL is
 * just text, which the sandboxed preview cannot make clickable), for a plain list under the message.
 */
export function linksIn(markup: string, text: string): string[] {
  const links = new Set<string>();
  for (const m of markup.matchAll(/href\s*=\s*"([^"]+)"|href\s*=\s*'([^']+)'/gi)) {
    const href = (m[1] ?? m[2]).replace(/&amp;/g, '&');
    if (/^https?:\/\//i.test(href)) links.add(href);
  }
  for (const m of text.matchAll(/https?:\/\/[^\s<>"']+/gi)) links.add(m[0].replace(/[.,;:!?)]+$/, ''));
  return [...links];
}

export function outboxMessagePage(row: OutboxRow): SafeHtml {
  // <base target=_top>: a click on a link inside the sandbox navigates this tab, not the frame.
  // A plain default look, as a mail client would give; the email's own styles still win.
  const srcdoc =
    '<!doctype html><html><head><meta charset="utf-8"><base target="_top">' +
    '<style>body{font:15px/1.5 system-ui,sans-serif;color:#1b1f24;margin:1rem 1.25rem;overflow-wrap:anywhere}</style>' +
    `</head><body>${row.html}</body></html>`;
  const extraHeaders = Object.entries(row.headers);
  const links = linksIn(row.html, row.text);
  return page(
    { title: row.subject || 'Email', section, wide: true },
    html`<p><a href="/outbox">← All emails</a></p>
<h1>${row.subject || '(no subject)'}</h1>
<div class="card">
<dl class="facts">
<div><dt>From</dt><dd>${row.from_addr}</dd></div>
<div><dt>To</dt><dd>${row.to_addr}</dd></div>
<div><dt>Status</dt><dd><span class="status status-${row.status}">${row.status}</span>${row.error ? html` <span class="muted">(${row.error})</span>` : ''}</dd></div>
<div><dt>Created</dt><dd>${shortTime(row.created_at)}</dd></div>
</dl>
${extraHeaders.length > 0
    ? html`<h2>Headers</h2><table><tbody>${extraHeaders.map(([k, v]) => html`<tr><th scope="row">${k}</th><td><code>${v}</code></td></tr>`)}</tbody></table>`
    : ''}
</div>
<h2>Message</h2>
<iframe class="email" title="Email: ${row.subject}" sandbox="allow-top-navigation-by-user-activation" srcdoc="${srcdoc}"></iframe>
${links.length > 0
    ? html`<h2>Links in this email</h2><ul class="plain">${links.map((l) => html`<li><a href="${l}">${l}</a></li>`)}</ul>`
    : ''}
<h2>Plain-text version</h2>
<pre>${row.text}</pre>`,
  );
}
