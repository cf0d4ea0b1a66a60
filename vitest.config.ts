import { defineConfig } from 'vitest/config';
import { canRaisePriority } from './test/helpers/priority.js';
import LongestFirst from './test/helpers/sequencer.js';

/**
 * Tests whose subject is timing as the server sees it (Retry-After honoured, 429 rates): on two
 * cores shared with a dozen other test files, the client's reaction time would measure the
 * machine's load rather than the client. Where the tests may raise a process's priority (root,
 * CAP_SYS_NICE), such a test runs its client and server at high priority among the others, from
 * the start; elsewhere it runs in a second group, alone, after everything else. (The bench's
 * smoke run checks the report's structure, not its timings: it runs with the rest.)
 */
const TIMING = ['test/e2e/politeness.test.ts'];
const ALONE = canRaisePriority() ? [] : TIMING;

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
