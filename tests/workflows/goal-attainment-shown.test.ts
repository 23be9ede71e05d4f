// The attainment a goal email shows never contradicts the condition that sent it: 39.99999% in an
// "under 40%" alert reads "39.99%", not "40%"; 40.00001% in an "over 40%" note reads "40.00001%",
// not "40%". The decisions stay exact (who is alerted is unchanged); only the text differs.
// Real Temporal (time-skipping server), real SMTP catcher, real SQLite file.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { upsertDeal } from '../../src/data/deals.js';
import { upsertRep } from '../../src/data/reps.js';
import type { RepRecord } from '../../src/plan/records.js';
import type { Expr, GoalCheckpoint } from '../../src/plan/schema.js';
import { workflowIds } from '../../src/workflows/api.js';
import { goalWorkflow } from '../../src/workflows/goal.js';
import { startHarness, type Harness } from './support/harness.js';
import { attainmentBelow, goalRule, template, to } from './support/rules.js';

let h: Harness;
let year: number;

beforeAll(async () => {
  h = await startHarness('goal-shown');
});
beforeEach(async () => {
  year = new Date(await h.testEnv.currentTimeMs()).getUTCFullYear() + 1;
});
afterAll(async () => {
  await h?.close();
});

const source = { file: 'rules/goals.rules', line: 3 };

/** `attainment > N%` */
const attainmentAbove = (n: number): Expr => ({
  kind: 'binary', type: 'bool', op: '>',
  left: { kind: 'attainment', type: 'percent' },
  right: { kind: 'literal', type: 'percent', value: { type: 'percent', value: String(n) } },
});

const templates = [
  template('goal-at-risk', 'At risk: {{rep.name}} at {{progress.attainment}} (under 40%)', '{{rep.name}} has {{progress.measure}} of {{progress.target}}.'),
  template('goal-ahead', 'Ahead: {{rep.name}} at {{progress.attainment}} (over 40%)', '{{rep.name}} has {{progress.measure}} of {{progress.target}}.'),
  template('goal-review', 'Review of {{progress.period}}: {{progress.attainment}}', '{{rep.name}} closed {{progress.measure}} of {{progress.target}}.'),
];

const checkpoints: GoalCheckpoint[] = [
  { id: 'fraction-1', when: { kind: 'fraction', percent: '50' }, condition: attainmentBelow(40), sends: [{ id: 'send-1', template: 'goal-at-risk', to: [to.repManager], source }] },
  { id: 'fraction-2', when: { kind: 'fraction', percent: '50' }, condition: attainmentAbove(40), sends: [{ id: 'send-2', template: 'goal-ahead', to: [to.repManager], source }] },
  { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-3', template: 'goal-review', to: [to.rep], source }] },
];

async function seedRep(id: string, revenue: string): Promise<RepRecord> {
  const rep: RepRecord = {
    id, name: `Rep ${id}`, email: `${id}@acme.example`, team: 'EMEA AEs', role: 'AE', region: 'EMEA',
    manager: `mgr-${id}@acme.example`, timezone: 'UTC', start_date: null,
  };
  await upsertRep(h.db, rep);
  await upsertDeal(h.db, {
    id: `${id}-d1`, rep: id, name: 'Deal', amount: revenue, currency: 'EUR', stage: 'won', product: 'Core',
    type: 'new', source: null, closed_at: `${year}-03-02`, contact: null,
  });
  return rep;
}

async function runMarch(ruleId: string, rep: RepRecord) {
  const rule = goalRule({ id: ruleId, period: 'month', target: '100000', checkpoints, templates });
  const handle = await h.testEnv.client.workflow.start(goalWorkflow, {
    taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, rep.id, `${year}-03`), args: [{ rule, repId: rep.id, period: `${year}-03` }],
  });
  return handle.result();
}

