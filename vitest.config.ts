import { defineConfig } from 'vitest/config';

// Integration and end-to-end tests share one Kafka broker, Redis and MariaDB, so test files run
// one at a time. Each file still uses its own topics, database and key prefix.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
