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

  it('links an address written with placeholders in it to the filled address, values escaped', () => {
    const email = renderTemplate(
      { ...template, body: 'Book a call: https://cal.acme.example/book?rep={{rep.id}}&lead={{lead.id}} today.' },
      { rep: { id: 'r-7' }, lead: { id: 'L-42"><b>' } },
    );
    const href = 'https://cal.acme.example/book?rep=r-7&amp;lead=L-42';
    expect(email.html).toContain(`<a href="${href}">${href}</a>&quot;&gt;&lt;b&gt; today.`);
    expect(email.text).toBe('Book a call: https://cal.acme.example/book?rep=r-7&lead=L-42"><b> today.');
  });
});
