// What changed inside a rule between the applied plan and the working copy, field by field, for
// `salesflow plan`: a reviewer reading a pull request sees `commission.bands[3].rate: 15 → 16`,
// not only that the rule's version hash moved. Source positions are left out, as the rule's version
// leaves them out: moving a rule or reformatting its file is no change.
import { exprText } from '../dsl/expr-text.js';
import { ExprSchema, type Expr, type Plan } from '../plan/schema.js';
import { diffRules, ruleHashesOf } from './applied-plan.js';

/**
 * Keys that are not the rule's content: where it is written, the hash of the rest, and step and
 * checkpoint ids (positions: a step inserted renumbers the ones after it, which is no change to them).
 */
const ignored = new Set(['source', 'version', 'id']);

const MAX_VALUE = 100;

/** The keys whose value is a condition (`for reps where`, `where`, `when`, a checkpoint's or an `if`'s condition). */
const conditionKeys = new Set(['reps', 'where', 'when', 'condition']);

/** The value at a condition key as a compiled condition, if it is one. */
function asCondition(key: string, value: unknown): Expr | undefined {
  if (!conditionKeys.has(key) || value === null || typeof value !== 'object') return undefined;
  const parsed = ExprSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The value with every condition in it written as rule text, as the reviewer wrote it. */
function readable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(readable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => {
    const condition = asCondition(k, v);
    return [k, condition ? exprText(condition) : readable(v)];
  }));
}

function shown(value: unknown): string {
  const text = value === undefined ? '(none)' : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? value : JSON.stringify(readable(value));
  const compact = text.replace(/\s+/g, ' ');
  return compact.length > MAX_VALUE ? `${compact.slice(0, MAX_VALUE - 1)}…` : compact;
}

/**
 * Two long condition texts, each cut to MAX_VALUE around where they first differ: cut at the end
 * alone, `... and rep.region in ["A", "B", …` would read the same on both sides of the arrow.
 */
function clippedPair(before: string, after: string): [string, string] {
  if (before.length <= MAX_VALUE && after.length <= MAX_VALUE) return [before, after];
  let common = 0;
  while (common < before.length && before[common] === after[common]) common++;
  const from = Math.max(0, common - 30);
  const clip = (text: string) => {
    const cut = `${from > 0 ? '…' : ''}${text.slice(from)}`;
    return cut.length > MAX_VALUE ? `${cut.slice(0, MAX_VALUE - 1)}…` : cut;
  };
  return [clip(before), clip(after)];
}

function withoutIgnored(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIgnored);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !ignored.has(k)).map(([k, v]) => [k, withoutIgnored(v)]));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The changes between two values already without the ignored keys. */
function walk(before: unknown, after: unknown, path: string, out: string[], key = ''): void {
  if (same(before, after)) return;
  // A condition changed is shown whole, as rule text (`reps: rep.team = "EMEA AEs" → rep.team =
  // "EMEA"`), not as the field paths of its tree (`reps.right.value.value`).
  const conditions = [asCondition(key, before), asCondition(key, after)];
  if (conditions.some(Boolean)) {
    const text = (c: Expr | undefined, raw: unknown) => (c ? exprText(c) : raw === null || raw === undefined ? '(none)' : shown(raw));
    const [was, is] = clippedPair(text(conditions[0], before), text(conditions[1], after));
    out.push(`${path}: ${was} → ${is}`);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(before[key], after[key], path ? `${path}.${key}` : key, out, key);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.length === after.length) {
      before.forEach((item, i) => walk(item, after[i], `${path}[${i + 1}]`, out));
      return;
    }
    // Items added or removed (a step inserted): matched by content, so the items after it do not
    // all read as changed.
    const n = before.length;
    const m = after.length;
    // A generated `in [...]` list of thousands: its length is what a line can say.
    if (n * m > 250_000) { out.push(`${path}: ${n} items → ${m} items`); return; }
    const a = before.map((v) => JSON.stringify(v));
    const b = after.map((v) => JSON.stringify(v));
    const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) { i++; j++; }
      else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) { out.push(`${path}[${i + 1}]: removed ${shown(before[i])}`); i++; }
      else { out.push(`${path}[${j + 1}]: added ${shown(after[j])}`); j++; }
    }
    return;
  }
  out.push(`${path}: ${shown(before)} → ${shown(after)}`);
}

/** The fields of one rule (compiled plan JSON) that differ, as `path: before → after` lines. */
export function ruleFieldChanges(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  // Stripped once here: every level compares (and shows) subtrees already without them.
  walk(withoutIgnored(before), withoutIgnored(after), '', out);
  return out;
}

/** How many changed fields of one rule are listed before "... and N more". */
const MAX_FIELDS = 12;

/**
 * Every rule the working copy adds, changes or removes against the applied plan, schedule or not
 * (a sequence on an event has none, so the schedule changes above leave it out), and for a changed
 * rule the fields that differ: what a reviewer of the pull request needs to see.
 */
export function describeRuleChanges(appliedJson: string, plan: Plan): string {
  const applied = (JSON.parse(appliedJson) as { rules?: Plan['rules'] } | null)?.rules ?? [];
  const differences = diffRules(ruleHashesOf({ rules: applied } as Plan), ruleHashesOf(plan));
  if (differences.added.length + differences.changed.length + differences.removed.length === 0) return '';
  const lines = ['', 'Rule changes against the applied plan:'];
  for (const r of differences.added) lines.push(`  + ${r.kind} "${r.name}" (new)`);
  for (const r of differences.changed) {
    lines.push(`  ~ ${r.kind} "${r.name}"`);
    const fields = ruleFieldChanges(applied.find((a) => a.id === r.id), plan.rules.find((l) => l.id === r.id));
    for (const f of fields.slice(0, MAX_FIELDS)) lines.push(`      ${f}`);
    if (fields.length > MAX_FIELDS) lines.push(`      ... and ${fields.length - MAX_FIELDS} more`);
  }
  for (const r of differences.removed) lines.push(`  - ${r.kind} "${r.name}" (removed)`);
  return `${lines.join('\n')}\n`;
}
