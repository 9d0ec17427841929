import { defineConfig } from 'vitest/config';

// `npm run test:crash`: the crash-and-restart test starts the whole sandbox twice as `npm start` does (Java
// included), so it runs on its own rather than inside `npm test`.
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    environment: 'node',
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
