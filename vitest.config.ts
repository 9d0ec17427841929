import { defineConfig } from 'vitest/config';

// Two projects: unit tests need no engine; integration tests share one DynamoDB Local and one SQS/S3 engine
// started once per run by the global setup (each test file provisions its own prefixed resources on them).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // Unit tests first: they fail fast and need no engine.
          sequence: { groupOrder: 0 },
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: more parallel files only make DynamoDB Local slower.
          maxWorkers: 2,
        },
      },
    ],
  },
});
