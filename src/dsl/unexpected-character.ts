// How SF1001 names a character the rule language has no use for. Most often it came with a copy
// and paste from a web page, a chat or a word processor: a no-break space or a zero-width space
// (printed as they are, the message read `unexpected character " "`, a space to every eye), curly
// quotes, or a letter beyond a-z in a name. Each is named by its code point and what to write.

const invisible: Record<string, string> = {
  '\u00a0': 'a no-break space', '\u2007': 'a figure space', '\u2009': 'a thin space', '\u202f': 'a narrow no-break space',
  '\u2002': 'an en space', '\u2003': 'an em space', '\u3000': 'an ideographic space', '\u000b': 'a vertical tab',
  '\u000c': 'a form feed', '\u0085': 'a next-line character', '\u2028': 'a line separator', '\u2029': 'a paragraph separator',
};
const zeroWidth: Record<string, string> = {
  '\u200b': 'a zero-width space', '\u200c': 'a zero-width non-joiner', '\u200d': 'a zero-width joiner',
  '\u2060': 'a word joiner', '\ufeff': 'a zero-width no-break space (byte order mark)', '\u00ad': 'a soft hyphen',
};
const quotes = new Set(['\u201c', '\u201d', '\u201e', '\u2018', '\u2019', '\u201a', '\u00ab', '\u00bb', '\u2032', '\u2033']);

const codePoint = (char: string): string => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The `X` of "unexpected character X": the character, and for a deceptive one what it is and what to write. */
export function describeUnexpected(char: string): string {
  if (invisible[char]) return `${codePoint(char)} (${invisible[char]}, which looks like a space): write a plain space`;
  if (zeroWidth[char]) return `${codePoint(char)} (${zeroWidth[char]}, which is invisible): delete it`;
  if (quotes.has(char)) return `${JSON.stringify(char)} (a typographic quote): write strings in straight double quotes, "like this"`;
  if (/\p{L}/u.test(char)) return `${JSON.stringify(char)}: names are written with the letters a-z, digits and _ only (other letters go in "strings")`;
  return JSON.stringify(char);
}
