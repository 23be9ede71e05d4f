// The dev outbox lists the emails running sequences hold back, with when they go out and why:
// a real Temporal dev server (visibility lists the runs), the real worker answering the heldSend
// query, and the HTTP server. The lead's zone is chosen from the real clock so that it is night
// there now, whatever day and hour the test runs: the hold is certain.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { upsertLead } from '../../src/data/leads.js';
import { upsertRep } from '../../src/data/reps.js';
import { workflowIds, type SequenceInput } from '../../src/workflows/api.js';
import { fromLocal, localTime } from '../../src/workflows/calendar.js';
import { startHarness as startRuntime, type Harness as Runtime } from '../runtime/support/harness.js';
import { sequenceRule, step, template, to } from '../workflows/support/rules.js';
import { type Harness, startHarness } from './harness.js';

let runtime: Runtime;
let http: Harness;

beforeAll(async () => {
  runtime = await startRuntime('held-emails');
  // One data source for the worker and the pages, as in `salesflow dev`.
  http = await startHarness({ temporalClient: runtime.client, dev: { outbox: true }, env: { DATABASE_URL: runtime.config.databasePath } });
}, 120_000);
afterAll(async () => {
  await http?.close();
  await runtime?.close();
});

/** A fixed-offset zone where it is 01:xx now: quiet hours 20:00 to 08:00 hold a send for over six hours. */
function zoneAtOneAm(now: number): string {
  const offset = ((1 - new Date(now).getUTCHours() + 36) % 24) - 12; // -12..+11
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

function lead(id: string, timezone: string, owner: string | null = null) {
  return {
    id, name: id, email: `${id.toLowerCase()}@prospect.example`, company: null, source: 'webinar', stage: 'new', owner, timezone, score: null,
  };
}

async function startSequence(input: SequenceInput, workflowId: string): Promise<void> {
  await runtime.client.workflow.start('sequenceWorkflow', { taskQueue: runtime.config.temporal.taskQueue, workflowId, args: [input] });
}

async function outboxUntil(contains: string[], timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await (await fetch(`${http.url}/outbox`)).text();
    if (contains.every((c) => page.includes(c))) return page;
    if (Date.now() > deadline) throw new Error(`the outbox never showed ${contains.join(', ')}:\n${page}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a send held by quiet hours and a send after a wait are listed with template, recipient, release time and reason', async () => {
  const now = Date.now();
  const zone = zoneAtOneAm(now);
  expect(localTime(now, zone).hour).toBe(1);
  const night = lead('L-NIGHT', zone);
  await upsertLead(runtime.db, night);
  const quietRule = sequenceRule({
    id: 'night-thanks', templates: [template('night-thanks', 'Thanks', 'Thanks, {{lead.name}}')],
    quietHours: { from: '20:00', to: '08:00', weekends: false }, steps: [step.send('night-thanks')],
  });
  await startSequence({ rule: quietRule, subject: { kind: 'lead', lead: night } }, workflowIds.sequence(quietRule.id, 'lead', night.id));
  const release = new Date(fromLocal(localTime(now, zone).day, 8, 0, zone)).toISOString();

  const later = lead('L-LATER', 'UTC');
  await upsertLead(runtime.db, later);
  const waitRule = sequenceRule({
    id: 'case-study-later', templates: [template('case-study', 'A case study', 'Read this')],
    steps: [step.wait(2, 'days'), step.send('case-study')],
  });
  await startSequence({ rule: waitRule, subject: { kind: 'lead', lead: later } }, workflowIds.sequence(waitRule.id, 'lead', later.id));

  const page = await outboxUntil(['night-thanks', 'case-study']);
  const rows = [...page.matchAll(/<tr class="held">([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
  const nightRow = rows.find((r) => r.includes('night-thanks'))!;
  expect(nightRow).toContain('l-night@prospect.example');
  expect(nightRow).toContain(`<time datetime="${release}">${release.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`);
  expect(nightRow).toContain('<td>quiet hours</td>');
  const laterRow = rows.find((r) => r.includes('case-study'))!;
  expect(laterRow).toContain('l-later@prospect.example');
  expect(laterRow).toContain('<td>wait 2 days</td>');
  const at = Date.parse(/datetime="([^"]+)"/.exec(laterRow)![1]);
  // Two days after the run started, which was after `now` and well within a minute of it.
  expect(at - now).toBeGreaterThanOrEqual(2 * 86_400_000);
  expect(at - now).toBeLessThan(2 * 86_400_000 + 60_000);
  expect(page).toContain('Held (2)');
  // Nothing was sent to either.
  expect(await runtime.caught(night.email)).toEqual([]);
  expect(await runtime.caught(later.email)).toEqual([]);
}, 60_000);

test('a held send to lead.owner lists the owner\'s address, as the sent list will, and is found by it; an owner not in the data source says so', async () => {
  await upsertRep(runtime.db, {
    id: 'r-olga', name: 'Olga Owner', email: 'olga@acme.example', team: null, role: 'AE', region: null, manager: null, timezone: 'UTC', start_date: null,
  });
  const owned = lead('L-OWNED', 'UTC', 'r-olga');
  const orphan = lead('L-ORPHAN', 'UTC', 'r-gone');
  await upsertLead(runtime.db, owned);
  await upsertLead(runtime.db, orphan);
  const hotRule = sequenceRule({
    id: 'hot-lead-later', templates: [template('hot-lead', 'Hot lead {{lead.name}}', 'Call {{lead.name}}')],
    steps: [step.wait(3, 'days'), step.send('hot-lead', to.leadOwner)],
  });
  for (const subject of [owned, orphan]) {
    await startSequence({ rule: hotRule, subject: { kind: 'lead', lead: subject } }, workflowIds.sequence(hotRule.id, 'lead', subject.id));
  }
  const page = await outboxUntil(['seq:hot-lead-later:lead:L-OWNED', 'seq:hot-lead-later:lead:L-ORPHAN']);
  const rows = [...page.matchAll(/<tr class="held">([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
  const ownedRow = rows.find((r) => r.includes('lead:L-OWNED'))!;
  // The address the email will go to, with how the rule names it beside it.
  expect(ownedRow).toMatch(/<td>olga@acme\.example <span class="muted">\(lead\.owner\)<\/span><\/td>/);
  const orphanRow = rows.find((r) => r.includes('lead:L-ORPHAN'))!;
  expect(orphanRow).toContain('lead.owner <span class="muted">(lead.owner names rep &quot;r-gone&quot;, who is not in the data source)</span>');
  // Filtering by the owner's address finds the held email, as it finds the sent ones.
  const filtered = await (await fetch(`${http.url}/outbox?to=${encodeURIComponent('olga@acme.example')}`)).text();
  const filteredRows = [...filtered.matchAll(/<tr class="held">([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
  expect(filteredRows).toHaveLength(1);
  expect(filteredRows[0]).toContain('lead:L-OWNED');
}, 60_000);
