import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Files run in parallel; each test makes its own SQLite file or :memory: store and its own ports.
    pool: 'forks',
  },
});
