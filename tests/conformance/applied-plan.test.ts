// Issue #10 item 3, driven through the built CLI against a running `salesflow dev`: the applied plan
// is the one truth. `apply` records it (hash, rule hashes, git commit and dirty flag), `status` and
// `history` show it, `events send` and `payouts run` run it from any folder (never ./rules), rule
// paths on the command line are a trial that says so, a running server picks up a new apply, and
// every run, statement and ledger row carries the plan hash it ran with.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, Client } from '@temporalio/client';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAt, type Run } from './cli.js';
import { Dev, secret } from './dev-server.js';
import { closedQuarter } from './periods.js';

const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));
const q = closedQuarter();

const rules = `sequence "Alpha welcome" {
  on lead.created
  send "welcome" to lead
}

incentive "Plan pay" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission marginal {
    up to 100% pay 8%
    above pay 12%
  }
}
`;
const welcome = '---\nsubject: Welcome {{lead.name}}\n---\nHello {{lead.name}}\n';
const reps = `id,name,email,team,role,region,manager,timezone,start_date
r-ann,Ann Able,ann@plan.example,AEs,AE,EMEA,mia@plan.example,UTC,2023-01-01
`;
const deals = `id,rep,name,amount,currency,stage,product,type,source,closed_at,contact
D-1,r-ann,Ann deal,50000,USD,won,Platform,new,webinar,${q.day(10)},x1@cust.example
`;

let dev: Dev;
let elsewhere: string;
let temporal: Client;
let connection: Connection;

beforeAll(async () => {
  dev = await Dev.start(
    { 'rules/plan.rules': rules, 'rules/templates/welcome.md': welcome, 'data/reps.csv': reps, 'data/deals.csv': deals },
    [['reps', 'data/reps.csv'], ['deals', 'data/deals.csv']],
  );
  // Another folder with rules of its own, as on a machine where someone runs the CLI from elsewhere.
  elsewhere = mkdtempSync(join(tmpdir(), 'salesflow-elsewhere-'));
  writeAt(elsewhere, 'rules/other.rules', 'sequence "Beta elsewhere" {\n  on lead.created\n  send "welcome" to lead\n}\n');
  writeAt(elsewhere, 'rules/templates/welcome.md', welcome);
  connection = await Connection.connect({ address: dev.temporalAddress });
  temporal = new Client({ connection });
}, 240_000);

afterAll(async () => {
  await connection?.close();
  await dev?.stop();
  if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
}, 60_000);

/** The built CLI in FOLDER against the dev server's Temporal and data source. */
function cliIn(folder: string, args: string[]): Run {
  const env: NodeJS.ProcessEnv = {
    ...process.env, SALESFLOW_SECRET: secret, DATABASE_URL: join(dev.dir, 'var', 'salesflow.db'),
    TEMPORAL_ADDRESS: dev.temporalAddress, PUBLIC_URL: dev.base,
  };
  delete env.SMTP_URL;
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: folder, env, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function git(args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=Plan Test', '-c', 'user.email=plan@test.example', ...args], { cwd: dev.dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

interface HistoryRow {
  version: number; hash: string; appliedAt: string; gitCommit: string | null; gitDirty: boolean | null; ruleCount: number; current: boolean;
  changes: { rules: Record<'added' | 'changed' | 'removed', { name: string }[]> };
}
const history = (): HistoryRow[] => JSON.parse(dev.cli(['history', '--format', 'json']).stdout) as HistoryRow[];

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dev.dir, 'var', 'salesflow.db'), { readonly: true, fileMustExist: true });
  try { return db.prepare(sql).all(...params) as T[]; } finally { db.close(); }
}

function lead(eventId: string, id: string, source = 'ads'): string {
  return JSON.stringify({ id: eventId, type: 'lead.created', occurred_at: '2026-03-01T10:00:00Z', lead: { id, name: `Lead ${id}`, email: `${id.toLowerCase()}@lead.example`, source, timezone: 'UTC' } });
}

