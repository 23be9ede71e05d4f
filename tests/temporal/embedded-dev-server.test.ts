import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type DevServer, startDevServer } from '../../src/temporal/index.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const repKey = defineSearchAttributeKey('SalesflowRep', SearchAttributeType.KEYWORD);
const periodKey = defineSearchAttributeKey('SalesflowPeriod', SearchAttributeType.KEYWORD);

let dir: string;
let running: DevServer | undefined;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-embedded-dev-'));
});

afterAll(async () => {
  await running?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the embedded dev server (as `salesflow dev` runs it) persists to its file, serves the UI and keeps search attributes current', async () => {
  const dbFile = path.join(dir, 'nested', 'temporal.db');

  running = await startDevServer({ dbFile, searchAttributes: [repKey] });
  expect(fs.existsSync(dbFile)).toBe(true);
  expect(running.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(await waitForHttpOk(running.uiUrl!)).toBe(true);
  expect(await customAttributes(running)).toContain('SalesflowRep');
  await running.stop();
  running = undefined;

  // Reusing the file: the dev server ignores --search-attribute for an existing namespace.
  running = await startDevServer({ dbFile, ui: false, searchAttributes: [repKey, periodKey] });
  expect(running.uiUrl).toBeUndefined();
  expect(await customAttributes(running)).toEqual(expect.arrayContaining(['SalesflowRep', 'SalesflowPeriod']));
});

async function customAttributes(server: DevServer): Promise<string[]> {
  const response = await server.testEnv.connection.operatorService.listSearchAttributes({ namespace: server.namespace });
  return Object.keys(response.customAttributes ?? {});
}

async function waitForHttpOk(url: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
