// Rule test cases (`salesflow test`, docs/testing-rules.md): a data fixture and a period in,
// expected statement lines out. This module is the pure part: the case file schema, comparing an
// expected statement with the computed one, and a readable diff of the lines.
import { z } from 'zod';
import { closest } from '../dsl/diagnostics.js';
import { Decimal } from '../money/index.js';
import { majorUnits } from './render.js';
import type { Statement } from './statement.js';

const amount = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => /^-?\d+(\.\d+)?$/.test(v), { message: 'expected a decimal amount like "15500.00"' });

/**
 * Every line kind of SPEC §8, not only those this version computes: a case written from the SPEC
 * that expects a `draw` line then fails as a line mismatch (expected against actual), which says
 * what differs, instead of as an unreadable case file.
 */
const ExpectedKind = z.enum(['commission', 'bonus', 'spiff', 'cap', 'clawback', 'draw', 'recovery', 'adjustment']);

// Every object is strict: a misspelt key (`"totl"`, `"capd"`) would otherwise be dropped and the
// expectation it holds never checked, so the case passes whatever the rule pays.
export const ExpectedLine = z.strictObject({
  kind: ExpectedKind,
  amount,
  /** Optional: text the line's description must contain. */
  description: z.string().optional(),
});
export type ExpectedLine = z.infer<typeof ExpectedLine>;

export const ExpectedStatement = z.strictObject({
  lines: z.array(ExpectedLine).optional(),
  total: amount.optional(),
  capped: z.boolean().optional(),
  rewards: z.array(z.string()).optional(),
  /** Texts that must each appear in one of the statement's warnings. */
  warnings: z.array(z.string()).optional(),
});
export type ExpectedStatement = z.infer<typeof ExpectedStatement>;

export const TestCase = z.strictObject({
  /** Shown in the report; defaults to the folder name (and index when a file holds several). */
  name: z.string().optional(),
  rule: z.string().min(1),
  period: z.string().min(1),
  rep: z.string().min(1),
  /** null: the rule must not select this rep (no statement). */
  expect: ExpectedStatement.nullable(),
});
export type TestCase = z.infer<typeof TestCase>;

/** The keys an object at this path of a case file may have (the path of an unknown-key issue). */
function knownKeys(path: PropertyKey[]): string[] {
  const last = path.length ? path[path.length - 1] : undefined;
  const shape = last === 'expect' ? ExpectedStatement.shape : typeof last === 'number' && path[path.length - 2] === 'lines' ? ExpectedLine.shape : TestCase.shape;
  return Object.keys(shape);
}

/** What a required field holds, for the message when it is left out. */
const requiredHints: Record<string, string> = {
  rule: 'the incentive\'s name or id',
  period: 'a period label like 2026-Q1, 2026-03, 2026-W09 or 2026',
  rep: 'the rep id from reps.csv',
  expect: 'the expected statement, or null when the rule must not select this rep',
  kind: 'commission, bonus, spiff, cap, clawback, draw, recovery or adjustment',
  amount: 'a decimal amount like "15500.00"',
};