describe('apply, status, history', () => {
  it('dev applied the rules on start: status shows the applied version and a working copy that is the same', () => {
    expect(dev.output).toMatch(/Applied plan {2}version 1, [0-9a-f]{12}/);
    const r = dev.cli(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Applied plan: version 1, plan [0-9a-f]{12}, 2 rule\(s\), no git commit, applied \d{4}-\d\d-\d\dT/);
    expect(r.stdout).toMatch(/Working copy \(rules\/\): plan [0-9a-f]{12}, the same as the applied plan/);
    const json = JSON.parse(dev.cli(['status', '--format', 'json']).stdout);
    expect(json.applied).toMatchObject({ version: 1, ruleCount: 2, gitCommit: null, gitDirty: null });
    expect(json.workingCopy).toMatchObject({ sameAsApplied: true, hash: json.applied.hash });
    expect(history()).toEqual([expect.objectContaining({ version: 1, hash: json.applied.hash, current: true })]);
  });

  it('a changed rule in a copy of the rules: status names it as changed, an added rule as added, exit 0', () => {
    cpSync(join(dev.dir, 'rules'), join(dev.dir, 'copy'), { recursive: true });
    const file = join(dev.dir, 'copy', 'plan.rules');
    writeFileSync(file, readFileSync(file, 'utf8').replace('up to 100% pay 8%', 'up to 100% pay 9%'));
    writeAt(dev.dir, 'copy/extra.rules', 'sequence "Gamma hello" {\n  on lead.created\n  send "welcome" to lead\n}\n');
    const r = dev.cli(['status', 'copy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}~ incentive "Plan pay" {2}\(changed: applied [0-9a-f]{12}, working copy [0-9a-f]{12}\)$/m);
    expect(r.stdout).toMatch(/^ {2}\+ sequence "Gamma hello" {2}\(added\)$/m);
    expect(r.stdout).not.toContain('Alpha welcome');
    expect(r.stdout).toContain('1 rule(s) unchanged');
    const json = JSON.parse(dev.cli(['status', '--format', 'json', 'copy']).stdout);
    expect(json.workingCopy.sameAsApplied).toBe(false);
    expect(json.workingCopy.difference.changed.map((c: { name: string }) => c.name)).toEqual(['Plan pay']);
    expect(json.workingCopy.difference.added.map((c: { name: string }) => c.name)).toEqual(['Gamma hello']);
    expect(json.workingCopy.difference.removed).toEqual([]);
    const plan = dev.cli(['plan', 'copy']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/Plan [0-9a-f]{12} differs from the applied plan \(the applied plan is [0-9a-f]{12}, version 1\); apply records it as version 2/);
    // What a reviewer reads in the pull request: which field of which rule changed, and the new
    // sequence (on an event, so no schedule line names it).
    expect(plan.stdout).toMatch(/^ {2}~ incentive "Plan pay"\n {6}commission\.bands\[1\]\.rate: 8 → 9$/m);
    expect(plan.stdout).toMatch(/^ {2}\+ sequence "Gamma hello" \(new\)$/m);
    expect(history()).toHaveLength(1);
  });

  it('apply records a new version with its git commit and dirty flag; the same plan again records nothing; history lists newest first', () => {
    git(['init', '-q']);
    git(['add', 'rules', 'copy']);
    git(['commit', '-q', '-m', 'rules']);
    const head = git(['rev-parse', 'HEAD']);

    const applied = dev.cli(['apply', 'copy']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(dev.cli(['plan', 'copy']).stdout).toMatch(/Plan [0-9a-f]{12} is the applied plan \(version 2\)/);
    expect(applied.stdout).toMatch(/Applied plan recorded in .*: version 2, plan [0-9a-f]{12}, 3 rule\(s\), git [0-9a-f]{12}, applied/);

    // An uncommitted change under the applied paths: recorded as dirty.
    writeAt(dev.dir, 'copy/extra.rules', 'sequence "Gamma hello" {\n  on lead.created where lead.source = "webinar"\n  send "welcome" to lead\n}\n');
    const dirty = dev.cli(['apply', 'copy']);
    expect(dirty.code, dirty.stderr).toBe(0);
    expect(dirty.stdout).toMatch(/version 3, .*with uncommitted changes/);
    const again = dev.cli(['apply', 'copy']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/is already the applied plan \(version 3,.*\); nothing recorded/);

    const rows = history();
    expect(rows.map((r) => [r.version, r.gitCommit, r.gitDirty, r.ruleCount, r.current])).toEqual([
      [3, head, true, 3, true],
      [2, head, false, 3, false],
      [1, null, null, 2, false],
    ]);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(3);
    const text = dev.cli(['history']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+APPLIED AT\s+PLAN\s+GIT\s+RULES/);
    expect(lines[1]).toMatch(new RegExp(`^3\\s+\\S+\\s+${rows[0].hash.slice(0, 12)}\\s+${head.slice(0, 12)} dirty\\s+3\\s+\\(applied\\)$`));
    // Under each version, what it changed from the one before; the first adds everything.
    expect(lines[2]).toBe('         ~ "Gamma hello"');
    expect(lines[3]).toMatch(new RegExp(`^2\\s+\\S+\\s+${rows[1].hash.slice(0, 12)}\\s+${head.slice(0, 12)}\\s+3$`));
    expect(lines[4]).toBe('         + "Gamma hello"; ~ "Plan pay"');
    expect(lines[5]).toMatch(new RegExp(`^1\\s+\\S+\\s+${rows[2].hash.slice(0, 12)}\\s+-\\s+2$`));
    expect(lines[6]).toBe('         + "Alpha welcome"; + "Plan pay"');
    expect(rows.map((r) => [r.changes.rules.added.map((c) => c.name), r.changes.rules.changed.map((c) => c.name), r.changes.rules.removed])).toEqual([
      [[], ['Gamma hello'], []],
      [['Gamma hello'], ['Plan pay'], []],
      [['Alpha welcome', 'Plan pay'], [], []],
    ]);

    // The working copy's rules/ is now behind the applied plan: status says what differs.
    const status = dev.cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Applied plan: version 3, .*with uncommitted changes/);
    expect(status.stdout).toMatch(/^ {2}~ incentive "Plan pay"/m);
    expect(status.stdout).toMatch(/^ {2}- sequence "Gamma hello" {2}\(removed\)$/m);
  });
});

describe('every process runs the applied plan', () => {
  it('events send from another folder routes by the applied plan, not by ./rules, and the run records the plan hash', async () => {
    const applied = history()[0];
    writeFileSync(join(elsewhere, 'e1.json'), lead('ev-1', 'L-1', 'webinar'));
    const r = cliIn(elsewhere, ['events', 'send', 'e1.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/NOT running the applied plan/);
    expect(r.stdout).toContain('seq:alpha-welcome:lead:L-1');
    expect(r.stdout).toContain('seq:gamma-hello:lead:L-1');
    expect(r.stdout).not.toContain('beta-elsewhere');
    const described = await temporal.workflow.getHandle('seq:alpha-welcome:lead:L-1').describe();
    expect(described.memo?.planHash).toBe(applied.hash);
  });

  it('rule paths on the command line are a trial: it says it is not running the applied plan, and which hash it runs', async () => {
    const applied = history()[0];
    writeFileSync(join(elsewhere, 'e2.json'), lead('ev-2', 'L-2'));
    const r = cliIn(elsewhere, ['events', 'send', 'e2.json', 'rules']);
    expect(r.code, r.stderr).toBe(0);
    const notice = /NOT running the applied plan: running plan ([0-9a-f]{12}) from rules \(the applied plan is ([0-9a-f]{12}), version 3\)/.exec(r.stderr);
    expect(notice, r.stderr).not.toBeNull();
    expect(notice![2]).toBe(applied.hash.slice(0, 12));
    expect(notice![1]).not.toBe(notice![2]);
    expect(r.stdout).toContain('seq:beta-elsewhere:lead:L-2');
    expect(r.stdout).not.toContain('alpha-welcome');
    const memo = (await temporal.workflow.getHandle('seq:beta-elsewhere:lead:L-2').describe()).memo;
    expect(String(memo?.planHash).slice(0, 12)).toBe(notice![1]);
  });

  it('the running server picked up the newer apply without a restart', async () => {
    const r = await dev.postEvent(JSON.parse(lead('ev-3', 'L-3', 'webinar')));
    expect(r.status, r.text).toBe(202);
    expect(r.text).toContain('seq:gamma-hello:lead:L-3');
    expect(r.text).toContain('seq:alpha-welcome:lead:L-3');
  });

  it('payouts run from another folder pays by the applied plan; statement and ledger row carry its hash', async () => {
    const applied = history()[0];
    const r = cliIn(elsewhere, ['payouts', 'run', '--period', q.label]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`payout:plan-pay:r-ann:${q.label}`);
    type Row = { plan_hash: string | null; total?: string; amount?: string };
    // Of this period: dev applied the rule's period-end schedule, and a quarter ending while the
    // test runs records a (zero) statement of that quarter too.
    const ledger = await dev.until('the ledger row', () => query<Row>(`SELECT plan_hash, amount FROM ledger WHERE rep = 'r-ann' AND period = ?`, q.label)[0], 60_000);
    // 9% of 50,000: the applied rule, not the 8% of ./rules in the dev folder.
    expect(ledger).toEqual({ plan_hash: applied.hash, amount: '4500.00' });
    expect(query<Row>(`SELECT plan_hash, total FROM statements WHERE rep = 'r-ann' AND period = ?`, q.label)).toEqual([{ plan_hash: applied.hash, total: '4500.00' }]);
    const csv = dev.cli(['payouts', 'export', '--period', q.label]);
    expect(csv.stdout.split(/\r?\n/)[0]).toMatch(/,plan_hash$/);
    expect(csv.stdout).toContain(applied.hash);
  });

  it('with no applied plan, events send says to run salesflow apply', () => {
    writeFileSync(join(elsewhere, 'e4.json'), lead('ev-4', 'L-4'));
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: join(elsewhere, 'empty.db'), TEMPORAL_ADDRESS: dev.temporalAddress };
    const r = spawnSync(process.execPath, [bin, 'events', 'send', 'e4.json'], { cwd: elsewhere, env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no plan has been applied to the data source .*empty\.db yet: run "salesflow apply/);
  });
});
