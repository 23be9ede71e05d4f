// The deals of one CRM import that had no amount (deal.missing_amount, docs/crm.md), tallied as
// the rows stream by: how many were stored with amount 0, per stage, and which lines were left
// out, said once when the import ends; and which deals' stand-ins to record or clear.
import type { CrmMapping, DealStage } from './mapping/types.js';
import { type AmountSource, type EntityRow, isZeroAmount, mappingFile } from './translate.js';

/** Lines listed in the warning about deals left out; the count covers them all. */
const LINES_SHOWN = 10;

export class MissingAmounts {
  private readonly zero = new Map<DealStage, number>();
  private readonly skipped = new Map<DealStage, number>();
  private readonly skippedLines: number[] = [];
  private standIns: string[] = [];
  /** Deals the CRM gives an amount of 0: their stored 0 is no stand-in any more. */
  readonly givenZero: string[] = [];

  /** `column`: the export's amount column, as the warnings name it. */
  constructor(private readonly mapping: CrmMapping, private readonly column: string) {}

  note(deal: EntityRow, amount: AmountSource): void {
    if (amount === 'zero') {
      const stage = deal.stage as DealStage;
      this.zero.set(stage, (this.zero.get(stage) ?? 0) + 1);
      this.standIns.push(String(deal.id));
    } else if (amount === 'given' && isZeroAmount(String(deal.amount))) this.givenZero.push(String(deal.id));
  }

  skip(line: number, stage: DealStage): void {
    this.skipped.set(stage, (this.skipped.get(stage) ?? 0) + 1);
    if (this.skippedLines.length < LINES_SHOWN) this.skippedLines.push(line);
  }

  /** The deals stored with a stand-in since the last call (one batch's). */
  takeStandIns(): string[] {
    const taken = this.standIns;
    this.standIns = [];
    return taken;
  }

  warnings(): string[] {
    const out: string[] = [];
    const where = `deal.missing_amount in ${mappingFile(this.mapping)}`;
    const zero = sum(this.zero);
    if (zero > 0) {
      out.push(`${deals(zero)} no ${this.column}: stored with amount 0 until the CRM gives one (${byStage(this.zero)}; ${where})`);
    }
    const skipped = sum(this.skipped);
    if (skipped > 0) {
      const more = skipped > this.skippedLines.length ? ', ...' : '';
      out.push(`${deals(skipped)} no ${this.column} and ${skipped === 1 ? 'was' : 'were'} left out, line${skipped === 1 ? '' : 's'} ${this.skippedLines.join(', ')}${more} (${byStage(this.skipped)}; ${where})`);
    }
    return out;
  }
}

const sum = (counts: Map<DealStage, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
const deals = (n: number) => (n === 1 ? '1 deal has' : `${n} deals have`);
const byStage = (counts: Map<DealStage, number>) => (['open', 'won', 'lost'] as const)
  .filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`).join(', ');
