import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreUsage } from './cpu-sampler.js';
import { runCommand, type CommandRun } from './command-run.js';
import { benchProgram, cliProgram, type Program } from './programs.js';
import type { SimulatorProcess } from './sim-process.js';

/** The commands the cold section runs, each in a fresh process, as a user types them. */
export const COLD_MODES = ['baseline', 'fetch', 'async', 'parallel', 'naive'] as const;
export type ColdMode = (typeof COLD_MODES)[number];

/** What each mode is, for the report. */
export const COLD_MODE_DOC: Record<ColdMode, string> = {
  baseline: 'bare baseline: a minimal undici loop (fetch, gunzip, JSON.parse, write the body); no validation, no tables',
  fetch: "the fetch stage alone (the fetch Lambda's work): validated raw objects, no tables, on the main thread",
  async: 'raw objects + Parquet, everything on the main thread',
  parallel: 'raw objects + Parquet, as typed with the defaults (--workers auto: a pool of one thread per core)',
  naive: "one request at a time, everything on the main thread: the article's plain loop",
};

export interface ColdFigures {
  mode: ColdMode;
  /** The command line, with the bench's own paths shortened. */
  command: string;
  auctions: number;
  concurrency: number;
  /** What did the processing (the report's own words). */
  processing: string;
  complete: boolean;
  requests: number;
  failures: number;
  /** Spawn → exit. */
  wallSeconds: number;
  /** Every thread, process start included. */
  cpuSeconds: number;
  cpuMsPerAuction: number;
  /** CPU ÷ wall: how many cores the process kept busy on average. */
  coresUsed: number;
  /** Requests ÷ wall time of the whole process. */
  requestsPerSecond: number;
  /** req/s ÷ the bare baseline's req/s at the same auction count (null for the baseline itself and the naive loop). */
  ofBaseline: number | null;
  /** req/s ÷ the naive loop's req/s. */
  overNaive: number | null;
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  firstRequestSeconds: number | null;
  peakRssMb: number;
  latencyMs: { p50: number; p95: number } | null;
  /** Mean busy share per core over the run, machine-wide. */
  coreBusy: number[];
  cores: CoreUsage;
  serverCpuSeconds: number | null;
  /** Core-seconds used by neither this process nor the simulator (other work on the machine). */
  otherCpuSeconds: number | null;
  profiles: string[];
}

export interface ColdOptions {
  baseUrl: string;
  firstId: number;
  /** Auction counts, each a set of runs (500 and 3,000 by default). */
  auctions: number[];
  /** Auctions of the naive loop (one at a time: its req/s is what counts). */
  naiveAuctions: number;
  concurrency: number;
  modes: ColdMode[];
  sim?: SimulatorProcess;
  profileDir?: string;
  /** Data directories made here, for the caller to remove. */
  dataDirs: string[];
  log: (line: string) => void;
}

/**
 * The headline: each command run cold, in a fresh process against the simulator,
 * the bare baseline first at each size so that every mode is read as a fraction of
 * what this machine does at best.
 */
export async function runCold(o: ColdOptions): Promise<ColdFigures[]> {
  const out: ColdFigures[] = [];
  for (const n of o.auctions) {
    for (const mode of o.modes.filter((m) => m !== 'naive')) out.push(await runMode(mode, n, o));
  }
  if (o.modes.includes('naive')) out.push(await runMode('naive', o.naiveAuctions, o));
  const naive = out.find((f) => f.mode === 'naive');
  for (const f of out) {
    const base = out.find((b) => b.mode === 'baseline' && b.auctions === f.auctions);
    f.ofBaseline = base && f.mode !== 'baseline' && f.mode !== 'naive' ? round(f.requestsPerSecond / base.requestsPerSecond, 2) : null;
    f.overNaive = naive && f !== naive ? round(f.requestsPerSecond / naive.requestsPerSecond, 1) : null;
  }
  return out;
}

async function runMode(mode: ColdMode, auctions: number, o: ColdOptions): Promise<ColdFigures> {
  const dir = await mkdtemp(join(tmpdir(), `bench-${mode}-`));
  o.dataDirs.push(dir);
  const ids = `${o.firstId}-${o.firstId + auctions - 1}`;
  const c = mode === 'naive' ? 1 : o.concurrency;
  const cli = ['run', 'maxsold', '--ids', ids, '--concurrency', String(c), '--base-url', o.baseUrl, '--out', dir, '--quiet'];
  const extra: Record<ColdMode, string[]> = {
    baseline: [],
    fetch: ['--raw-only', '--workers', '0'],
    async: ['--workers', '0'],
    parallel: [],
    naive: ['--workers', '0'],
  };
  const program: Program = mode === 'baseline' ? benchProgram('bare-baseline') : cliProgram();
  const args =
    mode === 'baseline' ? ['--base-url', o.baseUrl, '--ids', ids, '--concurrency', String(c), '--out', dir] : [...cli, ...extra[mode]];
  const shown =
    mode === 'baseline'
      ? `bare-baseline --ids ${ids} --concurrency ${c}`
      : `scraper run maxsold --ids ${ids} --concurrency ${c}${extra[mode].length ? ` ${extra[mode].join(' ')}` : ''}`;
  o.log(`${mode}: ${shown} …`);
  const run = await runCommand(program, args, {
    sim: o.sim,
    facts: mode === 'baseline' ? 'stdout' : { reportOf: dir },
    profileDir: o.profileDir && join(o.profileDir, `${mode}-${auctions}`),
  });
  if (run.exitCode !== 0) throw new Error(`${shown} exited with ${run.exitCode}: ${run.stderr.trim().slice(-500)}`);
  return figures(mode, shown, auctions, c, run);
}

function figures(mode: ColdMode, command: string, auctions: number, concurrency: number, run: CommandRun): ColdFigures {
  const f = run.facts;
  const cpuSeconds = f.process?.cpuSeconds ?? 0;
  const busy = run.cores.meanPerCore.reduce((a, b) => a + b, 0) * run.wallSeconds;
  return {
    mode,
    command,
    auctions,
    concurrency,
    processing: mode === 'baseline' ? 'inline, nothing but parse and write' : String(f.settings?.processing ?? ''),
    complete: f.complete ?? true,
    requests: f.requests,
    failures: f.failures ?? Object.values(f.failureReasons ?? {}).reduce((a, b) => a + b, 0),
    wallSeconds: round(run.wallSeconds, 2),
    cpuSeconds: round(cpuSeconds, 2),
    cpuMsPerAuction: round((cpuSeconds / auctions) * 1000, 2),
    coresUsed: round(cpuSeconds / run.wallSeconds, 2),
    requestsPerSecond: round(f.requests / run.wallSeconds, 1),
    ofBaseline: null,
    overNaive: null,
    eventLoopDelayMs: f.eventLoopDelayMs
      ? { p50: round(f.eventLoopDelayMs.p50, 1), p99: round(f.eventLoopDelayMs.p99, 1), max: round(f.eventLoopDelayMs.max, 1) }
      : null,
    firstRequestSeconds: f.process?.firstRequestSeconds ?? null,
    peakRssMb: f.process?.peakRssMb ?? 0,
    latencyMs: f.latencyMs ?? null,
    coreBusy: run.cores.meanPerCore,
    cores: run.cores,
    serverCpuSeconds: run.serverCpuSeconds ?? null,
    otherCpuSeconds: run.serverCpuSeconds === undefined ? null : round(Math.max(0, busy - cpuSeconds - run.serverCpuSeconds), 2),
    profiles: run.profiles,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
