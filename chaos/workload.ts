// What a run asks of the product, and what it must therefore see: a rules folder (one nurture
// sequence, one incentive with manager approval), reps with one won deal each in the last closed
// quarter, signed `lead.created` events over HTTP, `salesflow payouts run`, and the approvers
// clicking Approve in the emails they get. Every email and ledger row the run should produce is
// listed up front, so the tally can say what was lost and what came twice.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Cluster } from './cluster.js';
import { SECRET, sleep } from './cluster.js';
import type { ReceivedMail } from './smtp.js';

export interface WorkloadSize {
  /** Sequences started, one `lead.created` event each. */
  sequences: number;
  /** Reps paid, each approved by their manager through the emailed link. */
  payouts: number;
  /** `wait N minute(s)` between the two sends of a sequence; 0 sends both at once. */
  waitMinutes: number;
}

export const RULE_ID = 'chaos-commission';
const LEAD_DOMAIN = 'leads.example';

export interface Quarter { label: string; day: (n: number) => string }

/**
 * The last calendar quarter that has ended (payouts only run for closed periods). A run reads it
 * once and hands it to every step: read again later, a quarter ending in UTC meanwhile made the
 * deals one quarter's and the payouts run another's.
 */
export function closedQuarter(now = new Date()): Quarter {
  const q = Math.floor(now.getUTCMonth() / 3);
  const [year, index] = q === 0 ? [now.getUTCFullYear() - 1, 3] : [now.getUTCFullYear(), q - 1];
  const start = Date.UTC(year, index * 3, 1);
  return { label: `${year}-Q${index + 1}`, day: (n) => new Date(start + (n - 1) * 86_400_000).toISOString().slice(0, 10) };
}

const pad = (n: number) => String(n).padStart(5, '0');
const leadId = (n: number) => `L-${pad(n)}`;
const repId = (n: number) => `r-${pad(n)}`;

