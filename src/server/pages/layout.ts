// The page shell shared by every HTML response: one stylesheet, semantic landmarks, and a
// plain-language title.
//
// The stylesheet is inline, allowed by its hash in the CSP (no other inline style, no script), and
// forms post back to the page's own address: nothing on a page names a path from the server's
// root, so behind a proxy that serves salesflow under a prefix (PUBLIC_URL
// https://tools.acme.example/salesflow) the approve button and the styles still reach it.
import { createHash } from 'node:crypto';
import { html, type HtmlValue, type SafeHtml, trusted } from './html.js';

export interface PageOptions {
  title: string;
  /** Short line under the brand, e.g. "Payout approval". */
  section?: string;
  /** Wider main column, for tables of many columns (dev pages). */
  wide?: boolean;
}

export function page(options: PageOptions, body: HtmlValue): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · salesflow</title>
<style>${trusted(stylesheet)}</style>
</head>
<body>
<header class="brand"><div class="brand-inner${options.wide ? ' wide' : ''}"><span class="logo" aria-hidden="true">◆</span> <span class="brand-name">salesflow</span>${options.section ? html` <span class="brand-section">${options.section}</span>` : ''}</div></header>
<main class="${options.wide ? 'wide' : ''}" id="main">
${body}
</main>
</body>
</html>`;
}

/** A status card at the top of a page: what happened, in one sentence, and what it means. */
export function notice(kind: 'success' | 'info' | 'warning' | 'error', heading: string, detail: HtmlValue): SafeHtml {
  const role = kind === 'error' || kind === 'warning' ? 'alert' : 'status';
  return html`<section class="notice notice-${kind}" role="${role}" aria-labelledby="notice-heading">
<h1 id="notice-heading">${heading}</h1>
<div class="notice-body">${detail}</div>
</section>`;
}

export const stylesheet = `
:root {
  --ink: #1b1f24; --muted: #4a5361; --line: #d5dae1; --paper: #ffffff; --canvas: #f3f5f8;
  --brand: #1f4fd1; --ok: #0f6b3c; --ok-bg: #e7f5ec; --bad: #a3212b; --bad-bg: #fbeaec;
  --warn: #7a4b00; --warn-bg: #fff4e0; --info: #1d4e89; --info-bg: #e8f0fb;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--canvas); line-height: 1.5;
}
* { box-sizing: border-box; }
body { margin: 0; }
.brand { background: var(--ink); color: #fff; }
.brand-inner { max-width: 52rem; margin: 0 auto; padding: .75rem 1.25rem; font-weight: 600; letter-spacing: .01em; }
.brand-inner.wide { max-width: 76rem; }
.logo { color: #8fb0ff; }
.brand-section { color: #c9d1dc; font-weight: 400; margin-left: .5rem; padding-left: .75rem; border-left: 1px solid #5a6473; }
main { max-width: 52rem; margin: 1.5rem auto 3rem; padding: 0 1.25rem; }
main.wide { max-width: 76rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .75rem; }
p { margin: .5rem 0; }
a { color: var(--brand); }
a:focus-visible, button:focus-visible, textarea:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 1.25rem 1.5rem; margin: 1rem 0; min-width: 0; }
.card > h1:first-child, .card > h2:first-child { margin-top: 0; }
main, .card, dd, li { overflow-wrap: anywhere; }
td { overflow-wrap: break-word; }
.notice { border-radius: 10px; padding: 1.1rem 1.4rem; margin: 0 0 1.25rem; border: 1px solid; }
.notice h1 { font-size: 1.3rem; }
.notice-body p:last-child { margin-bottom: 0; }
.notice-success { background: var(--ok-bg); border-color: #9fd3b3; color: #0b4f2c; }
.notice-info { background: var(--info-bg); border-color: #a9c3ea; color: #173f6e; }
.notice-warning { background: var(--warn-bg); border-color: #f0c987; color: #5e3a00; }
.notice-error { background: var(--bad-bg); border-color: #efb0b6; color: #7d1820; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(8.5rem, 1fr)); gap: .75rem 1.5rem; margin: 0; }
.facts div { min-width: 0; }
.facts dt { color: var(--muted); font-size: .85rem; }
.facts dd { margin: 0; font-weight: 600; font-size: 1.05rem; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding-bottom: .5rem; font-size: .9rem; }
th, td { text-align: left; padding: .55rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .85rem; }
td.amount, th.amount { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 700; border-bottom: none; border-top: 2px solid var(--ink); }
tr.cut td { color: var(--bad); }
.how { color: var(--muted); font-size: .9rem; }
.kind { white-space: nowrap; overflow-wrap: normal; display: inline-block; font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 .35rem; margin-right: .35rem; }
ul.plain { padding-left: 1.1rem; }
.warnings { background: var(--warn-bg); border: 1px solid #f0c987; border-radius: 8px; padding: .75rem 1rem; color: #5e3a00; }
.warnings h2 { margin-top: 0; font-size: 1rem; }
form.decide { display: grid; gap: 1rem; }
label { font-weight: 600; display: block; margin-bottom: .35rem; }
.hint { color: var(--muted); font-size: .9rem; font-weight: 400; }
textarea { width: 100%; min-height: 5.5rem; font: inherit; padding: .6rem .7rem; border: 1px solid #8a94a3; border-radius: 6px; }
.actions { display: flex; gap: .75rem; flex-wrap: wrap; }
button { font: inherit; font-weight: 600; border-radius: 6px; padding: .65rem 1.4rem; cursor: pointer; border: 2px solid transparent; }
button.approve { background: var(--ok); color: #fff; }
button.approve:hover { background: #0b5530; }
button.reject { background: #fff; color: var(--bad); border-color: var(--bad); }
button.reject:hover { background: var(--bad-bg); }
button.primary { background: var(--brand); color: #fff; }
.muted { color: var(--muted); }
.status { font-weight: 600; }
.status-sent, .status-approved { color: var(--ok); }
.status-suppressed, .status-failed, .status-rejected { color: var(--bad); }
.status-pending { color: var(--warn); }
iframe.email { width: 100%; min-height: 28rem; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--canvas); padding: .75rem; border-radius: 6px; font-size: .85rem; }
code { font-size: .9em; }
@media (max-width: 40rem) {
  main { padding: 0 .75rem; margin-top: 1rem; }
  .card { padding: 1rem; }
  /* Statement lines as stacked rows: kind and amount, then how it was computed. */
  table.lines thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.lines tr { display: grid; grid-template-columns: 1fr auto; gap: .2rem .75rem; padding: .6rem 0; border-bottom: 1px solid var(--line); }
  table.lines td { border: none; padding: 0; }
  table.lines td.how { grid-column: 1 / -1; grid-row: 2; }
  table.lines tr.total { border-top: 2px solid var(--ink); border-bottom: none; }
  table.lines tr.total td { border-top: none; }
}
footer.small { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
`;

/** The CSP source that allows exactly the inline stylesheet above. */
export const STYLESHEET_CSP_SOURCE = `'sha256-${createHash('sha256').update(stylesheet, 'utf8').digest('base64')}'`;
