import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Files run in parallel; each test makes its own SQLite file or :memory: store and its own ports.
    pool: 'forks',
    // Vitest's default is one fork fewer than the cores: one on a 2-core machine, so every file
    // would run after the other. Most files spend their time waiting on the processes they drive
    // (redis-server, servers, workers, Chromium, encoders), so three share two cores well.
    maxWorkers: 3,
  },
});
