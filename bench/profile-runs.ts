import { basename } from 'node:path';
import type { BenchReport } from './bench-report.js';
import { readProfile, summariseProfiles } from './profile-summary.js';

/** Each profiled run's main thread and its pool workers (merged), summarised by stage and function. */
export async function summariseRuns(runs: { name: string; files: string[] }[]): Promise<BenchReport['profiles']> {
  const out: BenchReport['profiles'] = [];
  for (const { name, files } of runs) {
    if (files.length === 0) continue;
    const main = files.filter((f) => f.endsWith('.main.cpuprofile'));
    const workers = files.filter((f) => /\.worker-\d+\.cpuprofile$/.test(f));
    out.push({
      run: name,
      files: files.map((f) => basename(f)),
      main: summariseProfiles(await Promise.all(main.map(readProfile))),
      workers: workers.length > 0 ? summariseProfiles(await Promise.all(workers.map(readProfile))) : null,
    });
  }
  return out;
}
