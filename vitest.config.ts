import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/fast_check_seed.ts'],
    pool: 'threads',
    testTimeout: 60_000,
  },
});
