import { basename } from 'node:path';
import type { BenchReport } from './bench-report.js';
import { isPoolWorker, readProfile, summariseProfiles } from './profile-summary.js';

/**
 * Each profiled run's main thread and its pool workers (merged), summarised by stage
 * and function. `--cpu-prof` names files CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile:
 * thread 0 is the main thread; of the others, the pool's workers count (module-loader
 * threads of a run from the TypeScript sources do not).
 */
export async function summariseRuns(runs: { name: string; files: string[] }[]): Promise<BenchReport['profiles']> {
  const out: BenchReport['profiles'] = [];
  for (const { name, files } of runs) {
    if (files.length === 0) continue;
    const read = await Promise.all(
      files.map(async (f) => ({ f, thread: Number(basename(f).split('.')[4]), profile: await readProfile(f) })),
    );
    const main = read.filter((r) => r.thread === 0);
    const workers = read.filter((r) => r.thread !== 0 && isPoolWorker(r.profile));
    out.push({
      run: name,
      files: files.map((f) => f.split('/').slice(-2).join('/')),
      main: summariseProfiles(main.map((r) => r.profile)),
      workers: workers.length > 0 ? summariseProfiles(workers.map((r) => r.profile)) : null,
    });
  }
  return out;
}
