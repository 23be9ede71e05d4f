// Parses `rules/templates/NAME.md`: a front matter with a `subject:` line, then the body. Every
// `{{path}}` placeholder is recorded with its position so the checker can point at an unknown one.
//
//   ---
//   subject: "Your {{goal.name}} check-in"
//   ---
//   Hi {{rep.name}}, ...
//
// The front matter is read as YAML (see front-matter.ts). A file whose first line is
// `subject: ...` (no `---` fences) is accepted too.
import type { Template } from '../plan/schema.js';
import { type FrontMatterProblem, readFrontMatter } from './front-matter.js';

export interface PlaceholderUse {
  path: string;
  line: number;
  col: number;
  endCol: number;
}

export type TemplateProblem =
  | FrontMatterProblem
  | { kind: 'noSubject'; line: number; col: number; endCol: number }
  | { kind: 'emptySubject'; line: number; col: number; endCol: number }
  | { kind: 'unclosedFrontMatter'; line: number; col: number; endCol: number }
  | { kind: 'badPlaceholder'; text: string; line: number; col: number; endCol: number; fix?: string };

export interface ParsedTemplate {
  template: Template;
  uses: PlaceholderUse[];
  problems: TemplateProblem[];
  /** 1-based line where the front matter ends (its closing `---`, or a bare subject line); 0: none. */
  frontMatterEndLine: number;
}

const placeholderPattern = /\{\{([^{}]*)\}\}/g;
const pathPattern = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/;

/** Placeholders on one line, from column `fromCol` on (the value of a front-matter line). */
function scanLine(text: string, line: number, uses: PlaceholderUse[], problems: TemplateProblem[], fromCol = 1): void {
  const skipped = fromCol - 1;
  text = ' '.repeat(skipped) + text.slice(skipped);
  for (const match of text.matchAll(placeholderPattern)) {
    const inner = match[1].trim();
    const col = (match.index ?? 0) + 1;
    const endCol = col + match[0].length;
    if (pathPattern.test(inner)) uses.push({ path: inner, line, col, endCol });
    else problems.push({ kind: 'badPlaceholder', text: match[0], line, col, endCol, ...fixOf(inner) });
  }
  // An opening `{{` with no closing `}}` on the same line: the placeholder is the word after it.
  const stripped = text.replace(placeholderPattern, (m) => ' '.repeat(m.length));
  const open = stripped.indexOf('{{');
  if (open >= 0) {
    const word = /^\{\{\s*[^\s{}]*\}?/.exec(stripped.slice(open))?.[0] ?? '{{';
    problems.push({ kind: 'badPlaceholder', text: word, line, col: open + 1, endCol: open + 1 + word.length, ...fixOf(word.replace(/^\{\{|\}$/g, '').trim()) });
  }
}

/** `{{Lead.Name}}`, `{{lead name}}`, `{{lead.name}`: the placeholder the author most likely meant. */
function fixOf(inner: string): { fix?: string } {
  const path = inner.trim().toLowerCase().replace(/\s+/g, '.');
  return pathPattern.test(path) ? { fix: `{{${path}}}` } : {};
}

export function parseTemplate(name: string, text: string): ParsedTemplate {
  const lines = text.split(/\r?\n/);
  const problems: TemplateProblem[] = [];
  let frontMatter: ReturnType<typeof readFrontMatter> | null = null;
  let bodyStart = 0;
  if (lines[0]?.trim() === '---') {
    const close = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
    if (close < 0) problems.push({ kind: 'unclosedFrontMatter', line: 1, col: 1, endCol: 4 });
    else frontMatter = readFrontMatter(lines.slice(1, close), 2);
    bodyStart = close < 0 ? lines.length : close + 1;
  } else if (/^subject[ \t]*:/i.test(lines[0] ?? '')) {
    // `Subject:` as email headers spell it is read as the front matter it was meant as: the
    // author is told the key is `subject` (did you mean), and the line is not taken as body text.
    frontMatter = readFrontMatter(lines.slice(0, 1), 1);
    bodyStart = 1;
  }
  if (frontMatter) problems.push(...frontMatter.problems);
  const subject = frontMatter?.values.get('subject') ?? null;
  const malformed = problems.some((p) => p.kind === 'unclosedFrontMatter' || p.kind === 'badFrontMatter');
  if (subject === null && !malformed) {
    problems.push({ kind: 'noSubject', line: 1, col: 1, endCol: (lines[0]?.length ?? 0) + 1 });
  }
  if (subject !== null && subject.value.trim() === '') {
    problems.push({ kind: 'emptySubject', line: subject.line, col: 1, endCol: (lines[subject.line - 1]?.length ?? 0) + 1 });
  }
  const uses: PlaceholderUse[] = [];
  if (subject !== null) {
    // Placeholders as written in the file (inside quotes, over folded lines), for their positions.
    for (let line = subject.line; line <= subject.endLine; line++) {
      scanLine(lines[line - 1], line, uses, problems, line === subject.line ? subject.valueCol : 1);
    }
  }
  // Drop one blank line after the front matter: authors usually leave it for readability.
  if (bodyStart < lines.length && lines[bodyStart]?.trim() === '' && bodyStart > 0) bodyStart++;
  for (let i = bodyStart; i < lines.length; i++) scanLine(lines[i], i + 1, uses, problems);
  const body = lines.slice(bodyStart).join('\n').replace(/\s+$/, '\n');
  const placeholders = [...new Set(uses.map((u) => u.path))];
  const frontMatterEndLine = frontMatter ? (lines[0]?.trim() === '---' ? lines.findIndex((l, i) => i > 0 && l.trim() === '---') + 1 : 1) : 0;
  return { template: { name, subject: subject?.value ?? '', body, placeholders }, uses, problems, frontMatterEndLine };
}
