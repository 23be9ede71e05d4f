// The From and Subject headers as nodemailer must be handed them so that every relay takes them.
//
// Subject: nodemailer folds a long subject at its spaces only, so a subject holding a run of some
// 990 characters without a space (a pasted tracking URL, a template value with no spaces) went out
// as one header line past RFC 5322's limit of 998 characters. Relays refuse such a message ("line
// too long", a permanent 5xx: the email was recorded as failed and never sent) or cut the line.
// Such a subject is sent as RFC 2047 encoded words instead, one per folded line: mail clients show
// the same text. Every other subject is left to nodemailer.
//
// From: given as one string, nodemailer parses a sender name with `:` or `()` as address syntax
// (see senderField).

/** A run without a space or tab longer than this cannot be folded by nodemailer under 998 characters per line. */
const LONGEST_FOLDABLE_RUN = 900;

/** UTF-8 bytes per encoded word: 45 bytes are 60 base64 characters, 72 with `=?UTF-8?B?` and `?=` (at most 75). */
const BYTES_PER_WORD = 45;

/** Whether nodemailer's own folding leaves a line of this subject too long for a relay. */
export function needsEncodedWords(subject: string): boolean {
  let run = 0;
  for (const ch of subject) {
    run = ch === ' ' || ch === '\t' ? 0 : run + 1;
    if (run > LONGEST_FOLDABLE_RUN) return true;
  }
  return false;
}

/**
 * The subject as base64 encoded words folded one per line (`=?UTF-8?B?…?=\r\n =?UTF-8?B?…?=`).
 * A character is never split between two words: RFC 2047 requires each word to decode on its own.
 */
export function encodedWordsSubject(subject: string): string {
  const words: string[] = [];
  let bytes: Buffer[] = [];
  let size = 0;
  const flush = () => {
    if (size === 0) return;
    words.push(`=?UTF-8?B?${Buffer.concat(bytes).toString('base64')}?=`);
    bytes = [];
    size = 0;
  };
  for (const ch of subject) {
    const b = Buffer.from(ch, 'utf8');
    if (size + b.length > BYTES_PER_WORD) flush();
    bytes.push(b);
    size += b.length;
  }
  flush();
  return words.join('\r\n ');
}

/**
 * What to hand nodemailer for a message's subject and headers: the subject as is, or, when it
 * cannot be folded, a prepared Subject header of encoded words (nodemailer writes it unchanged).
 */
export function subjectFields(subject: string, headers: Record<string, string>):
  { subject: string; headers: Record<string, string> } | { headers: Record<string, string | { prepared: true; value: string }> } {
  if (!needsEncodedWords(subject)) return { subject, headers };
  return { headers: { ...headers, Subject: { prepared: true, value: encodedWordsSubject(subject) } } };
}

/**
 * The sender as name and address apart. Handed over as one string, nodemailer parses
 * `Acme: Sales <ops@acme.example>` as an RFC 5322 group ("From: Acme:Sales <ops@acme.example>;",
 * which relays refuse as a From) and drops `(Sales)` in `Acme (Sales) <…>` as a comment; a name
 * given apart is quoted or encoded as it needs.
 */
export function senderField(from: string): string | { name: string; address: string } {
  const named = /^([^<>]*)<([^<>]+)>$/.exec(from.trim());
  if (!named) return from;
  const name = named[1].trim();
  return name === '' ? named[2].trim() : { name, address: named[2].trim() };
}
