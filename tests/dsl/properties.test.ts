// Whatever text an author (or a bad merge) produces, the pipeline answers with diagnostics, never
// an exception; and whatever parses, the formatter formats without changing its meaning.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSources, formatSource } from '../../src/dsl/index.js';
import { exampleTemplates, root } from './helpers.js';

const runs = Number(process.env.FUZZ_RUNS ?? 300);
const examples = readdirSync(join(root, 'rules'))
  .filter((f) => f.endsWith('.rules'))
  .map((f) => readFileSync(join(root, 'rules', f), 'utf8'));
const pieces = examples.map((text) => text.split(/(\s+)/));

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'insert'; at: number; text: string };

const vocabulary = ['{', '}', '[', ']', '(', ')', ',', '.', '=', '<', '>=', '!=', '+', '-', '*', '/', '%', '"', '#', 'not', 'in',
  'and', 'or', 'when', 'where', 'send', 'to', 'wait', 'if', 'else', 'at', 'every', 'goal', 'sequence', 'incentive', 'metric',
  'settings', '12%', '2 days', '100 EUR', '09:00', '2026-01-01', 'rep', 'lead.score', 'deal.amount', 'attainment', '\\', '\n'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...vocabulary), fc.string({ maxLength: 4 })) }),
);

function mutate(source: string[], mutations: Mutation[]): string {
  const words = [...source];
  for (const m of mutations) {
    if (words.length === 0) break;
    const at = m.at % words.length;
    if (m.kind === 'delete') words.splice(at, 1);
    else if (m.kind === 'duplicate') words.splice(at, 0, words[at]);
    else if (m.kind === 'swap') {
      const other = m.with % words.length;
      [words[at], words[other]] = [words[other], words[at]];
    } else words.splice(at, 0, m.text);
  }
  return words.join('');
}

function neverThrows(text: string): void {
  const diagnostics = checkSources({ rules: [{ path: 'fuzz.rules', text }], templates: exampleTemplates });
  for (const d of diagnostics) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.col).toBeGreaterThanOrEqual(1);
    expect(d.code).toMatch(/^SF\d{4}$/);
    expect(d.message.length).toBeGreaterThan(0);
  }
  const formatted = formatSource(text, 'fuzz.rules');
  if (formatted.formatted !== null) expect(formatSource(formatted.formatted, 'fuzz.rules').formatted).toBe(formatted.formatted);
}

describe('robustness', () => {
  it('mutated example files yield diagnostics, never exceptions', () => {
    fc.assert(
      fc.property(fc.nat({ max: pieces.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (file, mutations) => {
        neverThrows(mutate(pieces[file], mutations));
      }),
      { numRuns: runs },
    );
  });

  it('random text yields diagnostics, never exceptions', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => neverThrows(text)),
      { numRuns: runs },
    );
  });

  it('random sequences of language words yield diagnostics, never exceptions', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...vocabulary, '"x"', 'lead', 'revenue', 'monday', 'USD', '50'), { maxLength: 40 }), (words) =>
        neverThrows(words.join(' '))),
      { numRuns: runs },
    );
  });

  it('comments inserted anywhere between tokens survive formatting, in order, and formatting is idempotent', () => {
    // Offsets of whitespace outside strings and comments: a comment may be inserted there.
    const slots = examples.map((text) => {
      const found: number[] = [];
      let inString = false;
      let inComment = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inComment) inComment = c !== '\n';
        else if (inString) inString = !(c === '"' && text[i - 1] !== '\\');
        else if (c === '"') inString = true;
        else if (c === '#') inComment = true;
        // Not inside `100 USD` or `3 business days`: those literals are one token each.
        else if ((c === ' ' || c === '\n') && !/\d/.test(text[i - 1] ?? '') && text.slice(Math.max(0, i - 8), i) !== 'business') found.push(i);
      }
      return found;
    });
    fc.assert(
      fc.property(
        fc.nat({ max: examples.length - 1 }),
        fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (file, picks, ownLine) => {
          const offsets = [...new Set(picks.map((p) => slots[file][p % slots[file].length]))].sort((a, b) => b - a);
          let text = examples[file];
          // Inserted back to front so earlier offsets stay valid; numbered front to back.
          offsets.forEach((at, k) => {
            const n = offsets.length - 1 - k;
            text = `${text.slice(0, at)}${ownLine ? `\n# note ${n}\n` : ` # note ${n}\n`}${text.slice(at + 1)}`;
          });
          const formatted = formatSource(text, 'c.rules').formatted;
          expect(formatted).not.toBeNull();
          const notes = (t: string) => [...t.matchAll(/# note (\d+)/g)].map((m) => m[1]);
          expect(notes(formatted!)).toEqual(notes(text));
          expect(formatSource(formatted!, 'c.rules').formatted).toBe(formatted);
        },
      ),
      { numRuns: runs },
    );
  });
});
