// `salesflow status` names the Temporal the plan was applied to (apply records it; worker, serve and
// events send refuse another). Was: status said nothing of it, so an operator whose worker refused
// to start had to read the refusal to learn where the plan's schedules are; and nothing told them
// beforehand that the TEMPORAL_* of the shell they run the others from names another one.
import { afterEach, expect, test } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { recordAppliedTemporal } from '../../src/data/applied-temporal.js';
import { openDatabase } from '../../src/data/db.js';
import { loadRules } from '../../src/dsl/index.js';
import { recordPlan } from '../../src/runtime/applied-plan.js';
import { salesflow } from '../data/cli.js';
import { tempDir } from '../data/tmp.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

test('status names the applied Temporal, in text and JSON, and notes a TEMPORAL_* here that names another', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'rules', 'templates'), { recursive: true });
  writeFileSync(join(dir, 'rules', 'seq.rules'), 'sequence "Hello" {\n  on lead.created\n  send "hi" to lead\n}\n');
  writeFileSync(join(dir, 'rules', 'templates', 'hi.md'), '---\nsubject: Hi\n---\nHi {{lead.name}}\n');
  const database = join(dir, 'salesflow.db');
  const db = await openDatabase(database);
  const { plan } = await loadRules([join(dir, 'rules')]);
  await recordPlan(db, plan!, ['rules/']);
  await recordAppliedTemporal(db, { address: 'temporal.prod.example:7233', namespace: 'sales', namespaceId: 'id-1', planVersion: 1, appliedAt: '2026-03-02T09:00:00.000Z' });
  await db.close();
  delete process.env.TEMPORAL_ADDRESS;
  delete process.env.TEMPORAL_NAMESPACE;

  const plain = await salesflow(['status'], database, dir);
  expect(plain.stdout).toContain('  Temporal: temporal.prod.example:7233, namespace "sales" (salesflow apply, 2026-03-02T09:00:00.000Z): worker, serve and events send must use it\n');
  // Nothing here names a Temporal (status needs none): no comparison with the defaults.
  expect(plain.stdout).not.toContain('note: TEMPORAL_ADDRESS');

  process.env.TEMPORAL_ADDRESS = 'temporal.prod.example:7233';
  process.env.TEMPORAL_NAMESPACE = 'default';
  const other = await salesflow(['status'], database, dir);
  expect(other.stdout).toContain('  note: TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE here name Temporal at temporal.prod.example:7233, namespace "default"; ' +
    'unless that is the same namespace by another address, worker, serve and events send refuse it\n');

  const json = JSON.parse((await salesflow(['status', '--format', 'json'], database, dir)).stdout) as { appliedTemporal: unknown };
  expect(json.appliedTemporal).toEqual({ address: 'temporal.prod.example:7233', namespace: 'sales', namespaceId: 'id-1', planVersion: 1, appliedAt: '2026-03-02T09:00:00.000Z' });
});
