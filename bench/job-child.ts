import { auctionBodies } from './auction-bodies.js';
import type { JobMessage, JobOutput, JobRequest } from './jobs.js';
import { runScaling } from './scaling.js';

// The entry of a bench child process: one job from the parent over IPC, one answer back.

function send(message: JobMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, undefined, () => resolve()));
}

async function run({ job }: JobRequest): Promise<JobOutput> {
  // Untimed preparation happens before "started".
  const bodies = auctionBodies(job.firstId, job.bodies);
  await send({ type: 'started' });
  const cpu0 = process.cpuUsage();
  const scaling = await runScaling(bodies, job.workerCounts, job.repeats);
  const cpu = process.cpuUsage(cpu0);
  return { scaling, maxRssBytes: process.resourceUsage().maxRSS * 1024, cpu: { user: cpu.user / 1e6, system: cpu.system / 1e6 } };
}

process.once('message', (request: JobRequest) => {
  run(request)
    .then(
      (output) => send({ type: 'done', output }),
      (e: unknown) => send({ type: 'failed', message: (e as Error)?.stack ?? String(e) }),
    )
    .finally(() => process.disconnect());
});
