import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CpuSampler, type CoreUsage } from './cpu-sampler.js';
import type { JobMessage, JobOutput, JobRequest, ScalingJob } from './jobs.js';

export interface JobRun {
  output: JobOutput;
  /** Machine-wide per-core utilisation while the timed section ran. */
  cores: CoreUsage;
}

const CHILD_TS = import.meta.url.endsWith('.ts');
const CHILD = fileURLToPath(new URL(CHILD_TS ? './job-child.ts' : './job-child.js', import.meta.url));

/** Runs one job in a fresh child process and samples the cores while its timed section runs. */
export async function runJob(name: string, job: ScalingJob): Promise<JobRun> {
  const request: JobRequest = { job };
  const child = fork(CHILD, [], {
    execArgv: CHILD_TS ? ['--import', 'tsx'] : [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const sampler = new CpuSampler();
  let output: JobOutput | undefined;
  let failure: string | undefined;
  let cores: CoreUsage | undefined;
  child.on('message', (m: JobMessage) => {
    if (m.type === 'started') sampler.start();
    else {
      cores = sampler.stop();
      if (m.type === 'done') output = m.output;
      else failure = m.message;
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.send(request);
  const code = await exit;
  if (!cores) sampler.stop(); // the child died mid-run: stop sampling all the same
  if (!output || !cores) throw new Error(`bench job "${name}" failed${failure ? `: ${failure}` : ` (child exited with ${code})`}`);
  return { output, cores };
}
