// Webhook bodies as text, strictly UTF-8 (what JSON, Salesforce's XML and HTML forms are). Bytes that
// are not UTF-8 would otherwise become U+FFFD in a deal or lead name, stored silently changed (a
// Latin-1 "Café" as "Caf�"); the sender is told instead, as POST /events does.

/** Keeps a byte-order mark for the parsers that drop it; fails on anything not UTF-8. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const NOT_UTF8 = 'body is not valid UTF-8: send it encoded as UTF-8';

export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * application/x-www-form-urlencoded parameters, a repeated name keeping its last value (as
 * `Object.fromEntries(new URLSearchParams(...))` does), or null when a %XX sequence decodes to bytes
 * that are not UTF-8 (`Caf%E9`: URLSearchParams would read it as "Caf�"). A `%` not followed by two
 * hex digits stays as written, as URLSearchParams leaves it.
 */
export function urlEncodedParams(text: string): Record<string, string> | null {
  const entries: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = component(eq < 0 ? part : part.slice(0, eq));
    const value = component(eq < 0 ? '' : part.slice(eq + 1));
    if (name === null || value === null) return null;
    entries.push([name, value]);
  }
  return Object.fromEntries(entries);
}

function component(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ').replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
  } catch {
    return null;
  }
}
