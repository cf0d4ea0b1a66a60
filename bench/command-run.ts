import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from '../core/report.js';
import { CpuSampler, type CoreUsage } from './cpu-sampler.js';
import { cliProgram, type Program } from './programs.js';
import type { SimulatorProcess } from './sim-process.js';

/** What a run says of itself: the scraper's report.json, or the same fields from the bare baseline. */
export type RunFacts = Pick<RunReport, 'requests' | 'process' | 'eventLoopDelayMs'> & Partial<RunReport> & { failures?: number };

export interface CommandRun {
  /** Exit code of the process (null if it was killed). */
  exitCode: number | null;
  /** From spawn to exit: what the user waits for, process start and end included. */
  wallSeconds: number;
  facts: RunFacts;
  /** Machine-wide per-core load while it ran (every process: client, simulator and the rest). */
  cores: CoreUsage;
  /** CPU the simulator process used meanwhile, when it runs here. */
  serverCpuSeconds?: number;
  /** `.cpuprofile` files of every thread of the run (with --profile). */
  profiles: string[];
  stderr: string;
}

export interface RunCommandOptions {
  sim?: SimulatorProcess;
  /** Write every thread's CPU profile (`--cpu-prof`) into this directory. */
  profileDir?: string;
  /** Where the run's own figures are: its report.json (the scraper) or its stdout (the baseline). */
  facts: { reportOf: string } | 'stdout';
  sampleMs?: number;
}

/**
 * One command in a fresh process, timed from spawn to exit while the cores are
 * sampled; its figures (CPU of every thread since the process started, event-loop
 * delay, when the first request left) are the ones it reports about itself.
 */
export async function runCommand(program: Program, args: string[], o: RunCommandOptions): Promise<CommandRun> {
  if (o.profileDir) await mkdir(o.profileDir, { recursive: true });
  const execArgv = [...program.execArgv, ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])];
  const sampler = new CpuSampler(o.sampleMs);
  const server0 = o.sim?.cpuSeconds();
  sampler.start();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...execArgv, program.script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cores = sampler.stop();
  const server1 = o.sim?.cpuSeconds();
  let facts: RunFacts;
  try {
    facts =
      o.facts === 'stdout'
        ? (JSON.parse(stdout.trim().split('\n').pop() ?? '') as RunFacts)
        : (JSON.parse(await readFile(join(o.facts.reportOf, 'report.json'), 'utf8')) as RunFacts);
  } catch (e) {
    throw new Error(
      `${[program.script, ...args].join(' ')} exited with ${exitCode} and left no figures (${(e as Error).message}): ${stderr.trim().slice(-500)}`,
    );
  }
  const profiles = o.profileDir
    ? (await readdir(o.profileDir)).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(o.profileDir!, f))
    : [];
  return {
    exitCode,
    wallSeconds,
    facts,
    cores,
    serverCpuSeconds: server0 !== undefined && server1 !== undefined ? Math.round((server1 - server0) * 100) / 100 : undefined,
    profiles: profiles.sort(),
    stderr,
  };
}

/** CPU seconds (user + sys) of `scraper --help` in a fresh process: what start-up alone costs. */
export async function helpCpuSeconds(): Promise<number> {
  const { execArgv, script } = cliProgram();
  // The shell's `times` prints the CPU of its finished children on its second line.
  const child = spawn('sh', ['-c', `"$0" "$@" > /dev/null; times`, process.execPath, ...execArgv, script, '--help'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((resolve) => child.once('close', resolve));
  const line = out.trim().split('\n')[1] ?? '';
  const seconds = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`could not read the CPU time of "scraper --help" from: ${out}`);
  return seconds[0]! + seconds[1]!;
}