/** Writes rules/ and the reps and deals CSVs (deals closed in `quarter`) into DIR. */
export function writeFixtures(dir: string, size: WorkloadSize, quarter: Quarter): void {
  const rules = path.join(dir, 'rules');
  fs.mkdirSync(path.join(rules, 'templates'), { recursive: true });
  const wait = size.waitMinutes > 0 ? `  wait ${size.waitMinutes} ${size.waitMinutes === 1 ? 'minute' : 'minutes'}\n` : '';
  fs.writeFileSync(path.join(rules, 'chaos.rules'), `# The chaos and several-workers runs: short sequences and approvals that need nobody but the harness.
settings { timezone "UTC" from "Chaos <chaos@salesflow.example>" }

sequence "Chaos nurture" {
  on lead.created where lead.source = "chaos"
  stop on lead.unsubscribed
  send "chaos-welcome" to lead
${wait}  send "chaos-follow-up" to lead
}

incentive "Chaos commission" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission marginal {
    up to 100% pay 10%
    above pay 12%
  }
  approve by rep.manager within 2 days {
    otherwise reject
  }
}
`);
  for (const name of ['chaos-welcome', 'chaos-follow-up']) {
    fs.writeFileSync(path.join(rules, 'templates', `${name}.md`), `---\nsubject: ${name} {{lead.name}}\n---\nHello {{lead.name}}.\n`);
  }
  const q = quarter;
  const reps = ['id,name,email,team,role,region,manager,timezone,start_date'];
  const deals = ['id,rep,name,amount,currency,stage,product,type,source,closed_at,contact'];
  for (let n = 1; n <= size.payouts; n++) {
    reps.push(`${repId(n)},Rep ${pad(n)},rep-${pad(n)}@reps.example,Chaos,AE,EMEA,mgr-${pad(n)}@managers.example,UTC,2020-01-01`);
    deals.push(`D-${pad(n)},${repId(n)},Deal ${pad(n)},${50_000 + n}.25,USD,won,Platform,new,chaos,${q.day(1 + (n % 80))},c-${pad(n)}@cust.example`);
  }
  fs.writeFileSync(path.join(dir, 'reps.csv'), `${reps.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'deals.csv'), `${deals.join('\n')}\n`);
}

/** Where a received email is counted: lead emails by address and subject, payout emails by address (one each). */
export function mailKey(mail: { to: string; subject: string }): string {
  return mail.to.endsWith(`@${LEAD_DOMAIN}`) ? `${mail.to}|${mail.subject}` : mail.to;
}

export interface Expected {
  emails: Set<string>;
  /** Reps that must have exactly one ledger row for the closed quarter. */
  ledgerReps: Set<string>;
  period: string;
}

export function expectations(size: WorkloadSize, quarter: Quarter): Expected {
  const emails = new Set<string>();
  for (let n = 1; n <= size.sequences; n++) {
    const to = `${leadId(n).toLowerCase()}@${LEAD_DOMAIN}`;
    emails.add(mailKey({ to, subject: `chaos-welcome ${leadId(n)}` }));
    emails.add(mailKey({ to, subject: `chaos-follow-up ${leadId(n)}` }));
  }
  const ledgerReps = new Set<string>();
  for (let n = 1; n <= size.payouts; n++) {
    emails.add(`mgr-${pad(n)}@managers.example`);
    emails.add(`rep-${pad(n)}@reps.example`);
    ledgerReps.add(repId(n));
  }
  return { emails, ledgerReps, period: quarter.label };
}

/** Imports reps and deals through the CLI (this also creates the schema before the others start). */
export async function importData(cluster: Cluster): Promise<void> {
  for (const kind of ['reps', 'deals']) {
    const r = await cluster.cli(['import', '--kind', kind, path.join(cluster.options.dir, `${kind}.csv`)]);
    if (r.code !== 0) throw new Error(`salesflow import --kind ${kind} failed:\n${r.output}`);
  }
}

function leadCreated(n: number): string {
  return JSON.stringify({
    id: `evt-chaos-${pad(n)}`, type: 'lead.created', occurred_at: '2026-01-05T10:00:00Z',
    lead: { id: leadId(n), name: leadId(n), email: `${leadId(n).toLowerCase()}@${LEAD_DOMAIN}`, source: 'chaos', score: 10 },
  });
}

/**
 * POSTs each event signed, the way a CRM webhook would, retrying what was not accepted (serve
 * answers 5xx while Temporal restarts; a CRM retries too). Returns the number of retries it took.
 */
export async function sendEvents(cluster: Cluster, count: number, options: { concurrency?: number; pauseMs?: number } = {}): Promise<number> {
  let next = 1;
  let retries = 0;
  const post = async (body: string): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const status = await fetch(`${cluster.base}/events`, {
        method: 'POST', body,
        headers: { 'Content-Type': 'application/json', 'X-Salesflow-Signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
      }).then(async (r) => { await r.arrayBuffer(); return r.status; }, () => 0);
      if (status === 200 || status === 202) return;
      if (status >= 400 && status < 500) throw new Error(`POST /events refused an event (${status}): ${body}`);
      if (attempt > 200) throw new Error(`POST /events kept failing (${status}) for ${body}`);
      retries++;
      await sleep(500);
    }
  };
  const lane = async () => {
    while (next <= count) {
      const n = next++;
      await post(leadCreated(n));
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, lane));
  return retries;
}

/**
 * The approvers: every approval email that arrives is opened and Approve is clicked (the form's
 * POST, as the page sends it), retried while the server answers 5xx. Settles once LIMIT decisions
 * went through.
 */
export class Approvers {
  approved = 0;
  retries = 0;
  private clicked = new Set<string>();
  private pending: Array<Promise<void>> = [];

  constructor(private readonly cluster: Cluster) {
    cluster.smtp.onMail((mail) => this.onMail(mail));
  }

  private onMail(mail: ReceivedMail): void {
    if (!mail.to.endsWith('@managers.example')) return;
    const link = /https?:\/\/[^\s<>"]+\/approvals\/[A-Za-z0-9._~-]+/.exec(mail.text)?.[0];
    if (!link || this.clicked.has(link)) return; // a duplicate approval email: the link was clicked already
    this.clicked.add(link);
    this.pending.push(this.approve(link));
  }

  private async approve(link: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const status = await fetch(link, {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'decision=approve',
      }).then(async (r) => { await r.arrayBuffer(); return r.status; }, () => 0);
      if (status === 200) { this.approved++; return; }
      // 409: decided already (a retried click whose first answer was lost): that decision stands.
      if (status === 409) { this.approved++; return; }
      if (status >= 400 && status < 500) throw new Error(`approving ${link} was refused (${status})`);
      if (attempt > 400) throw new Error(`approving ${link} kept failing (${status})`);
      this.retries++;
      await sleep(500);
    }
  }

  settled(): Promise<unknown> { return Promise.all(this.pending); }
}

/** `salesflow payouts run` for the closed quarter, retried while Temporal is unreachable. */
export async function runPayouts(cluster: Cluster, quarter: Quarter): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const r = await cluster.cli(['payouts', 'run', '--period', quarter.label, cluster.rulesDir]);
    if (r.code === 0) return r.output.trim();
    if (attempt >= 10) throw new Error(`salesflow payouts run failed:\n${r.output}`);
    await sleep(2000);
  }
}
