// `salesflow crm rejected [--source NAME] [--limit N] [--format text|json]`: the CRM changes webhooks
// could not translate (unknown stage, owner no rep carries, won deal without an amount, ...). Their
// requests' other changes were taken and the CRM was told success, so this list is where such a
// change is found again: what was wrong, with which record, and the change as the CRM sent it.
import { parseArgs } from 'node:util';
import { type CrmRejection, listCrmRejections } from '../../data/crm-rejections.js';
import { dataSourceName } from '../../runtime/applied-plan.js';
import { fail, loadConfigChecked, openData } from '../../runtime/session.js';

const USAGE = 'usage: salesflow crm rejected [--source NAME] [--limit N] [--format text|json]   (DATABASE_URL from the environment)\n';

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help') { process.stdout.write(USAGE); return 0; }
  if (sub !== 'rejected') return fail(`crm: ${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'}\n${USAGE}`);
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
    '(the mapping in rules/crm/, then salesflow apply; the reps imported; the record in the CRM), then have',
    'the CRM send the record again (edit it there, or import its export): a rejected change is not taken',
    'by itself. Once taken, it leaves this list. --format json shows each change as the CRM sent it.',
  ].join('\n') + '\n');
  return 0;
}
