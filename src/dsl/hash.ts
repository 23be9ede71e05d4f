// Canonical JSON (keys sorted at every level, no whitespace) and its sha256: the same plan content
// always hashes the same, whatever order objects were built in.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
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
 * Drops `source` (file and line) before hashing: moving a rule or adding a comment above it must
 * not make a new version, or a payout already made could be made again under the "new" version.
 */
export function withoutSources(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSources);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).filter(([k]) => k !== 'source').map(([k, v]) => [k, withoutSources(v)]),
    );
  }
  return value;
}
