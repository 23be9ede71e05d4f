// Won deals an import leaves without a `closed_at`: they count in no period (no revenue, no
// commission), so every import that stores one says so, whichever columns its file has: a new won
// deal from a file without the column, a stored deal moved to won that never had a date, a CRM
// export row whose close date is empty.
import type { Db } from './db.js';

/** Shown by id, then counted (a file of a million undated wins prints one line). */
const SHOWN = 10;

export class UndatedWins {
  private count = 0;
  private readonly shown: string[] = [];

  note(id: string): void {
    if (++this.count <= SHOWN) this.shown.push(id);
  }

  /**
   * Won deals of a file without a closed_at column keep their stored date: those of `ids` with
   * none stored (or not stored at all) are undated. Read before the batch is written.
   */
  async noteStored(reads: Db, ids: string[]): Promise<void> {
    const dated = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await reads.kysely.selectFrom('deals').select('id')
        .where('id', 'in', ids.slice(i, i + 500)).where('closed_at', 'is not', null).execute();
      for (const { id } of rows) dated.add(id);
    }
    for (const id of ids) if (!dated.has(id)) this.note(id);
  }

  /** The warning, or null when every won deal has its date. */
  warning(): string | null {
    const n = this.count;
    if (n === 0) return null;
    return `${n} won deal${n > 1 ? 's have' : ' has'} no closed_at, so ${n > 1 ? 'they count' : 'it counts'} in no period (no revenue, no commission): ${this.shown.join(', ')}${n > SHOWN ? ', ...' : ''}`;
  }
}
