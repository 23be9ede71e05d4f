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

/** The prorated target of a rep employed part of the period (`prorate target by employment`). */
export const ExpectedProration = z.strictObject({
  /** Days employed ÷ days in the period, as the statement writes it: "45/90". */
  fraction: z.string().optional(),
  /** The rule's target, and the rep's as prorated (rounded half up to minor units). */
  target: amount.optional(),
  prorated: amount.optional(),
  /** Amount band bounds as prorated, in band order. */
  bounds: z.array(amount).optional(),
});
export type ExpectedProration = z.infer<typeof ExpectedProration>;

/** One deal credited by a share, a team or a conversion (`credit ...`, `convert ...`). */
export const ExpectedCredit = z.strictObject({
  deal: z.string().min(1),
  type: z.enum(['own', 'revenue', 'overlay', 'team']),
  /** Percent, as credits.csv writes it: "60" or "60%". */
  share: z
    .union([z.string(), z.number()])
    .transform((v) => String(v).replace(/%$/, ''))
    .refine((v) => /^\d+(\.\d+)?$/.test(v), { message: 'expected a percent like "60" or "60%"' }),
  /** The amount credited, in the rule's currency (converted when the deal is in another). */
  credited: amount,
});
export type ExpectedCredit = z.infer<typeof ExpectedCredit>;

export const ExpectedStatement = z.strictObject({
  lines: z.array(ExpectedLine).optional(),
  total: amount.optional(),
  capped: z.boolean().optional(),
  rewards: z.array(z.string()).optional(),
  /** Texts that must each appear in one of the statement's warnings. */
  warnings: z.array(z.string()).optional(),
  /** null: the rep's target is not prorated. */
  proration: ExpectedProration.nullable().optional(),
  /** Every credited deal the statement lists, in any order; []: none. */
  credited: z.array(ExpectedCredit).optional(),
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
  const parent = path[path.length - 2];
  const shape = last === 'expect' ? ExpectedStatement.shape
    : last === 'proration' ? ExpectedProration.shape
    : typeof last === 'number' && parent === 'lines' ? ExpectedLine.shape
    : typeof last === 'number' && parent === 'credited' ? ExpectedCredit.shape
    : TestCase.shape;
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
  deal: 'the deal id',
  type: 'own, revenue, overlay or team',
  share: 'a percent like "60"',
  credited: 'the amount credited in the rule\'s currency, like "120000.00"',
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
  // An amount is a string or a number (a union): left out, zod says only "Invalid input".
  return (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') && issue.path.length > 0 && valueAt(json, issue.path) === undefined;
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
  if (issue.code === 'invalid_value' && field === 'type' && issue.path.includes('credited')) {
    const value = valueAt(json, issue.path);
    const types = ExpectedCredit.shape.type.options;
    const near = typeof value === 'string' ? closest(value, [...types]) : undefined;
    return `${JSON.stringify(value)} is not a credit type${near ? ` (did you mean "${near}"?)` : ''}; expected one of ${types.join(', ')}`;
  }
  // `"amount": true`: zod says "Invalid input" (neither a string nor a number).
  if (issue.code === 'invalid_union' && typeof field === 'string' && requiredHints[field]) return `expected ${requiredHints[field]}, got ${JSON.stringify(valueAt(json, issue.path))}`;
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

/**
 * Where an expectation is written, as a report line's prefix (`rules/tests/x/case.json:14: `),
 * given its path under `expect` (`['proration', 'prorated']`); '' when not known.
 */
export type ExpectationAt = (path: string[]) => string;

const percentText = (share: string) => `${new Decimal(share).toFixed()}%`;

/** A credited deal as the diff shows it: two keys are the same text exactly when deal, type, share and amount are equal. */
const creditKey = (c: { deal: string; type: string; share: string; credited: string }, currency: string, width: number) =>
  `${c.deal.padEnd(width)} ${c.type.padEnd(7)} ${percentText(c.share).padStart(8)} ${majorUnits(new Decimal(c.credited).toFixed(), currency).padStart(14)}`;

/** The proration expectation against the statement's; report lines, empty when it matches. */
function compareProration(expected: ExpectedProration | null, actual: Statement, at: ExpectationAt): string[] {
  const got = actual.proration;
  const shown = (p: NonNullable<Statement['proration']>) => `${p.fraction} of ${p.target} = ${p.prorated} ${actual.currency}`;
  if (expected === null) return got ? [`${at(['proration'])}proration: expected the target not prorated, got ${shown(got)}`] : [];
  if (!got) {
    return [`${at(['proration'])}proration: expected a prorated target, but ${actual.rep}'s target ${actual.target} ${actual.currency} is not prorated (employed the whole period, or the rule has no \`prorate target by employment\`)`];
  }
  const report: string[] = [];
  if (expected.fraction !== undefined && expected.fraction.replace(/\s+/g, '') !== got.fraction) {
    report.push(`${at(['proration', 'fraction'])}proration.fraction: expected ${expected.fraction}, got ${got.fraction} (days employed ÷ days in the period)`);
  }
  if (expected.target !== undefined && !sameAmount(expected.target, got.target)) {
    report.push(`${at(['proration', 'target'])}proration.target: expected ${expected.target}, got ${got.target} (the rule's target before proration)`);
  }
  if (expected.prorated !== undefined && !sameAmount(expected.prorated, got.prorated)) {
    report.push(`${at(['proration', 'prorated'])}proration.prorated: expected ${expected.prorated}, got ${got.prorated} (${shown(got)})`);
  }
  if (expected.bounds !== undefined) {
    const bounds = got.bounds ?? [];
    if (expected.bounds.length !== bounds.length || expected.bounds.some((b, i) => !sameAmount(b, bounds[i]))) {
      report.push(`${at(['proration', 'bounds'])}proration.bounds: expected [${expected.bounds.join(', ')}], got [${bounds.join(', ')}]`);
    }
  }
  return report;
}

/** The credited deals expected against those the statement lists, in any order; report lines, empty when they match. */
function compareCredited(expected: ExpectedCredit[], actual: Statement, at: ExpectationAt): string[] {
  const got = actual.credited ?? [];
  const width = Math.max(4, ...expected.map((c) => c.deal.length), ...got.map((c) => c.deal.length));
  const keys = (list: { deal: string; type: string; share: string; credited: string }[]) =>
    list.map((c) => creditKey(c, actual.currency, width)).sort();
  const want = keys(expected);
  const have = keys(got);
  if (want.length === have.length && want.every((k, i) => k === have[i])) return [];
  const report = [`${at(['credited'])}credited (- expected, + actual; deal, type, share, credited ${actual.currency}):`];
  for (const d of diffLines(want, have)) report.push(`  ${d}`);
  if (!actual.credited) report.push('(the rule has no `credit` or `convert`: its statements list no credited deals)');
  return report;
}

/** Compare a computed statement (or none) with what the case expects; null when it matches. */
export function compareStatement(expected: ExpectedStatement | null, actual: Statement | null, rep: string, at: ExpectationAt = () => ''): Mismatch | null {
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
  if (expected.proration !== undefined) report.push(...compareProration(expected.proration, actual, at));
  if (expected.credited !== undefined) report.push(...compareCredited(expected.credited, actual, at));
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
