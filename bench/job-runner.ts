import { fork } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuSampler, type CoreUsage } from './cpu-sampler.js';
import type { Job, JobMessage, JobOutput, JobRequest } from './jobs.js';
import { isPoolWorker, readProfile } from './profile-summary.js';
import type { SimulatorProcess } from './sim-process.js';

export interface JobRun {
  output: JobOutput;
  /** Machine-wide per-core utilisation while the timed section ran (client, simulator and anything else). */
  cores: CoreUsage;
  /** CPU the simulator process used meanwhile, when one runs here and /proc exists. */
  serverCpuSeconds?: number;
  /** `.cpuprofile` files written for this job (main thread first, then worker threads). */
  profiles: string[];
}

export interface RunJobOptions {
  sim?: SimulatorProcess;
  /** Profile into this directory, files named after `name`. */
  profileDir?: string;
  sampleMs?: number;
}

const CHILD_TS = import.meta.url.endsWith('.ts');
const CHILD = fileURLToPath(new URL(CHILD_TS ? './job-child.ts' : './job-child.js', import.meta.url));

function usesWorkers(job: Job): boolean {
  return job.kind === 'scaling' || (job.kind === 'scrape' && job.workers > 0);
}

/**
 * Runs one job in a fresh child process and samples the cores while its timed
 * section runs. With profiling, the child's main thread is profiled through the
 * inspector; its worker threads (if any) with `--cpu-prof`, one file per thread.
 */
export async function runJob(name: string, job: Job, o: RunJobOptions = {}): Promise<JobRun> {
  const workerProfiles = o.profileDir && usesWorkers(job) ? await mkdtemp(join(tmpdir(), 'bench-prof-')) : undefined;
  const execArgv = [...(CHILD_TS ? ['--import', 'tsx'] : []), ...(workerProfiles ? ['--cpu-prof', `--cpu-prof-dir=${workerProfiles}`] : [])];
  const request: JobRequest = { job, profilePath: o.profileDir ? join(o.profileDir, `${name}.main.cpuprofile`) : undefined };
  const child = fork(CHILD, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sampler = new CpuSampler(o.sampleMs);
  let server0: number | undefined;
  let serverCpuSeconds: number | undefined;
  let output: JobOutput | undefined;
  let failure: string | undefined;
  let cores: CoreUsage | undefined;
  child.on('message', (m: JobMessage) => {
    if (m.type === 'started') {
      sampler.start();
      server0 = o.sim?.cpuSeconds();
    } else {
      cores = sampler.stop();
      const end = o.sim?.cpuSeconds();
      if (server0 !== undefined && end !== undefined) serverCpuSeconds = Math.round((end - server0) * 100) / 100;
      if (m.type === 'done') output = m.output;
      else failure = m.message;
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.send(request);
  const code = await exit;
  try {
    if (!output || !cores) throw new Error(`bench job "${name}" failed${failure ? `: ${failure}` : ` (child exited with ${code})`}`);
    const profiles = request.profilePath ? [request.profilePath] : [];
    if (workerProfiles) profiles.push(...(await collectWorkerProfiles(workerProfiles, o.profileDir!, name)));
    return { output, cores, serverCpuSeconds, profiles };
  } finally {
    if (!cores) sampler.stop(); // the child died mid-run: stop sampling all the same
    if (workerProfiles) await rm(workerProfiles, { recursive: true, force: true });
  }
}

/**
 * `--cpu-prof` names files CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile. Kept:
 * the pool's workers. Dropped: thread 0 (the main thread, already profiled for the
 * timed section through the inspector) and module-loader threads (tsx runs its hooks
 * on one per thread when the bench runs from the TypeScript sources).
 */
async function collectWorkerProfiles(from: string, to: string, name: string): Promise<string[]> {
  const out: string[] = [];
  const files = (await readdir(from)).filter((f) => f.endsWith('.cpuprofile')).sort();
  for (const f of files) {
    const thread = Number(f.split('.')[4]);
    if (thread === 0 || !isPoolWorker(await readProfile(join(from, f)))) continue;
    const target = join(to, `${name}.worker-${out.length + 1}.cpuprofile`);
    // rename cannot cross file systems (a tmpfs /tmp): copy then.
    await rename(join(from, f), target).catch(() => copyFile(join(from, f), target));
    out.push(target);
  }
  return out;
}
