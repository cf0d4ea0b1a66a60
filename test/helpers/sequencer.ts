import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files known to take longest start first, so that the three at a time keep both cores busy
 * to the end instead of one long file running on its own at the tail. Vitest orders the other
 * files by its cache of earlier durations, or by size on a fresh clone.
 */
const FIRST = [
  // Mostly waiting on a rate limit: started first, it overlaps the busy files instead of trailing them.
  'test/e2e/politeness.test.ts',
  'test/e2e/kill-rerun.test.ts',
  'test/bench/bench.test.ts',
  'test/e2e/pipeline.test.ts',
  'test/emulator/cloud.test.ts',
  'test/cli/commands.test.ts',
  'test/contract/properties.test.ts',
  'test/e2e/fault-matrix.test.ts',
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i === -1 ? FIRST.length : i;
    };
    // Within each project's run of files (the base order keeps a project's files together and
    // the projects in their group order), the known long files move to the front; the sort is stable.
    const runs: TestSpecification[][] = [];
    for (const f of await super.sort(files)) {
      const last = runs.at(-1);
      if (last?.[0]?.project.name === f.project.name) last.push(f);
      else runs.push([f]);
    }
    return runs.flatMap((run) => run.sort((a, b) => rank(a) - rank(b)));
  }
}
