import { setMaxListeners } from 'node:events';
import { PoolProcessor } from '../adapters/pool-processor.js';
import { planAuctions } from '../core/planner.js';
import type { Processor } from '../core/ports.js';
import { originsFrom } from '../core/sources/index.js';
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

/** Requests open at once during a warm-up pass (at least): it warms code, not the network. */
const WARMUP_CONCURRENCY = 20;

async function run({ job, profilePath }: JobRequest): Promise<JobOutput> {
  // Untimed preparation happens before "started".
  const bodies = job.kind === 'scaling' ? auctionBodies(job.firstId, job.bodies) : [];
  // A pool made here serves the warm-up pass and the timed run alike, so its threads start warm too.
  const processor = job.kind === 'scrape' && job.workers > 0 ? new PoolProcessor({ origins: originsFrom(job.baseUrl) }, job.workers) : undefined;
  try {
    const warmup = job.kind !== 'scaling' && job.warmupAuctions ? await warmUp(job, job.warmupAuctions, processor) : undefined;
    let profiling: Profiling | undefined;
    if (profilePath) profiling = await startProfiling();
    await send({ type: 'started' });
    const cpu0 = process.cpuUsage();
    let report: RunReport | undefined;
    let scaling: ScalingResult | undefined;
    try {
      if (job.kind === 'scaling') scaling = await runScaling(bodies, job.workerCounts, job.repeats);
      else report = await timedFetch(job, processor);
    } finally {
      await profiling?.stop(profilePath!);
    }
    const cpu = process.cpuUsage(cpu0);
    return { report, scaling, maxRssBytes: process.resourceUsage().maxRSS * 1024, cpu: { user: cpu.user / 1e6, system: cpu.system / 1e6 }, warmup };
  } finally {
    await processor?.close();
  }
}

/**
 * The job's first auctions, untimed, into a directory of their own: V8 compiles hot
 * JavaScript and WebAssembly in the background during the first second or so of a
 * process (measured here: about a third of the CPU of a 500-auction run), a cost a
 * long run pays once. Its figures are reported as the cold start.
 */
async function warmUp(job: Extract<Job, { kind: 'scrape' | 'fetch-stage' }>, auctions: number, processor: Processor | undefined): Promise<JobOutput['warmup']> {
  const n = Math.min(auctions, job.auctions);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Overlapped even for the naive loop: the same code gets hot, in a fraction of the time.
  const warm = { ...job, auctions: n, concurrency: Math.max(job.concurrency, WARMUP_CONCURRENCY), out: `${job.out}.warmup` };
  if (warm.kind === 'scrape') warm.sequential = false;
  await timedFetch(warm, processor);
  const cpu = process.cpuUsage(cpu0);
  return { auctions: n, wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function timedFetch(job: Extract<Job, { kind: 'scrape' | 'fetch-stage' }>, processor?: Processor): Promise<RunReport> {
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
    processor,
    ...(job.sequential ? { lanes: 1, batchItems: 1 } : {}),
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
