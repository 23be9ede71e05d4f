// How statements are shown: the SPEC §8 JSON shape for scripts, an aligned table for people.
import { displayMoney, Decimal } from '../money/index.js';
import type { Statement } from './statement.js';

/** Exactly the `simulate --format json` item of SPEC §8. */
export interface StatementJson {
  rule: string;
  rep: string;
  period: string;
  currency: string;
  measure: string | null;
  target: string;
  attainment: string | null;
  lines: { kind: string; description: string; amount: string }[];
  capped: boolean;
  total: string;
  rewards: string[];
}

export function statementJson(s: Statement): StatementJson {
  return {
    rule: s.rule,
    rep: s.rep,
    period: s.period,
    currency: s.currency,
    measure: s.measure,
    target: s.target,
    attainment: s.attainment,
    lines: s.lines.map((l) => ({ kind: l.kind, description: l.description, amount: l.amount })),
    capped: s.capped,
    total: s.total,
    rewards: [...s.rewards],
  };
}

const money = (amount: string, currency: string) => displayMoney(new Decimal(amount), currency);

function quantity(value: string | null, currency: string, isMoney: boolean): string {
  if (value === null) return 'unknown';
  return isMoney ? money(value, currency) : value;
}

/** One block per statement: header with measure and attainment, aligned lines, total, rewards, warnings. */
export function statementTable(statements: Statement[], measureIsMoney: (s: Statement) => boolean = () => true): string {
  const out: string[] = [];
  const kindWidth = 10;
  for (const s of statements) {
    const amounts = [...s.lines.map((l) => money(l.amount, s.currency)), money(s.total, s.currency)];
    const width = Math.max(...amounts.map((a) => a.length));
    const isMoney = measureIsMoney(s);
    const attainment = s.attainment === null ? 'n/a' : `${s.attainment}%`;
    out.push(`${s.rule} · ${s.period} · ${s.rep} ${s.repName}`);
    out.push(`  ${s.measureMetric} ${quantity(s.measure, s.currency, isMoney)} of target ${quantity(s.target, s.currency, isMoney)} = ${attainment} attainment`);
    if (s.lines.length === 0) out.push('  (nothing to pay)');
    s.lines.forEach((line, i) => {
      out.push(`  ${line.kind.padEnd(kindWidth)} ${amounts[i].padStart(width)}  ${line.description}`);
    });
    out.push(`  ${'total'.padEnd(kindWidth)} ${amounts[amounts.length - 1].padStart(width)}${s.capped ? '  (capped)' : ''}`);
    for (const reward of s.rewards) out.push(`  reward     ${reward}`);
    for (const warning of s.warnings) out.push(`  warning    ${warning}`);
    out.push('');
  }
  return out.join('\n');
}

/** Totals per currency, for the last line of the table. */
export function totalsLine(statements: Statement[]): string {
  const sums = new Map<string, Decimal>();
  for (const s of statements) sums.set(s.currency, (sums.get(s.currency) ?? new Decimal(0)).plus(s.total));
  const parts = [...sums].map(([cur, sum]) => displayMoney(sum, cur));
  return `${statements.length} statement${statements.length === 1 ? '' : 's'}${parts.length ? `, total ${parts.join(' + ')}` : ''}`;
}
