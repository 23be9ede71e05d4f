// `salesflow crm rejected [--source NAME] [--limit N] [--format text|json]`: the CRM changes webhooks
// could not translate (unknown stage, owner no rep carries, won deal without an amount, ...). Their
// requests' other changes were taken and the CRM was told success, so this list is where such a
// change is found again: what was wrong, with which record, and the change as the CRM sent it.
// `salesflow crm retry [--source NAME]` runs them again through the applied plan's mappings once
// the cause is fixed (src/runtime/crm-retry.ts) and removes those it takes. `salesflow crm deleted`
// lists the deals their CRM deleted or merged away (crm-deleted.ts).
import { parseArgs } from 'node:util';
import { deleted, DELETED_USAGE } from './crm-deleted.js';
import { type CrmRejection, listCrmRejections } from '../../data/crm-rejections.js';
import { dataSourceName } from '../../runtime/applied-plan.js';
import { openWithPlan } from '../../runtime/applied-plan.js';
import { retryCrmRejections, type SourceRetry } from '../../runtime/crm-retry.js';
import { fail, loadConfigChecked, openData } from '../../runtime/session.js';

const USAGE = 'usage: salesflow crm rejected [--source NAME] [--limit N] [--format text|json]\n' +
  '       salesflow crm retry [--source NAME]   (routed by the applied plan; DATABASE_URL and Temporal from the environment)\n' +
  DELETED_USAGE;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help') { process.stdout.write(USAGE); return 0; }
  if (sub === 'retry') return retry(rest);
  if (sub === 'deleted') return deleted(rest);
  if (sub !== 'rejected') return fail(`crm: ${sub ? `unknown subcommand "${sub}": expected rejected, retry or deleted` : 'missing subcommand: rejected, retry or deleted'}\n${USAGE}`);
  let values: { source?: string; limit?: string; format?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest, allowPositionals: false,
      options: { source: { type: 'string', short: 's' }, limit: { type: 'string', short: 'n' }, format: { type: 'string', short: 'f' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return fail(`crm rejected: ${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') return fail(`crm rejected: --format must be text or json, not "${format}"`);
  const limit = values.limit === undefined ? 1000 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) return fail(`crm rejected: --limit needs a positive whole number, got "${values.limit}"`);
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const db = await openData(config.value);
  if (!db.ok) return fail(db.message);
  let rejections: CrmRejection[];
  try {
    rejections = await listCrmRejections(db.value, { source: values.source, limit });
  } finally {
    await db.value.close();
  }
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(rejections, null, 2)}\n`);
    return 0;
  }
  const of = values.source ? ` from ${values.source}` : '';
  if (rejections.length === 0) {
    process.stdout.write(`No rejected CRM changes${of} in ${dataSourceName(config.value)}.\n`);
    return 0;
  }
  const table = [['REJECTED AT', 'SOURCE', 'CHANGE', 'RECORD', 'PROBLEM'],
    ...rejections.map((r) => [r.rejectedAt, r.source, r.vendorEventId, `${r.entity} ${r.recordId}`, r.message])];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  // The problem is last and not padded: it is long and says where to fix it.
  const line = (row: string[]) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ');
  process.stdout.write([
    `${rejections.length === limit ? `The newest ${limit}` : rejections.length} rejected CRM change(s)${of}, newest first:`,
    ...table.map(line),
    '',
    'Each was left out of its webhook request, whose other changes were taken. Fix what the problem names',
    '(the mapping in rules/crm/, then salesflow apply; the reps imported), then "salesflow crm retry" takes',
    'them through the applied plan (a bad value in the record itself is fixed in the CRM, which sends it',
    'anew). Once taken, a change leaves this list. --format json shows each change as the CRM sent it.',
  ].join('\n') + '\n');
  return 0;
}

async function retry(args: string[]): Promise<number> {
  let values: { source?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, allowPositionals: false, options: { source: { type: 'string', short: 's' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    return fail(`crm retry: ${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  // The applied plan only: a retried change is taken as the webhook would take it now.
  const opened = await openWithPlan(config.value, []);
  if (!opened.ok) return fail(opened.message);
  const { db, temporal, plan } = opened.value;
  let retried: SourceRetry[];
  try {
    retried = await retryCrmRejections({ db, client: temporal.client, plan: plan.plan, config: config.value }, values.source);
  } finally {
    await temporal.close();
    await db.close();
  }
  if (retried.length === 0) {
    process.stdout.write(`No rejected CRM changes${values.source ? ` from ${values.source}` : ''} to retry.\n`);
    return 0;
  }
  const lines: string[] = [];
  for (const r of retried) {
    if (r.notTried) { lines.push(`${r.source}: not tried: ${r.notTried}; its ${r.remaining} rejected change(s) are left as they are`); continue; }
    lines.push(`${r.source}: ${r.cleared + r.remaining} rejected change(s) tried: ${r.cleared} taken or no longer needed, ${r.remaining} still rejected`);
    for (const result of r.results) lines.push(`  ${result.event}  ${result.status}${result.type ? ` ${result.type}` : ''}${result.detail ? `: ${result.detail}` : ''}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return retried.some((r) => r.notTried) ? 1 : 0;
}
