// What `salesflow dev` prints once it is up: where everything is and how to try it, with a sample
// event written to var/dev-event.json for `salesflow events send`.
import fs from 'node:fs';
import path from 'node:path';
import type { Plan } from '../plan/schema.js';
import { localTime } from '../workflows/calendar.js';
import type { RunningDev } from './dev.js';
import { redact } from '../data/source.js';

export function devInstructions(dev: RunningDev, plan: Plan, varDir: string): string {
  const lines: string[] = ['', 'salesflow dev is running.', ''];
  if (dev.httpUrl) {
    lines.push(`  HTTP          ${dev.httpUrl}`, `  Outbox        ${dev.httpUrl}/outbox`);
  }
  lines.push(`  Temporal      ${dev.temporalAddress}  (namespace ${dev.config.temporal.namespace})`);
  if (dev.temporalUiUrl) lines.push(`  Temporal UI   ${dev.temporalUiUrl}`);
  lines.push(`  Mail          ${dev.smtpUrl.replace(/\?.*$/, '')}`);
  lines.push(`  Data source   ${redact(dev.config.databasePath)}`);
  lines.push(`  Rules         ${plan.rules.length} rule(s): ${plan.rules.map((r) => `${r.kind} "${r.name}"`).join(', ') || 'none'}`);
  lines.push('', `  SALESFLOW_SECRET=${dev.secret}   (dev only; kept in var/dev-secret)`);

  const trigger = plan.rules.find((r) => r.kind === 'sequence' && r.trigger.kind === 'event');
  const type = trigger?.kind === 'sequence' && trigger.trigger.kind === 'event' ? trigger.trigger.event : 'lead.created';
  const body = JSON.stringify(sampleEvent(type));
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
    '', 'Then watch the run in the Temporal UI and the email in the outbox. Ctrl-C stops everything.', '',
  );
  return lines.join('\n');
}

/** Zones to pick the sample lead's from: one where it is office hours now, so quiet hours hold nothing back. */
const SAMPLE_ZONES = ['Europe/London', 'America/New_York', 'America/Los_Angeles', 'Pacific/Auckland', 'Asia/Tokyo', 'Asia/Kolkata'];

function daytimeZone(now: number): string {
  return SAMPLE_ZONES.find((zone) => {
    const local = localTime(now, zone);
    return local.weekday <= 5 && local.hour >= 9 && local.hour < 17;
  }) ?? 'Europe/London';
}

/** A demo event that matches the first event-triggered sequence as far as its type goes. */
function sampleEvent(type: string): Record<string, unknown> {
  const id = `evt-${Date.now()}`;
  const occurred_at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (type.startsWith('deal.')) {
    return {
      id, type, occurred_at,
      deal: { id: 'D-2032', rep: 'r-noah', name: 'Northwind Analytics renewal', amount: '48250.00', currency: 'USD',
        stage: type === 'deal.won' ? 'won' : 'open', product: 'Analytics', type: 'renewal',
        closed_at: type === 'deal.won' ? occurred_at.slice(0, 10) : null, contact: 'priya.nair@northwind.example' },
    };
  }
  return {
    id, type, occurred_at,
    lead: { id: 'L-2001', name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines',
      source: 'webinar', stage: 'new', owner: 'r-jonas', timezone: daytimeZone(Date.now()), score: 64 },
  };
}
