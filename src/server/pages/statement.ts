// A payout statement as the approver reads it: the facts (measure, target, attainment), every line
// with how it was computed, the cap cut, rewards and warnings. The same Statement the workflow
// computed (src/payouts), never recomputed here.
import { dec, displayMoney } from '../../money/index.js';
import { creditedListScope, measureMoney, statementBasis } from '../../payouts/render.js';

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
import { minorUnits } from '../../plan/catalog.js';
import { Statement } from '../../payouts/statement.js';
import { html, type SafeHtml } from './html.js';

const kindLabels: Record<string, string> = { commission: 'Commission', bonus: 'Bonus', spiff: 'SPIFF', cap: 'Cap' };

export function statementSection(raw: unknown): SafeHtml {
  const parsed = Statement.safeParse(raw);
  if (!parsed.success) {
    return html`<section class="card" aria-labelledby="statement-heading">
<h2 id="statement-heading">Statement</h2>
<p class="muted">The statement is not available in a form this page can show. Raw data:</p>
<pre>${JSON.stringify(raw, null, 2) ?? 'none'}</pre>
</section>`;
  }
  const s = parsed.data;
  const money = (amount: string) => displayMoney(dec(amount), s.currency);
  // Money unless the statement says its measure is a count or percent; statements recorded before
  // it said so: money when it has decimals, or in a currency without minor units (JPY).
  const isMoney = (text: string) => s.quantity === undefined && (text.includes('.') || minorUnits(s.currency) === 0);
  const unit = s.quantity === 'percent' ? '%' : '';
  const measure = s.measure === null ? 'not defined' : isMoney(s.measure) ? measureMoney(s.measure, s.currency) : `${s.measure}${unit}`;
  const target = isMoney(s.target) ? money(s.target) : `${s.target}${unit}`;
  const rows = s.lines.map(
    (line) => html`<tr class="${line.kind === 'cap' ? 'cut' : ''}">
<td><span class="kind">${kindLabels[line.kind] ?? line.kind}</span></td>
<td class="how">${line.description}</td>
<td class="amount">${money(line.amount)}</td>
</tr>`,
  );
  const basis = statementBasis(s);
  const listScope = creditedListScope(s);
  return html`<section class="card" aria-labelledby="statement-heading">
<h2 id="statement-heading">${s.rule} — ${s.repName} — ${s.period}</h2>
<dl class="facts">
<div><dt>Rep</dt><dd>${s.repName} <span class="muted">(${s.rep})</span></dd></div>
<div><dt>Period</dt><dd>${s.period}</dd></div>
<div><dt>Measure (${s.measureMetric})</dt><dd>${measure}</dd></div>
<div><dt>Target</dt><dd>${target}${basis.proration ? html` <span class="muted" data-testid="statement-proration">(${basis.proration})</span>` : ''}</dd></div>
<div><dt>Attainment</dt><dd>${s.attainment === null ? 'not defined' : `${s.attainment}%`}</dd></div>
<div><dt>Total to pay</dt><dd data-testid="statement-total">${money(s.total)}</dd></div>
</dl>
${basis.credited.length > 0
    ? html`<h2>Credited deals</h2>${listScope ? html`<p class="muted">${capitalized(listScope)}.</p>` : ''}<ul class="plain" data-testid="statement-credited">${basis.credited.map((c) => html`<li>${c}</li>`)}</ul>`
    : ''}
<h2>Lines</h2>
${s.lines.length === 0
    ? html`<p class="muted">No money lines.</p>`
    : html`<table class="lines">
<caption class="muted">How each amount was computed${s.capped ? ' (the cap cut the total)' : ''}</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">How it was computed</th><th scope="col" class="amount">Amount</th></tr></thead>
<tbody>
${rows}
<tr class="total"><td colspan="2">Total${s.capped ? ' (capped)' : ''}</td><td class="amount">${money(s.total)}</td></tr>
</tbody>
</table>`}
${s.rewards.length > 0
    ? html`<h2>Rewards</h2><ul class="plain">${s.rewards.map((r) => html`<li>${r}</li>`)}</ul>`
    : ''}
${s.warnings.length > 0
    ? html`<div class="warnings" role="note"><h2>Warnings</h2><ul class="plain">${s.warnings.map((w) => html`<li>${w}</li>`)}</ul></div>`
    : ''}
</section>`;
}
