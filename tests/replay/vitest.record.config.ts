// Records the replay histories: `npx vitest run --config tests/replay/vitest.record.config.ts`.
// Not part of `npm test`: histories are recorded once (and again only on purpose, when a workflow
// change is meant to be incompatible and is shipped behind `patched()`), then replayed in CI.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/replay/record-histories.record.ts'],
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