describe('attainment shown in goal emails', () => {
  test('just under the bound: the "under 40%" alert and the review show 39.99%, never 40%', async () => {
    const rep = await seedRep('under', '39999.99'); // 39.99999%
    const result = await runMarch('shown-under', rep);
    const toManager = h.mail.to(rep.manager!).map((m) => m.subject);
    expect(toManager).toEqual(['At risk: Rep under at 39.99% (under 40%)']);
    expect(h.mail.to(rep.email).map((m) => m.subject)).toEqual([`Review of ${year}-03: 39.99%`]);
    // The decision is the exact comparison, as before.
    expect(result.checkins.find((c) => c.checkpointId === 'fraction-1')).toMatchObject({ conditionHeld: true });
    expect(result.checkins.find((c) => c.checkpointId === 'fraction-2')).toMatchObject({ conditionHeld: false });
  });

  test('just over the bound: the "over 40%" note shows as many decimals as it takes (40.00001%); the review shows 40%', async () => {
    const rep = await seedRep('over', '40000.01'); // 40.00001%
    const result = await runMarch('shown-over', rep);
    expect(h.mail.to(rep.manager!).map((m) => m.subject)).toEqual(['Ahead: Rep over at 40.00001% (over 40%)']);
    // No condition on the review: two decimals rounded down, as every figure without a bound.
    expect(h.mail.to(rep.email).map((m) => m.subject)).toEqual([`Review of ${year}-03: 40%`]);
    expect(result.checkins.find((c) => c.checkpointId === 'fraction-1')).toMatchObject({ conditionHeld: false });
    expect(result.checkins.find((c) => c.checkpointId === 'fraction-2')).toMatchObject({ conditionHeld: true });
  });

  test('exactly on the bound: 40% is neither under nor over, no alert, and the review says 40%', async () => {
    const rep = await seedRep('exact', '40000');
    await runMarch('shown-exact', rep);
    expect(h.mail.to(rep.manager!)).toEqual([]);
    expect(h.mail.to(rep.email).map((m) => m.subject)).toEqual([`Review of ${year}-03: 40%`]);
  });

  test('a measure that is a percent (win rate) reads as its condition did: 66.66% in a "win rate under 66.67%" alert', async () => {
    const rep = await seedRep('winrate', '1000');
    for (const [id, stage] of [['w2', 'won'], ['l1', 'lost']] as const) {
      await upsertDeal(h.db, { id: `winrate-${id}`, rep: rep.id, name: 'Deal', amount: '1000', currency: 'EUR', stage, product: 'Core', type: 'new', source: null, closed_at: `${year}-03-03`, contact: null });
    }
    const winRateBelow: Expr = {
      kind: 'binary', type: 'bool', op: '<',
      left: { kind: 'metric', type: 'percent', name: 'win_rate' },
      right: { kind: 'literal', type: 'percent', value: { type: 'percent', value: '66.67' } },
    };
    const rule = {
      ...goalRule({ id: 'shown-win-rate', period: 'month', target: '0', checkpoints: [], templates: [
        template('win-rate-low', 'Win rate {{progress.measure}} of {{progress.target}} ({{progress.attainment}}), under 66.67%', 'x'),
      ] }),
      measure: { metric: 'win_rate', builtin: true, type: 'percent' as const },
      target: { type: 'percent' as const, value: '100' },
      checkpoints: [{ id: 'fraction-1', when: { kind: 'fraction' as const, percent: '50' }, condition: winRateBelow, sends: [{ id: 'send-1', template: 'win-rate-low', to: [to.repManager], source }] }],
    };
    await h.testEnv.client.workflow.execute(goalWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, rep.id, `${year}-03`), args: [{ rule, repId: rep.id, period: `${year}-03` }],
    });
    // 2 won of 3 closed: 66.666...%, shown rounded down (half up it read 66.67%, the bound it is under).
    expect(h.mail.to(rep.manager!).map((m) => m.subject)).toEqual(['Win rate 66.66% of 100% (66.66%), under 66.67%']);
  });
  test('a money measure with digits past the cent reads as its condition did: 9,999.99 EUR in a "revenue under 10,000 EUR" alert', async () => {
    const rep = await seedRep('subcent', '9999.995');
    const revenueBelow: Expr = {
      kind: 'binary', type: 'bool', op: '<',
      left: { kind: 'metric', type: 'money', name: 'revenue' },
      right: { kind: 'literal', type: 'money', value: { type: 'money', value: { amount: '10000', currency: 'EUR' } } },
    };
    const rule = goalRule({
      id: 'shown-money', period: 'month', target: '10000',
      templates: [
        template('revenue-low', 'Under target: {{progress.measure}} of {{progress.target}} ({{progress.attainment}}), {{progress.remaining}} to go', 'x'),
        template('goal-review', 'Review: {{progress.measure}}', 'x'),
      ],
      checkpoints: [
        { id: 'fraction-1', when: { kind: 'fraction', percent: '50' }, condition: revenueBelow, sends: [{ id: 'send-1', template: 'revenue-low', to: [to.repManager], source }] },
        { id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-2', template: 'goal-review', to: [to.rep], source }] },
      ],
    });
    await h.testEnv.client.workflow.execute(goalWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, rep.id, `${year}-03`), args: [{ rule, repId: rep.id, period: `${year}-03` }],
    });
    // Half up it read "10,000.00 EUR of 10,000.00 EUR" in an alert about being under 10,000 EUR.
    expect(h.mail.to(rep.manager!).map((m) => m.subject)).toEqual(['Under target: 9,999.99 EUR of 10,000.00 EUR (99.99%), 0.01 EUR to go']);
    expect(h.mail.to(rep.email).map((m) => m.subject)).toEqual(['Review: 9,999.99 EUR']);
  });

  test('what is left to go is the target minus the measure as shown: 9,999.99 EUR of 10,000.00 EUR leaves 0.01 EUR, not 0.00 EUR', async () => {
    const rep = await seedRep('togo', '9999.996');
    const rule = goalRule({
      id: 'shown-to-go', period: 'month', target: '10000',
      templates: [template('goal-review', 'Review: {{progress.measure}} of {{progress.target}} ({{progress.attainment}}), {{progress.remaining}} to go', 'x')],
      checkpoints: [{ id: 'end-1', when: { kind: 'end' }, condition: null, sends: [{ id: 'send-1', template: 'goal-review', to: [to.rep], source }] }],
    });
    await h.testEnv.client.workflow.execute(goalWorkflow, {
      taskQueue: h.taskQueue, workflowId: workflowIds.goal(rule.id, rep.id, `${year}-03`), args: [{ rule, repId: rep.id, period: `${year}-03` }],
    });
    expect(h.mail.to(rep.email).map((m) => m.subject)).toEqual(['Review: 9,999.99 EUR of 10,000.00 EUR (99.99%), 0.01 EUR to go']);
  });
});
