// SPEC §10: a bad environment value stops the program at start with an error naming the variable.
import { describe, expect, it } from 'vitest';
import { salesflow, workspace } from './cli.js';

describe('configuration (§10)', () => {
  for (const [name, value] of [['PORT', 'abc'], ['PORT', '70000'], ['PUBLIC_URL', 'not a url'], ['TEMPORAL_ADDRESS', '::bad']] as const) {
    it(`${name}=${value} → exit 1 naming ${name}`, () => {
      const r = salesflow(workspace(), ['serve'], { [name]: value, SALESFLOW_SECRET: 'conformance-secret-0123456789' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(name);
    });
  }
});
