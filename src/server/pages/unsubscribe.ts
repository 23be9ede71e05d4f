// Unsubscribe pages (RFC 8058): a confirmation form on GET (mail scanners follow links; a GET must
// change nothing), and the result after the POST.
import { html, type SafeHtml } from './html.js';
import { notice, page } from './layout.js';

const section = 'Email preferences';

export function confirmUnsubscribePage(email: string, action: string, alreadySuppressed: boolean): SafeHtml {
  if (alreadySuppressed) return unsubscribedPage(email, true);
  return page(
    { title: 'Unsubscribe', section },
    html`<section class="card" aria-labelledby="unsub-heading">
<h1 id="unsub-heading">Unsubscribe ${email}?</h1>
<p>You will get no more emails from any of our sequences at this address.</p>
<form method="post" action="${action}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<div class="actions"><button type="submit" class="primary">Unsubscribe</button></div>
</form>
</section>`,
  );
}

export function unsubscribedPage(email: string, before: boolean): SafeHtml {
  return page(
    { title: 'Unsubscribed', section },
    notice(
      'success',
      'You are unsubscribed',
      html`<p><strong>${email}</strong> ${before ? 'was already unsubscribed' : 'will get no more emails from our sequences'}. Sequences in progress for this address have been stopped.</p>`,
    ),
  );
}

export function unsubscribeProblemPage(kind: 'forged' | 'expired'): SafeHtml {
  const text =
    kind === 'expired'
      ? 'This unsubscribe link has expired. Use the link in a more recent email, or reply to it and ask to be removed.'
      : 'This unsubscribe link is damaged or was not issued by us. Use the link from the email itself.';
  return page({ title: 'Link not valid', section }, notice('error', 'This link is not valid', html`<p>${text} Nothing was changed.</p>`));
}
