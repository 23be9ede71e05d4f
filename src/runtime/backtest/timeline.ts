// What a backtest reports: every email the rules would have sent and every statement they would
// have computed, in time order. Emails are read back from the throwaway outbox (what was rendered
// and to whom) and the mail catcher (the Date header: the workflow time it went out); the person
// it concerns comes from the run's id (api.ts `workflowIds`). JSON is the contract for CI.
import { goalKeyDue } from '../../activities/goal.js';
import { getDeal } from '../../data/deals.js';
import type { Db } from '../../data/db.js';
import { getLead, getLeadByEmail } from '../../data/leads.js';
import { getRep, getRepByEmail } from '../../data/reps.js';
import { formatDay, parseDay, parsePeriod } from '../../payouts/period.js';
import type { Statement } from '../../payouts/statement.js';
import type { Plan } from '../../plan/schema.js';
import { isKnownTimeZone } from '../../workflows/calendar.js';
import { inWindowFor, localMinute, type BacktestWindow } from './window.js';

const MINUTE = 60_000;

export interface EmailEntry {
  kind: 'email';
  /** UTC, ISO. */
  at: string;
  /** YYYY-MM-DDTHH:MM in the recipient's zone. */
  local: string;
  zone: string;
  rule: string;
  rep: string;
  to: string;
  template: string;
  subject: string;
}

export interface StatementEntry {
  kind: 'statement';
  /** When the period ended in the rule's zone (UTC, ISO). */
  at: string;
  rule: string;
  rep: string;
  period: string;
  total: string;
  currency: string;
}

export type TimelineEntry = EmailEntry | StatementEntry;

export function statementEntry(statement: Statement, atMs: number): StatementEntry {
  return {
    kind: 'statement', at: new Date(atMs).toISOString(), rule: statement.rule, rep: statement.rep,
    period: statement.period, total: statement.total, currency: statement.currency,
  };
}

interface SentRow {
  key: string;
  workflow_id: string;
  rule_id: string;
  template: string;
  to_addr: string;
  subject: string;
  message_id: string;
}

/**
 * The rep a run concerns: `goal:<rule>:<rep>:<period>`, `seq:<rule>:rep:<rep>:<date>`, and for
 * lead and deal sequences (`seq:<rule>:lead|deal:<id>`) the lead's owner or the deal's rep.
 */
async function repOfRun(db: Db, workflowId: string, ruleId: string): Promise<string> {
  const rest = workflowId.slice(workflowId.indexOf(`:${ruleId}:`) + ruleId.length + 2);
  if (workflowId.startsWith('goal:')) return rest.slice(0, rest.lastIndexOf(':'));
  const kind = rest.slice(0, rest.indexOf(':'));
  const id = rest.slice(kind.length + 1);
  if (kind === 'rep') return id.slice(0, id.lastIndexOf(':'));
  if (kind === 'lead') return (await getLead(db, id))?.owner ?? '';
  if (kind === 'deal') return (await getDeal(db, id))?.rep ?? '';
  return '';
}

async function zoneOf(db: Db, email: string, fallback: string): Promise<string> {
  const zone = (await getRepByEmail(db, email))?.timezone ?? (await getLeadByEmail(db, email))?.timezone ?? null;
  return zone && isKnownTimeZone(zone) ? zone : fallback;
}

/** A rep's zone, the rule's when they have none (or one the tz database does not know), as their goal runs use. */
async function repZone(db: Db, repId: string, fallback: string): Promise<string> {
  const zone = (await getRep(db, repId))?.timezone ?? null;
  return zone && isKnownTimeZone(zone) ? zone : fallback;
}

/**
 * Every email sent in the replay whose local time lies in the window (a goal's, in its rep's zone), from the outbox of the
 * throwaway data source and the send times the catcher saw (Message-ID → Date header).
 */
