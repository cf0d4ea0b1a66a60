import { defineConfig } from 'vitest/config';
import LongestFirst from './test/helpers/sequencer.js';

/**
 * Tests whose subject is timing as the server sees it (Retry-After honoured, 429 rates): on two
 * cores shared with a dozen other test files, the client's reaction time would measure the
 * machine's load rather than the client. Such a test runs in a second group, alone, after
 * everything else (at high priority where it may raise it: root, CAP_SYS_NICE; high priority among
 * the others still let a 45 ms stall through). (The bench's smoke run checks the report's
 * structure, not its timings: it runs with the rest.)
 */
// pipeline.test.ts holds a Retry-After case of the same kind.
const ALONE = ['test/e2e/politeness.test.ts', 'test/e2e/pipeline.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/helpers/cli-build.ts'],
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          // Many files mostly wait on servers and child processes: three at a time keep two
          // cores busy. Each worker keeps the modules it loaded (aws-cdk-lib, DuckDB, parquet-wasm)
          // for the next file instead of loading them again; no test changes a module's state.
          maxWorkers: 3,
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      ...(ALONE.length
        ? [{ extends: true as const, test: { name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } } }]
        : []),
    ],
  },
});
