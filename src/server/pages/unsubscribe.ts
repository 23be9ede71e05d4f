// Unsubscribe pages (RFC 8058): a confirmation form on GET (mail scanners follow links; a GET must
// change nothing), and the result after the POST.
import { html, type SafeHtml } from './html.js';
import { notice, page } from './layout.js';

const section = 'Email preferences';

export function confirmUnsubscribePage(email: string, alreadySuppressed: boolean): SafeHtml {
  if (alreadySuppressed) return unsubscribedPage(email, true);
  return page(
    { title: 'Unsubscribe', section },
    html`<section class="card" aria-labelledby="unsub-heading">
<h1 id="unsub-heading">Unsubscribe ${email}?</h1>
<p>You will get no more emails from any of our sequences at this address.</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<div class="actions"><button type="submit" class="primary">Unsubscribe</button></div>
</form>
</section>`,
  );
}

/**
 * What happened to the sequences running for the address, as far as the click could tell:
 * - stopped: every lead with the address had its runs stopped (or they had none running);
 * - no-lead: no lead has the address (a deal contact, a quoted recipient, a rep), so no lead's run
 *   was there to stop; the suppression alone keeps every sequence from writing to it;
 * - not-confirmed: the stop failed or did not finish in time (Temporal unreachable or slow); the
 *   runs skip the address when they next send.
 */
export type SequenceStops = 'stopped' | 'no-lead' | 'not-confirmed';

export function unsubscribedPage(email: string, before: boolean, stops?: SequenceStops): SafeHtml {
  const status = before
    ? html`<p><strong>${email}</strong> was already unsubscribed: no sequence of ours will email it again.</p>`
    : html`<p><strong>${email}</strong> is unsubscribed: no sequence of ours will email it again.</p>`;
  return page({ title: 'Unsubscribed', section }, notice('success', 'You are unsubscribed', html`${status}${stopsText(stops)}`));
}

function stopsText(stops: SequenceStops | undefined): SafeHtml {
  switch (stops) {
    case 'stopped':
      return html`<p>Sequences in progress for this address have been stopped.</p>`;
    case 'no-lead':
      return html`<p>This address is not one of our leads, so there was no lead's sequence to stop. It may be a deal contact or an address a sequence writes to directly; every sequence skips it all the same.</p>`;
    case 'not-confirmed':
      return html`<p>Sequences in progress for this address will skip it when they next send.</p>`;
    case undefined:
      return html``;
  }
}

export function unsubscribeProblemPage(kind: 'forged' | 'expired'): SafeHtml {
  const text =
    kind === 'expired'
      ? 'This unsubscribe link has expired. Use the link in a more recent email, or reply to it and ask to be removed.'
      : 'This unsubscribe link is damaged or was not issued by us. Use the link from the email itself.';
  return page({ title: 'Link not valid', section }, notice('error', 'This link is not valid', html`<p>${text} Nothing was changed.</p>`));
}