export async function emailEntries(db: Db, plan: Plan, window: BacktestWindow, sentAt: Map<string, number>): Promise<EmailEntry[]> {
  const rules = new Map(plan.rules.map((r) => [r.id, r]));
  const rows = (await db.kysely
    .selectFrom('outbox')
    .select(['key', 'workflow_id', 'rule_id', 'template', 'to_addr', 'subject', 'message_id'])
    .where('status', '=', 'sent')
    .orderBy('id')
    .execute()) as SentRow[];
  const entries: EmailEntry[] = [];
  // A quarter of a goal's emails is thousands of rows about a few hundred reps.
  const repZones = new Map<string, Promise<string>>();
  for (const row of rows) {
    const rule = rules.get(row.rule_id);
    const sent = sentAt.get(row.message_id);
    if (!rule || sent === undefined) continue;
    // To the minute, as `local`: the test server's clock runs on with real time while a timer's
    // work is in flight, so the second a send is stamped with varies from run to run (09:00:01 in
    // one, 09:00:00 in the next), and two backtests of the same rules differed line by line.
    const at = Math.floor(sent / MINUTE) * MINUTE;
    // A goal run of a period already under way starts as the window opens and catches up on what
    // fell due before (goal-timing.ts lateStart): those emails went out before the window, at
    // their due time, so they are not the window's, whatever the catch-up's local time.
    const due = row.workflow_id.startsWith('goal:') ? goalKeyDue(row.key, row.workflow_id) : null;
    if (due !== null && due < window.startMs) continue;
    const zone = await zoneOf(db, row.to_addr, rule.timezone);
    const rep = await repOfRun(db, row.workflow_id, rule.id);
    // A goal's emails are on its rep's clock (the period, every checkpoint, the review): one send is
    // in the window or not for all its recipients alike, so a manager's copy of the review that
    // ends the window is listed beside the rep's, even when it is already the next morning for them.
    let judgedIn = zone;
    if (row.workflow_id.startsWith('goal:')) {
      const cached = repZones.get(`${rule.id}\u0000${rep}`) ?? repZone(db, rep, rule.timezone);
      repZones.set(`${rule.id}\u0000${rep}`, cached);
      judgedIn = await cached;
    }
    if (!inWindowFor(window, at, judgedIn)) continue;
    // The midnight that ends `to` is in the window for the review of a period ending then; a
    // goal's check-in or `at N%` point at 00:00 on the next day is the next window's (a run of a
    // period going on past `to`): listed here too, it was listed twice by back-to-back windows.
    if (row.workflow_id.startsWith('goal:') && localMinute(at, judgedIn) === `${formatDay(parseDay(window.to)! + 1)}T00:00`) {
      const period = parsePeriod(row.workflow_id.slice(row.workflow_id.lastIndexOf(':') + 1));
      if (period.ok && period.period.end > window.to) continue;
    }
    entries.push({
      kind: 'email', at: new Date(at).toISOString(), local: localMinute(at, zone), zone, rule: rule.name,
      rep, to: row.to_addr, template: row.template, subject: row.subject,
    });
  }
  return entries;
}

/** Time order; at one instant statements after emails, then by rule, rep and recipient, so the output is stable. */
export function sortTimeline(entries: TimelineEntry[]): TimelineEntry[] {
  const key = (e: TimelineEntry) => [e.at, e.kind, e.rule, e.rep, e.kind === 'email' ? `${e.to}\u0000${e.template}` : e.period];
  return [...entries].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}

export function timelineJson(entries: TimelineEntry[]): string {
  return `${JSON.stringify(entries, null, 2)}\n`;
}

/** One line per entry, in columns, for people. */
export function timelineTable(entries: TimelineEntry[]): string {
  if (entries.length === 0) return 'nothing would have been sent or computed in this window\n';
  const rows = entries.map((e) =>
    e.kind === 'email'
      ? [e.at.slice(0, 16).replace('T', ' '), `${e.local.replace('T', ' ')} ${e.zone}`, 'email', e.rule, e.rep, e.to, e.template, e.subject]
      : [e.at.slice(0, 16).replace('T', ' '), '', 'statement', e.rule, e.rep, e.period, '', `${e.total} ${e.currency}`],
  );
  const head = ['UTC', 'LOCAL', 'KIND', 'RULE', 'REP', 'TO / PERIOD', 'TEMPLATE', 'SUBJECT / TOTAL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const emails = entries.filter((e) => e.kind === 'email').length;
  return `${[line(head), ...rows.map(line)].join('\n')}\n\n${emails} email(s), ${entries.length - emails} statement(s)\n`;
}
