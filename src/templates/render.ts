// Fills a template's placeholders. The text part gets values as they are (percent-encoded inside a
// web address the template writes); the HTML part escapes every value (SPEC §6), turns blank-line
// separated paragraphs into <p> elements, and makes web addresses clickable links (an approval or
// unsubscribe link a manager cannot click is no link).
import type { Template } from '../plan/schema.js';
import type { TemplateScope } from './scope.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const placeholderPattern = /\{\{\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\s*\}\}/g;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const webAddress = /https?:\/\/[^\s<>"']+/g;

/** Escaped HTML of plain text, with http(s) addresses as links; trailing punctuation stays text. */
function htmlWithLinks(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(webAddress)) {
    const url = match[0].replace(/[.,;:!?)\]]+$/, '');
    const start = match.index ?? 0;
    html += escapeHtml(text.slice(last, start)) + `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = start + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

function lookup(scope: TemplateScope, path: string): string {
  const [group, ...rest] = path.split('.');
  const value = scope[group]?.[rest.join('.')];
  return value === null || value === undefined ? '' : String(value);
}

/** Whether `offset` in the template text is inside a web address written there (`https://cal.acme.example/book?name=`). */
function insideWebAddress(text: string, offset: number): boolean {
  // An address is one word: what lies before the word's start does not matter (and is not scanned).
  return /https?:\/\/[^\s<>"']*$/.test(text.slice(Math.max(0, offset - 4096), offset));
}

/**
 * A value filled into an address the template writes is percent-encoded: "Ana Souza" or "AT&T"
 * there would end the link at the space, or start another query parameter, in both parts.
 */
function fill(text: string, scope: TemplateScope, escape: (s: string) => string): string {
  return text.replace(placeholderPattern, (_, path: string, offset: number) => {
    const value = lookup(scope, path);
    return escape(insideWebAddress(text, offset) ? encodeURIComponent(value) : value);
  });
}

const rightToLeftLetter = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;

/**
 * Whether the template's own words in this paragraph are in a right-to-left script (its first
 * letter, placeholders left out): mail clients lay out a paragraph left to right unless told, which
 * puts a Hebrew or Arabic sentence's punctuation and embedded names at the wrong end. Decided on
 * what the team wrote, not on the values: an English sentence that opens with an Arabic name stays
 * left to right.
 */
function writtenRightToLeft(written: string): boolean {
  const letter = /\p{L}/u.exec(written.replace(/\{\{[^{}]*\}\}/g, ' '));
  return letter !== null && rightToLeftLetter.test(letter[0]);
}

export function renderTemplate(template: Template, scope: TemplateScope): RenderedEmail {
  // One line, without the gaps a value that fills to nothing leaves (`Your {{lead.company}} trial`
  // read "Your  trial") or the line end a `subject: |` block keeps: an inbox shows the subject as
  // written. Non-breaking spaces are the author's and stay.
  const subject = fill(template.subject, scope, (s) => s)
    .replace(/[\r\n\u0085\u2028\u2029]+/g, ' ')
    .replace(/[ \t\v\f]{2,}/g, ' ')
    .replace(/^[ \t\v\f]+|[ \t\v\f]+$/g, '');
  // A paragraph that fills to nothing (`{{approval.rejected_before}}` on a first request) is left
  // out, in the text as in the HTML, rather than leaving a gap or an empty <p>.
  const parts = template.body.split(/(\n\s*\n)/); // even: paragraphs, odd: the blank lines between
  let text = '';
  for (let i = 0; i < parts.length; i += 2) {
    const filled = fill(parts[i], scope, (s) => s);
    if (parts[i].trim() !== '' && filled.trim() === '') continue;
    text += filled + (parts[i + 1] ?? '');
  }
  const paragraphs = template.body.trim().split(/\n\s*\n/)
    .map((written) => ({ written, filled: fill(written, scope, (s) => s) }))
    .filter((p) => p.filled.trim() !== '');
  const html = paragraphs
    .map(({ written, filled }) => {
      // Fill first, then escape the whole paragraph (template text and values alike): nothing a
      // CRM field holds can become markup, and a link written with placeholders in it
      // (`https://cal.acme.example/{{rep.id}}`) is one link to the filled address, not a link
      // cut off where the first placeholder began.
      const rendered = htmlWithLinks(filled).replace(/\n/g, '<br>\n');
      return writtenRightToLeft(written) ? `<p dir="rtl">${rendered}</p>` : `<p>${rendered}</p>`;
    })
    .join('\n');
  return { subject, html: `${html}\n`, text };
}
