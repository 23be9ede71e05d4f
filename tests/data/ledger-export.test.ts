// `payouts export` while approvals land: another process approving a payout in the middle of an
// export must leave it either in the file or in the "still await approval" note, never in neither.
import { describe, expect, it } from 'vitest';
import { openDatabase, transaction } from '../../src/data/db.js';
import { periodExport, recordPayout } from '../../src/data/ledger.js';
import { decideStatement, recordStatement } from '../../src/data/statements.js';
import type { Statement } from '../../src/payouts/statement.js';
import { forEachDialect } from '../support/dialects.js';

forEachDialect('payouts export read while another process approves', ({ fresh }) => {
  describe('one snapshot', () => {
    it('a payout approved between the ledger read and the pending read is named as pending (the next export has it)', async () => {
      const url = await fresh();
      // Two handles on one data source, as the worker's and payroll's processes have.
      const worker = await openDatabase(url);
      const payroll = await openDatabase(url, { readonly: true });
      try {
        const workflowId = 'payout:ae:r-1:2026-Q1';
        const statement = { ruleId: 'ae', rule: 'AE', ruleVersion: 'v1', rep: 'r-1', period: '2026-Q1', currency: 'USD', total: '1234.56', rewards: [] } as unknown as Statement;
        await recordStatement(worker, workflowId, statement, 'pending');
        // What the payout activity does when the manager approves: ledger row and decision together.
        const approve = () => transaction(worker, async (tx) => {
          await recordPayout(tx, {
            ruleId: 'ae', ruleName: 'AE', ruleVersion: 'v1', rep: 'r-1', period: '2026-Q1', currency: 'USD', amount: '1234.56',
            approvedBy: 'boss@acme.example', approvedAt: '2026-04-03T09:00:00.000Z', workflowId,
          });
          await decideStatement(tx, workflowId, { status: 'approved', by: 'boss@acme.example' });
        });
        const during = await periodExport(payroll, '2026-Q1', approve);
        expect(during.entries).toEqual([]);
        expect(during.pending.map((p) => p.rep)).toEqual(['r-1']);

        const next = await periodExport(payroll, '2026-Q1');
        expect(next.entries.map((e) => [e.rep, e.amount])).toEqual([['r-1', '1234.56']]);
        expect(next.pending).toEqual([]);
      } finally {
        await payroll.close();
        await worker.close();
      }
    });
  });
});
