// `prorate target by employment` cuts a rep's target to the days employed, while a deal counts in
// the period it closes in (SPEC §5, "incentive, in depth"): a rep hired (or gone) inside the period
// keeps the deals credited to them that closed before the start date (or after the end date). The
// statement warns naming them. Deals credited by a share, converted or by a team are in the facts'
// `credited` list already; this finds the rep's own whole deals in the rule's currency, which are
// summed without a record each. Only reps whose start or end date falls inside the window are
// looked at, so reps without such dates (nearly all) cost nothing.
import { sql } from 'kysely';
import type { RepRecord } from '../plan/records.js';
import type { IncentiveRule } from '../plan/schema.js';
import type { DateWindow, StatementFacts } from '../payouts/facts.js';
import type { Db } from './db.js';

export interface DealClosed { deal: string; closedAt: string }

/** Whether the rep is hired or gone inside the window (and employed some of it). */
function hiredOrGoneInside(rep: Pick<RepRecord, 'start_date' | 'end_date'>, window: DateWindow): boolean {
  return (!!rep.start_date && rep.start_date > window.start && rep.start_date <= window.end)
    || (!!rep.end_date && rep.end_date < window.end && rep.end_date >= window.start);
}

/**
 * Per rep id, the rep's own won deals of the window whole in the rule's currency that closed
 * before its start_date or after its end_date: for `reps`, or every rep when null. Empty for
 * rules without `prorate`, and for `credit team` and `overlay splits`, which credit no own deals.
 */
export async function ownDealsOutsideEmployment(db: Db, rule: IncentiveRule, window: DateWindow, reps: RepRecord[] | null): Promise<Map<string, DealClosed[]>> {
  const found = new Map<string, DealClosed[]>();
  if (!rule.prorate || rule.credit === 'team' || rule.credit === 'team_all_levels' || rule.credit === 'overlay') return found;
  const ids = reps ? reps.filter((r) => hiredOrGoneInside(r, window)).map((r) => r.id) : null;
  if (ids && ids.length === 0) return found;
  // With revenue shares a deal credits its shares' reps instead of its own rep (those are in `credited`).
  const unsplit = rule.credit === 'splits' || rule.credit === 'all'
    ? sql` AND NOT EXISTS (SELECT 1 FROM credits c WHERE c.deal = d.id AND c.type = 'revenue')`
    : sql``;
  const read = async (only: string[] | null) => {
    const idFilter = only ? sql` AND r.id IN (${sql.join(only)})` : sql``;
    const rows = await sql<{ rep: string; id: string; closed_at: string }>`SELECT d.rep AS rep, d.id AS id, d.closed_at AS closed_at
      FROM reps r JOIN deals d ON d.rep = r.id
      WHERE ((r.start_date > ${window.start} AND r.start_date <= ${window.end}) OR (r.end_date >= ${window.start} AND r.end_date < ${window.end}))${idFilter}
        AND d.closed_at BETWEEN ${window.start} AND ${window.end} AND (d.closed_at < r.start_date OR d.closed_at > r.end_date)
        AND d.stage = 'won' AND d.currency = ${rule.currency}${unsplit}
      ORDER BY d.rep, d.closed_at, d.id`.execute(db.kysely);
    for (const row of rows.rows) {
      const list = found.get(row.rep);
      const deal = { deal: row.id, closedAt: row.closed_at };
      if (list) list.push(deal); else found.set(row.rep, [deal]);
    }
  };
  if (!ids) await read(null);
  else for (let i = 0; i < ids.length; i += 500) await read(ids.slice(i, i + 500));
  return found;
}

/** `facts` with the rep's own deals outside employment, when it has any (a copy: facts may be shared and frozen). */
export function withOwnOutside(facts: StatementFacts, deals: DealClosed[] | undefined): StatementFacts {
  return deals && deals.length ? { ...facts, ownOutsideEmployment: deals } : facts;
}