/** The value at an issue's path in the parsed JSON (undefined where there is none). */
function valueAt(json: unknown, path: PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function isMissing(issue: z.core.$ZodIssue, json: unknown): boolean {
  return (issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.path.length > 0 && valueAt(json, issue.path) === undefined;
}

function issueMessage(issue: z.core.$ZodIssue, json: unknown): string {
  // zod's own texts ("Invalid input: expected object, received undefined") name neither the
  // field's meaning nor the value written: say which field is missing, and which kind was meant.
  if (isMissing(issue, json)) {
    const field = String(issue.path[issue.path.length - 1]);
    return `missing field "${field}"${requiredHints[field] ? ` (${requiredHints[field]})` : ''}`;
  }
  const field = issue.path[issue.path.length - 1];
  if (issue.code === 'invalid_value' && field === 'kind') {
    const value = valueAt(json, issue.path);
    const near = typeof value === 'string' ? closest(value, [...ExpectedKind.options]) : undefined;
    return `${JSON.stringify(value)} is not a line kind${near ? ` (did you mean "${near}"?)` : ''}; expected one of ${ExpectedKind.options.join(', ')}`;
  }
  // `"capped": "no"`: zod says "Invalid input: expected boolean, received string".
  if (issue.code === 'invalid_type' && issue.expected === 'boolean') return `expected true or false, got ${JSON.stringify(valueAt(json, issue.path))}`;
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const known = knownKeys(issue.path);
  const unknown = issue.keys.map((key) => {
    const near = closest(key, known);
    return `unknown field "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
  });
  return `${unknown.join(', ')}; known fields: ${known.join(', ')}`;
}

/**
 * A `case.json` holds one case or an array of cases over the same fixture. Parsed as the one or
 * the other by the JSON's shape (not as a union, whose error would only say "Invalid input"), so
 * a problem is named where it is: `[2].expect.lines[0].kind: ...`. Every problem of the file is
 * listed, not only the first.
 */
export function parseCaseFile(json: unknown): { ok: true; cases: TestCase[] } | { ok: false; messages: string[] } {
  if (json === null || typeof json !== 'object') {
    return { ok: false, messages: [`(case): expected one case ({"rule", "period", "rep", "expect"}) or an array of cases, got ${json === null ? 'null' : typeof json}`] };
  }
  const parsed = Array.isArray(json) ? z.array(TestCase).min(1, 'expected at least one case').safeParse(json) : TestCase.safeParse(json);
  if (parsed.success) return { ok: true, cases: Array.isArray(parsed.data) ? parsed.data : [parsed.data] };
  const messages = parsed.error.issues.map((issue) => {
    // A missing field is named at the object it is missing from: `case [2]: missing field "expect"`.
    const path = isMissing(issue, json) ? issue.path.slice(0, -1) : issue.path;
    const at = path.map((p, i) => (typeof p === 'number' ? `[${p + (i === 0 ? 1 : 0)}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
    const where = Array.isArray(json) && typeof path[0] === 'number' ? `case ${at}` : at || '(case)';
    return `${where}: ${issueMessage(issue, json)}`;
  });
  return { ok: false, messages };
}

export interface Mismatch {
  /** Human lines explaining what differs, indented by the caller. */
  report: string[];
}

const sameAmount = (a: string, b: string) => new Decimal(a).eq(new Decimal(b));

/**
 * A line as the diff shows it, its amount in the statement currency's minor digits, or more when
 * the expected amount has more ("30000.001" is not 30000.00 JPY, and must not look like it): two
 * keys are the same text exactly when their kinds and amounts are equal.
 */
const lineKey = (l: { kind: string; amount: string }, currency: string) => `${l.kind.padEnd(10)} ${majorUnits(new Decimal(l.amount).toFixed(), currency).padStart(12)}`;

/** Longest-common-subsequence diff of two short lists: '  ' same, '- ' expected only, '+ ' actual only. */
export function diffLines(expected: string[], actual: string[]): string[] {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = expected[i] === actual[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) { out.push(`  ${expected[i]}`); i++; j++; }
    // On a tie the expected line goes first, as in `diff -u`: "- 6600.00" then "+ 6000.00" reads
    // as "expected this, got that".
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) { out.push(`- ${expected[i]}`); i++; }
    else { out.push(`+ ${actual[j]}`); j++; }
  }
  return out;
}

/** Compare a computed statement (or none) with what the case expects; null when it matches. */
export function compareStatement(expected: ExpectedStatement | null, actual: Statement | null, rep: string): Mismatch | null {
  if (expected === null) {
    return actual ? { report: [`expected no statement for ${rep} (the rule should not select it), got total ${actual.total}`] } : null;
  }
  if (!actual) return { report: [`expected a statement for ${rep}, but the rule does not select this rep`] };
  const report: string[] = [];
  if (expected.lines) {
    const linesMatch =
      expected.lines.length === actual.lines.length &&
      expected.lines.every((e, i) => e.kind === actual.lines[i].kind && sameAmount(e.amount, actual.lines[i].amount));
    if (!linesMatch) {
      report.push('lines (- expected, + actual):');
      const key = (l: { kind: string; amount: string }) => lineKey(l, actual.currency);
      for (const d of diffLines(expected.lines.map(key), actual.lines.map(key))) report.push(`  ${d}`);
      report.push('actual lines:');
      for (const l of actual.lines) report.push(`  ${key(l)}  ${l.description}`);
    } else {
      expected.lines.forEach((e, i) => {
        if (e.description !== undefined && !containsWhole(actual.lines[i].description, e.description)) {
          report.push(`line ${i + 1} (${e.kind}): description should contain ${JSON.stringify(e.description)}, is ${JSON.stringify(actual.lines[i].description)}`);
        }
      });
    }
  }
  if (expected.total !== undefined && !sameAmount(expected.total, actual.total)) {
    report.push(`total: expected ${expected.total}, got ${actual.total}`);
  }
  if (expected.capped !== undefined && expected.capped !== actual.capped) {
    report.push(`capped: expected ${expected.capped}, got ${actual.capped}`);
  }
  if (expected.rewards !== undefined) {
    const want = [...expected.rewards].sort();
    const got = [...actual.rewards].sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      report.push(`rewards: expected ${JSON.stringify(expected.rewards)}, got ${JSON.stringify(actual.rewards)}`);
    }
  }
  // `"warnings": []` says "no warnings", as `"rewards": []` says "no rewards"; checking nothing
  // would let a new warning (a deal left out) pass the very case written to rule it out.
  if (expected.warnings?.length === 0 && actual.warnings.length > 0) {
    report.push(`warnings: expected none, got ${JSON.stringify(actual.warnings)}`);
  }
  for (const text of expected.warnings ?? []) {
    if (!actual.warnings.some((w) => containsWhole(w, text))) {
      report.push(`warnings: none contains ${JSON.stringify(text)}; warnings are ${JSON.stringify(actual.warnings)}`);
    }
  }
  return report.length ? { report } : null;
}

const WORD = /[\p{L}\p{N}_]/u;

/**
 * Whether `text` appears in `within` not as part of a longer word or number: an expected warning
 * "D7" must not pass on a warning about deal D70, nor a description "8%" on a line at 18%.
 * Expectations of several words or with punctuation work as before ("no GBP to USD rate").
 */
export function containsWhole(within: string, text: string): boolean {
  if (text === '') return true;
  const startsWord = WORD.test(text[0]);
  const endsWord = WORD.test(text[text.length - 1]);
  for (let at = within.indexOf(text); at !== -1; at = within.indexOf(text, at + 1)) {
    const before = at > 0 ? within[at - 1] : '';
    const after = within[at + text.length] ?? '';
    if ((!startsWord || !WORD.test(before)) && (!endsWord || !WORD.test(after))) return true;
  }
  return false;
}
