import { setMaxListeners } from 'node:events';
import { planAuctions } from '../core/planner.js';
import type { RunReport } from '../core/report.js';
import { utcDate } from '../core/work-item.js';
import { scrape } from '../cli/scrape.js';
import { auctionBodies } from './auction-bodies.js';
import { runFetchStage } from './fetch-stage.js';
import type { Job, JobMessage, JobOutput, JobRequest } from './jobs.js';
import { startProfiling, type Profiling } from './profiler.js';
import { runScaling, type ScalingResult } from './scaling.js';

// The entry of a bench child process: one job from the parent over IPC, one answer back.

// Every request waiting for a slot listens for the run's abort signal: hundreds are expected
// (cli/common.ts says the same of its own), so Node's leak warning would be a false alarm here.
setMaxListeners(0);

function send(message: JobMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
}

async function run({ job, profilePath }: JobRequest): Promise<JobOutput> {
  // Untimed preparation happens before "started".
  const bodies = job.kind === 'scaling' ? auctionBodies(job.firstId, job.bodies) : [];
  let profiling: Profiling | undefined;
  if (profilePath) profiling = await startProfiling();
  await send({ type: 'started' });
  const cpu0 = process.cpuUsage();
  let report: RunReport | undefined;
  let scaling: ScalingResult | undefined;
  try {
    if (job.kind === 'scaling') scaling = await runScaling(bodies, job.workerCounts, job.repeats);
    else report = await timedFetch(job);
  } finally {
    await profiling?.stop(profilePath!);
  }
  const cpu = process.cpuUsage(cpu0);
  return { report, scaling, maxRssBytes: process.resourceUsage().maxRSS * 1024, cpu: { user: cpu.user / 1e6, system: cpu.system / 1e6 } };
}

function timedFetch(job: Extract<Job, { kind: 'scrape' | 'fetch-stage' }>): Promise<RunReport> {
  const plan = planAuctions([{ from: job.firstId, to: job.firstId + job.auctions - 1 }], utcDate(Date.now()));
  if (job.kind === 'fetch-stage') return runFetchStage({ plan, out: job.out, baseUrl: job.baseUrl, concurrency: job.concurrency });
  return scrape({
    command: 'bench',
    plan,
    expected: job.auctions,
    out: job.out,
    baseUrl: job.baseUrl,
    concurrency: job.concurrency,
    workers: job.workers,
    skipExisting: false,
    withBids: false,
    quiet: true,
    writeReport: false,
  });
}

process.once('message', (request: JobRequest) => {
  run(request).then(
    (output) => send({ type: 'done', output }),
    (e: unknown) => send({ type: 'failed', message: (e as Error)?.stack ?? String(e) }),
  ).finally(() => process.disconnect());
});
