// Fills a template for one email. Placeholders are `{{path.to.value}}` over the scope; values are
// HTML-escaped in the html part. Kept private to the activities until src/templates provides the
// shared renderer (same signature), so check time and send time can never read a template apart.
import type { Template } from '../plan/schema.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}/g;

function lookup(scope: Record<string, unknown>, path: string): string {
  let value: unknown = scope;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<string, unknown>)[part];
  }
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function renderTemplate(template: Template, scope: Record<string, unknown>): RenderedEmail {
  const subject = template.subject.replace(PLACEHOLDER, (_, path: string) => lookup(scope, path));
  const text = template.body.replace(PLACEHOLDER, (_, path: string) => lookup(scope, path)).trim();
  const paragraphs = template.body.trim().split(/\n\s*\n/);
  const html = paragraphs
    .map((p) => {
      // Escape the template text, then insert escaped values: neither can inject markup.
      const parts = p.split(PLACEHOLDER);
      const filled = parts.map((part, i) => (i % 2 === 1 ? escapeHtml(lookup(scope, part)) : escapeHtml(part))).join('');
      return `<p>${filled.replace(/\n/g, '<br>')}</p>`;
    })
    .join('\n');
  return { subject, html, text };
}
