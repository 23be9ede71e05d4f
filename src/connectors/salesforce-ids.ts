// Salesforce writes one record id in two forms: 15 case-sensitive characters (report exports, the
// UI's URLs) and 18 (the API and outbound messages), the 15 plus three characters that encode
// which of them are capitals, so the id survives case-insensitive tools. salesflow stores ids as
// it gets them; this tells that an 18-character id is a 15-character one held already.

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 15-character form of an 18-character Salesforce id whose suffix matches its capitals; else null. */
export function salesforceShortId(id: string): string | null {
  if (!/^[a-zA-Z0-9]{18}$/.test(id)) return null;
  const short = id.slice(0, 15);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = short[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return suffix === id.slice(15) ? short : null;
}
