// `salesflow crm deleted [--source NAME] [--limit N] [--format text|json]`: the deals their CRM
// deleted or merged into another (src/data/crm-deletions.ts), newest first: which deal, how (and
// into which deal), who and when as the CRM said, from which of its events, and the deal as
// salesflow held it (--format json). They no longer count in anything computed from the deals.
import { parseArgs } from 'node:util';
import { type CrmDeletion, listCrmDeletions } from '../../data/crm-deletions.js';
import { dataSourceName } from '../../runtime/applied-plan.js';
import { fail, loadConfigChecked, openData } from '../../runtime/session.js';

export const DELETED_USAGE = '       salesflow crm deleted [--source NAME] [--limit N] [--format text|json]\n';

export async function deleted(args: string[]): Promise<number> {
  let values: { source?: string; limit?: string; format?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args, allowPositionals: false,
      options: { source: { type: 'string', short: 's' }, limit: { type: 'string', short: 'n' }, format: { type: 'string', short: 'f' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return fail(`crm deleted: ${(err as Error).message}\nusage: salesflow crm deleted [--source NAME] [--limit N] [--format text|json]`);
  }
  if (values.help) { process.stdout.write(`usage: salesflow crm deleted [--source NAME] [--limit N] [--format text|json]\n`); return 0; }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') return fail(`crm deleted: --format must be text or json, not "${format}"`);
  const limit = values.limit === undefined ? 1000 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) return fail(`crm deleted: --limit needs a positive whole number, got "${values.limit}"`);
  const config = loadConfigChecked();
  if (!config.ok) return fail(config.message);
  const db = await openData(config.value);
  if (!db.ok) return fail(db.message);
  let found: CrmDeletion[];
  try {
    found = await listCrmDeletions(db.value, { source: values.source, limit });
  } finally {
    await db.value.close();
  }
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    return 0;
  }
  const of = values.source ? ` from ${values.source}` : '';
  if (found.length === 0) {
    process.stdout.write(`No deals deleted or merged in their CRM${of} in ${dataSourceName(config.value)}.\n`);
    return 0;
  }
  const table = [['DELETED AT', 'SOURCE', 'EVENT', 'DEAL', 'HOW', 'BY', 'WAS'],
    ...found.map((d) => [
      d.deletedAt, d.source, d.vendorEventId, d.recordId, d.change === 'merge' ? `merged into ${d.mergedInto ?? '?'}` : 'deleted', d.actor ?? '-',
      d.held ? `${d.held.stage} ${d.held.amount} ${d.held.currency}, rep ${d.held.rep}${d.held.closed_at ? `, closed ${d.held.closed_at}` : ''}` : '(not held)',
    ])];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ');
  process.stdout.write([
    `${found.length === limit ? `The newest ${limit}` : found.length} deal(s) deleted or merged in their CRM${of}, newest first:`,
    ...table.map(line),
    '',
    'They are out of the deals: statements, goals and simulate computed from now on leave them out.',
    'Statements recorded before (and the ledger) are unchanged: reject one awaiting approval and run',
    'it again (payouts run --rerun-rejected) to compute it without them. A deal restored in the CRM',
    'comes back with its next change. --format json shows each deal as salesflow held it.',
  ].join('\n') + '\n');
  return 0;
}
