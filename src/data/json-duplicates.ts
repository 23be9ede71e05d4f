// Keys written twice in one JSON object. JSON.parse keeps the last and drops the first without a
// word; in a file a person wrote (a rule test case), the dropped one is an expectation nobody
// checks, so it is reported at its line and column instead. Runs on text JSON.parse accepted.
import { lineCol } from './json-text.js';

export interface DuplicateKey {
  key: string;
  /** Where the second (and each later) occurrence is written, 1-based. */
  line: number;
  col: number;
}

export function duplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  // One entry per open container: the keys of an object (null for an array).
  const stack: (Set<string> | null)[] = [];
  // In an object, a string right after `{` or `,` is a key; elsewhere a string is a value.
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      let value = '';
      for (i++; text[i] !== '"'; i++) {
        if (text[i] === '\\') { value += text.slice(i, i + 2); i++; } else value += text[i];
      }
      const keys = stack[stack.length - 1];
      if (keyNext && keys) {
        // Compared as JSON.parse would see them: "a" and "\u0061" are one key.
        const key = JSON.parse(`"${value}"`) as string;
        if (keys.has(key)) found.push({ key, ...lineCol(text, start) });
        keys.add(key);
      }
      keyNext = false;
    } else if (c === '{') { stack.push(new Set()); keyNext = true; }
    else if (c === '[') { stack.push(null); keyNext = false; }
    else if (c === '}' || c === ']') { stack.pop(); keyNext = false; }
    else if (c === ',') keyNext = stack[stack.length - 1] instanceof Set;
  }
  return found;
}
