// Canonical JSON (keys sorted at every level, no whitespace) and its sha256: the same plan content
// always hashes the same, whatever order objects were built in.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown, omitKey?: string): string {
  const parts: string[] = [];
  writeCanonical(value, omitKey, parts);
  return parts.join('');
}

// Writes straight to string parts instead of building sorted copies: plans of thousands of rules
// are hashed rule by rule, and the copies cost more than the hashing.
function writeCanonical(value: unknown, omitKey: string | undefined, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    out.push(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      writeCanonical(item === undefined ? null : item, omitKey, out);
    });
    out.push(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined && k !== omitKey).sort();
  out.push('{');
  keys.forEach((k, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(k), ':');
    writeCanonical(record[k], omitKey, out);
  });
  out.push('}');
}

/** Pretty-printed canonical JSON, for `salesflow compile` and golden files. */
export function canonicalJsonPretty(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(record[k])]),
    );
  }
  return value;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Content hashes leave out `source` (file and line): moving a rule or adding a comment above it
 * must not make a new version, or a payout already made could be made again under the "new" one.
 */
export function contentHash(value: unknown): string {
  return sha256(canonicalJson(value, 'source'));
}
