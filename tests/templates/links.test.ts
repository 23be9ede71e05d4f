import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/templates/render.js';

const template = {
  name: 'incentive-approval',
  subject: 'Approve {{rep.name}}',
  body: 'Approve or reject: {{approval.url}}.\n\nQuestions? See https://wiki.acme.example/comp?plan=ae&year=2026',
  placeholders: ['rep.name', 'approval.url'],
};

describe('links in email HTML', () => {
  it('makes the approval link and written addresses clickable, escaped, without trailing punctuation', () => {
    const url = 'http://localhost:3000/approvals/eyJhbGciOi.abc_DEF-123';
    const email = renderTemplate(template, { rep: { name: 'Ana <Souza>' }, approval: { url } });
    expect(email.html).toContain(`<a href="${url}">${url}</a>.`);
    expect(email.html).toContain(
      '<a href="https://wiki.acme.example/comp?plan=ae&amp;year=2026">https://wiki.acme.example/comp?plan=ae&amp;year=2026</a>',
    );
    expect(email.text).toContain(`Approve or reject: ${url}.`);
  });

  it('never turns a CRM value into markup, and only http(s) addresses into links', () => {
    const email = renderTemplate(
      { ...template, body: 'Hi {{rep.name}}: {{approval.url}}' },
      { rep: { name: '<script>alert(1)</script> "x" onmouseover=' }, approval: { url: 'javascript:alert(1)' } },
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<a ');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;x&quot;');
  });

  it('links an address written with placeholders in it to the filled address, values percent-encoded', () => {
    const email = renderTemplate(
      { ...template, body: 'Book a call: https://cal.acme.example/book?rep={{rep.id}}&lead={{lead.id}} today.' },
      { rep: { id: 'r-7' }, lead: { id: 'L-42"><b>' } },
    );
    const href = 'https://cal.acme.example/book?rep=r-7&amp;lead=L-42%22%3E%3Cb%3E';
    expect(email.html).toBe(`<p>Book a call: <a href="${href}">${href}</a> today.</p>\n`);
    expect(email.text).toBe('Book a call: https://cal.acme.example/book?rep=r-7&lead=L-42%22%3E%3Cb%3E today.');
  });

  it('a name with a space or an & in a written address keeps the whole address one link, in both parts', () => {
    const email = renderTemplate(
      { ...template, subject: 'For {{lead.name}}', body: 'Hi {{lead.name}} of {{lead.company}}, book: https://cal.acme.example/book?name={{lead.name}}&co={{lead.company}}.' },
      { lead: { name: 'Ana Souza', company: 'AT&T' } },
    );
    const url = 'https://cal.acme.example/book?name=Ana%20Souza&co=AT%26T';
    expect(email.text).toBe(`Hi Ana Souza of AT&T, book: ${url}.`);
    expect(email.html).toBe(`<p>Hi Ana Souza of AT&amp;T, book: <a href="${url.replace(/&/g, '&amp;')}">${url.replace(/&/g, '&amp;')}</a>.</p>\n`);
    // Outside an address, values are as they are: the subject, the greeting.
    expect(email.subject).toBe('For Ana Souza');
  });
});
