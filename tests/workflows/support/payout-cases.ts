// Payout cases shared by the statement function and the payout workflow: each case is a rep, the
// deals of their quarter (real rows in the data source) and the statement total people expect.
// Both paths must produce the same statement for every case.
import type { DealRecord, RepRecord } from '../../../src/plan/records.js';
import type { IncentiveRule } from '../../../src/plan/schema.js';
import { specRule } from '../../payouts/spec-rule.js';

export interface PayoutCase {
  name: string;
  rule: IncentiveRule;
  rep: RepRecord;
  deals: Omit<DealRecord, 'rep'>[];
  total: string;
  rewards: string[];
}

const rep = (id: string): RepRecord => ({
  id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
  manager: `boss-${id}@acme.example`, timezone: 'Europe/Berlin', start_date: null,
});

const won = (id: string, amount: string, extra: Partial<DealRecord> = {}): Omit<DealRecord, 'rep'> => ({
  id, name: id, amount, currency: 'USD', stage: 'won', product: 'Core', type: 'new', source: null,
  closed_at: '2026-02-15', contact: null, ...extra,
});

export const payoutCases: PayoutCase[] = [
  {
    // SPEC §5: 8%·100k + 12%·50k + 15%·10k = 15,500; 160% ≥ 120% earns the reward.
    name: 'marginal bands on 160k',
    rule: specRule({ id: 'case-marginal', cap: null }),
    rep: rep('case-a'),
    deals: [won('a1', '100000'), won('a2', '60000')],
    total: '15500.00',
    rewards: ['Extra day off'],
  },
  {
    name: 'retroactive on 160k with an Analytics spiff',
    rule: specRule({ id: 'case-retro', cap: null, commission: { method: 'retroactive', bands: specRule().commission!.bands } }),
    rep: rep('case-b'),
    deals: [won('b1', '150000'), won('b2', '10000', { product: 'Analytics' })],
    total: '24250.00',
    rewards: ['Extra day off'],
  },
  {
    name: 'capped at 30,000 with a deal in another currency left out',
    rule: specRule({ id: 'case-cap' }),
    rep: rep('case-c'),
    deals: [won('c1', '300000'), won('c2', '5000', { currency: 'EUR' })],
    total: '30000.00',
    rewards: ['Extra day off'],
  },
  {
    name: 'nothing closed: nothing to pay, no reward',
    rule: specRule({ id: 'case-zero' }),
    rep: rep('case-d'),
    deals: [won('d1', '50000', { closed_at: '2026-04-02' })],
    total: '0.00',
    rewards: [],
  },
];
