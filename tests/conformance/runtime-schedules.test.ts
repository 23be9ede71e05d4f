// SPEC §8 `plan` / `apply` against a running dev Temporal (idempotent like terraform: + added,
// ~ changed, - removed), and §10 configuration errors of `worker` / `serve` as messages.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAt } from './cli.js';
import { Dev, freePort, secret } from './dev-server.js';

const bin = fileURLToPath(new URL('../../bin/salesflow.js', import.meta.url));
const incentive = `incentive "Plan commission" {
  for reps where rep.role = "AE"
  period quarter
  measure revenue
  target 100000 USD
  commission marginal {
    up to 100% pay 8%
    above pay 12%
  }
  approve by rep.manager within 5 days {
    otherwise reject
  }
}
`;
const weekly = `sequence "Weekly prep" {
  every friday at 15:00 for reps where rep.role = "AE"
  send "prep" to rep
}
`;
const prep = '---\nsubject: Prep {{rep.name}}\n---\nHi {{rep.name}}\n';

let dev: Dev;
beforeAll(async () => { dev = await Dev.start({ 'rules/incentive.rules': incentive }); }, 240_000);
afterAll(async () => { await dev?.stop(); }, 30_000);

describe('plan / apply (§8)', () => {
  it('after dev applied the rules: no changes, twice', () => {
    for (const cmd of ['plan', 'apply', 'apply']) {
      const r = dev.cli([cmd, 'rules']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/no changes/i);
    }
  });

  it('an added and a changed rule show + and ~; apply makes them; a second apply changes nothing; removing shows -', () => {
    writeAt(dev.dir, 'next/incentive.rules', incentive.replace('period quarter', 'period month'));
    writeAt(dev.dir, 'next/weekly.rules', weekly);
    writeAt(dev.dir, 'next/templates/prep.md', prep);
    const plan = dev.cli(['plan', 'next']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^\s*\+ .*weekly-prep/m);
    expect(plan.stdout).toMatch(/^\s*~ .*plan-commission/m);
    const apply = dev.cli(['apply', 'next']);
    expect(apply.code, apply.stderr).toBe(0);
    const again = dev.cli(['apply', 'next']);
    expect(again.stdout).toMatch(/no changes/i);
    const back = dev.cli(['plan', 'rules']);
    expect(back.stdout).toMatch(/^\s*- .*weekly-prep/m);
    expect(back.stdout).toMatch(/^\s*~ .*plan-commission/m);
    expect(dev.cli(['apply', 'rules']).code).toBe(0);
    expect(dev.cli(['plan', 'rules']).stdout).toMatch(/no changes/i);
  });
});

describe('worker / serve configuration (§10)', () => {
  const run = (args: string[], env: Record<string, string>) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, SALESFLOW_SECRET: secret, DATABASE_URL: `${dev.dir}/var/other.db`, SMTP_URL: 'smtp://127.0.0.1:2525', ...env };
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dev.dir, env: childEnv, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout + r.stderr };
  };

  for (const cmd of ['worker', 'serve']) {
    it(`${cmd}: a malformed TEMPORAL_ADDRESS or an unreachable server → exit 1 with a message, no stack trace`, async () => {
      const port = String(await freePort());
      const args = cmd === 'serve' ? ['serve', 'rules'] : ['worker'];
      for (const address of ['http://localhost:7233', `127.0.0.1:${await freePort()}`]) {
        const r = run(args, { TEMPORAL_ADDRESS: address, PORT: port, PUBLIC_URL: `http://127.0.0.1:${port}` });
        expect(r.code, r.out).toBe(1);
        expect(r.out).toContain('TEMPORAL_ADDRESS');
        expect(r.out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      }
    });
  }
});
