// What `salesflow dev` prints once it is up: where everything is and how to try it, with a sample
// event written to var/dev-event.json for `salesflow events send`.
import fs from 'node:fs';
import path from 'node:path';
import type { Plan, SequenceRule } from '../plan/schema.js';
import { localDate, localTime, nextAllowed } from '../workflows/calendar.js';
import type { RunningDev } from './dev.js';
import { chooseSampleZone } from './sample-zone.js';
import { redact } from '../data/source.js';

/** `now` is the clock the sample lead's zone is chosen by (epoch ms); tests pass their own. */
export function devInstructions(dev: RunningDev, plan: Plan, varDir: string, now: number = Date.now()): string {
  const lines: string[] = ['', 'salesflow dev is running.', ''];
  if (dev.httpUrl) {
    lines.push(`  HTTP          ${dev.httpUrl}`, `  Outbox        ${dev.httpUrl}/outbox`);
  }
  lines.push(`  Temporal      ${dev.temporalAddress}  (namespace ${dev.config.temporal.namespace})`);
  if (dev.temporalUiUrl) lines.push(`  Temporal UI   ${dev.temporalUiUrl}`);
  // SMTP_URL may be a real relay's (smtp://user:password@…): its password stays out of the terminal.
  lines.push(`  Mail          ${redact(dev.smtpUrl.replace(/\?.*$/, ''))}`);
  lines.push(`  Data source   ${redact(dev.config.databasePath)}`);
  lines.push(`  Rules         ${plan.rules.length} rule(s): ${plan.rules.map((r) => `${r.kind} "${r.name}"`).join(', ') || 'none'}`);
  lines.push(`  Applied plan  version ${dev.applied.version}, ${dev.applied.hash.slice(0, 12)} (salesflow status / history show it)`);
  lines.push('', `  SALESFLOW_SECRET=${dev.secret}   (dev only; kept in var/dev-secret)`);

  const trigger = plan.rules.find((r): r is SequenceRule => r.kind === 'sequence' && r.trigger.kind === 'event');
  const type = trigger?.trigger.kind === 'event' ? trigger.trigger.event : 'lead.created';
  const sample = chooseSampleZone(now, trigger?.quietHours ?? null);
  const body = JSON.stringify(sampleEvent(type, sample.zone, now));
  const eventFile = path.join(varDir, 'dev-event.json');
  fs.writeFileSync(eventFile, `${JSON.stringify(JSON.parse(body), null, 2)}\n`);
  if (dev.httpUrl) {
    lines.push(
      '', 'Try it: send a signed event',
      `  SECRET=${dev.secret}`,
      `  BODY='${body}'`,
      `  curl -s -X POST ${dev.httpUrl}/events -H 'Content-Type: application/json' \\`,
      `    -H "X-Salesflow-Signature: sha256=$(printf %s "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')" \\`,
      `    --data "$BODY"`,
    );
  }
  lines.push(
    '', 'or from a file, without HTTP:',
    `  TEMPORAL_ADDRESS=${dev.temporalAddress} DATABASE_URL=${dev.config.databasePath} npx salesflow events send ${path.relative(process.cwd(), eventFile) || eventFile}`,
    '  (send the same file twice: the second time it is acknowledged as a duplicate and changes nothing)',
  );
  if (trigger?.quietHours) {
    // A deal's contact has no zone of its own in the sample: its emails keep the rule's zone.
    const zone = type.startsWith('deal.') ? trigger.timezone : sample.zone;
    const heldUntil = type.startsWith('deal.') ? nextAllowed(now, trigger.quietHours, zone) : sample.heldUntil;
    if (heldUntil !== null && heldUntil > now) lines.push('', ...heldNote(trigger, zone, heldUntil));
  }
  lines.push(
    '', 'Then watch the run in the Temporal UI and the email in the outbox. The outbox also lists emails',
    'that are held (quiet hours, a wait) with when they will go out and why. Ctrl-C stops everything.', '',
  );
  return lines.join('\n');
}

/** Said when no sample zone is outside the sequence's quiet hours now: the first email waits, and until when. */
function heldNote(rule: SequenceRule, zone: string, heldUntil: number): string[] {
  const q = rule.quietHours!;
  const local = localTime(heldUntil, zone);
  const hhmm = `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
  const utc = new Date(heldUntil).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  return [
    `Note: "${rule.name}" keeps quiet hours ${q.from} to ${q.to}${q.weekends ? ' and weekends' : ''} in the recipient's time zone,`,
    '  and it is quiet hours now for the sample event. Its first email will be held until',
    `  ${localDate(heldUntil, zone)} ${hhmm} in ${zone} (${utc}); the outbox lists it as held until then.`,
  ];
}

/** A demo event that matches the first event-triggered sequence as far as its type goes. */
function sampleEvent(type: string, leadZone: string, now: number): Record<string, unknown> {
  const id = `evt-${now}`;
  const occurred_at = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  if (type.startsWith('deal.')) {
    // POST /events refuses a deal.won or deal.lost whose deal has another stage.
    const stage = type === 'deal.won' ? 'won' : type === 'deal.lost' ? 'lost' : 'open';
    return {
      id, type, occurred_at,
      deal: { id: 'D-2032', rep: 'r-noah', name: 'Northwind Analytics renewal', amount: '48250.00', currency: 'USD',
        stage, product: 'Analytics', type: 'renewal',
        closed_at: stage === 'open' ? null : occurred_at.slice(0, 10), contact: 'priya.nair@northwind.example' },
    };
  }
  return {
    id, type, occurred_at,
    lead: { id: 'L-2001', name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines',
      source: 'webinar', stage: 'new', owner: 'r-jonas', timezone: leadZone, score: 64 },
  };
}
