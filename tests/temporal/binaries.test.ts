import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  cachedBinaries,
  ensureCliExecutable,
  ensureTestServerExecutable,
  MissingBinaryError,
  resolveCliExecutable,
  resolveTestServerExecutable,
} from '../../src/temporal/index.js';

let dir: string;
let fakeCli: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salesflow-binaries-'));
  fakeCli = path.join(dir, 'temporal');
  fs.writeFileSync(fakeCli, '#!/bin/sh\n', { mode: 0o755 });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an override in the environment wins over the project cache', () => {
  expect(resolveCliExecutable({ TEMPORAL_CLI_PATH: fakeCli })).toEqual({ type: 'existing-path', path: fakeCli });
  expect(resolveTestServerExecutable({ TEMPORAL_TEST_SERVER_PATH: fakeCli })).toEqual({ type: 'existing-path', path: fakeCli });
});

test('an override that is not an executable file is reported, not silently ignored', () => {
  const missing = path.join(dir, 'nope');
  expect(() => resolveCliExecutable({ TEMPORAL_CLI_PATH: missing })).toThrow(MissingBinaryError);
  expect(() => resolveTestServerExecutable({ TEMPORAL_TEST_SERVER_PATH: missing })).toThrow(/TEMPORAL_TEST_SERVER_PATH/);
});

test('without overrides the binaries from scripts/install-temporal.mjs are used, installed on first use', async () => {
  expect(await ensureCliExecutable({ PATH: '' })).toEqual({ type: 'existing-path', path: cachedBinaries.cli });
  expect(await ensureTestServerExecutable({})).toEqual({ type: 'existing-path', path: cachedBinaries.testServer });
});
