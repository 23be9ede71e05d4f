// The one way salesflow decides that two email addresses are the same person: both reduce to the
// same key. Computed here, in JavaScript, and stored beside the address (migration 10), because the
// databases disagree: SQLite's lower() and NOCASE fold ASCII letters only, PostgreSQL's lower()
// folds by the collation in force (ASCII under "C", Unicode under a UTF-8 locale), so
// `ÉLISE@acme.fr` and `élise@acme.fr` matched on one data source and not on the other.
//
// The whole address is folded, local part included: RFC 5321 lets a server treat the local part
// as case-sensitive, but no mail system a sales team uses does, and a CRM that spells a rep's
// address `Élise@Acme.fr` in one place and `élise@acme.fr` in another means one person. NFC
// first, so an `é` typed as e + combining accent (macOS input, some CSV exports) is the same `é`.
// toLowerCase (not toLocaleLowerCase): the same key on every machine, whatever its locale.

/** Printable ASCII only: NFC changes nothing, and the check is cheaper than normalizing (1M-deal imports). */
const printableAscii = /^[\x20-\x7e]*$/;

/** The comparison key of an address: trimmed, NFC, lower-cased (full Unicode case mapping). */
export function emailKey(address: string): string {
  const trimmed = address.trim();
  return (printableAscii.test(trimmed) ? trimmed : trimmed.normalize('NFC')).toLowerCase();
}

/** The key of an optional address (a deal's contact, a rep's manager); null stays null. */
export function optionalEmailKey(address: string | null | undefined): string | null {
  return typeof address === 'string' && address.trim() !== '' ? emailKey(address) : null;
}

/**
 * The key columns the stores keep, per table: the address column and the column holding its key.
 * Every write of the address writes the key in the same statement (src/data/import-write.ts and
 * the upserts), so no reader ever sees one without the other.
 */
export const emailKeyColumns: Readonly<Record<string, { source: string; key: string }>> = {
  reps: { source: 'email', key: 'email_key' },
  leads: { source: 'email', key: 'email_key' },
  deals: { source: 'contact', key: 'contact_key' },
};
