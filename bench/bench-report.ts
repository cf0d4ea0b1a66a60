import type { RunReport } from '../core/report.js';
import type { CoreUsage } from './cpu-sampler.js';
import type { JobRun } from './job-runner.js';
import type { LayoutResult } from './layout.js';
import type { MicroResult } from './micro.js';
import type { ModeName } from './options.js';
import type { ProfileSummary } from './profile-summary.js';
import type { ScalingResult } from './scaling.js';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  memoryGb: number;
  /** 1-minute load average when the bench started: other work on the machine skews timings. */
  loadAverage: number;
  /** Busy share of all cores over the second before the bench started (0 = idle machine). */
  busyBefore: number;
}

/** One run of the pipeline (a mode, or the fetch stage) as the bench reports it. */
export interface RunFigures {
  name: string;
  concurrency: number;
  workers: number;
  processing: string;
  auctions: number;
  requests: number;
  complete: boolean;
  wallSeconds: number;
  /** Client process CPU, user + sys, every thread (the simulator runs in another process). */
  cpuSeconds: number;
  /** Client CPU per auction fetched, ms (timed section). */
  cpuMsPerAuction: number;
  /** The untimed pass over the first auctions in the same process, first: what a cold process costs. */
  coldStart: { auctions: number; cpuMsPerAuction: number } | null;
  /** Kernel share of the client's CPU (syscalls: sockets, file writes), over the child's timed section. */
  systemShare: number;
  /** The simulator process's CPU over the same span (null: none here, or no /proc). */
  serverCpuSeconds: number | null;
  ioShare: number;
  requestsPerSecond: number;
  /** Bytes received (gzipped, as on the wire), MB/s (10^6). */
  mbPerSecond: number;
  /** Rows of every table written per second; item rows alone below. */
  rowsPerSecond: number;
  itemRowsPerSecond: number;
  latencyMs: { p50: number; p95: number };
  peakRssMb: number;
  /** Mean busy share per core over the timed section, machine-wide. */
  coreBusy: number[];
  /**
   * Core-seconds used by neither the client nor the simulator during the run (other
   * processes on the machine): above a few tenths, the timings are pessimistic.
   */
  otherCpuSeconds: number | null;
  throttled429: number;
  /** Failures seen (each retried or recorded): should be 0 against the simulator. */
  failures: number;
}

export interface ModeFigures extends RunFigures {
  mode: ModeName;
  /** req/s ÷ the naive mode's req/s; null without a naive run. */
  speedup: number | null;
  cores: CoreUsage;
}

export interface FetchStageFigures extends RunFigures {
  /** Client CPU seconds per 1,000 fetched auctions (the measure). */
  cpuSecondsPer1000Fetches: number;
  cpuSecondsPer1000Requests: number;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run (section skipped). */
  met: boolean | null;
  /** Set when the run's settings differ from the target's (--quick, other latency or sizes): met is indicative only. */
  caveat?: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: Machine;
  settings: Record<string, string | number | boolean>;
  /** The untimed pass that filled the simulator's body cache, so every timed run sees warm bodies. */
  warmup: { wallSeconds: number; requests: number } | null;
  modes: ModeFigures[];
  fetchStage: FetchStageFigures | null;
  scaling: (ScalingResult & { peakRssMb: number; cores: CoreUsage }) | null;
  micro: MicroResult[] | null;
  /** Parquet file layouts by normaliser trigger (`--only layout`). */
  layout: LayoutResult[] | null;
  targets: Target[];
  charts: string[];
  profiles: { run: string; files: string[]; main: ProfileSummary; workers: ProfileSummary | null }[];
  notes: string[];
}

export function runFigures(name: string, run: JobRun, settings: { concurrency: number; workers: number; auctions: number }): RunFigures {
  const r = run.output.report as RunReport;
  const rows = Object.values(r.rows).reduce((a, b) => a + b, 0);
  const perSecond = (n: number) => (r.wallSeconds > 0 ? Math.round(n / r.wallSeconds) : 0);
  return {
    name,
    ...settings,
    processing: String(r.settings.processing ?? ''),
    requests: r.requests,
    complete: r.complete,
    wallSeconds: r.wallSeconds,
    cpuSeconds: r.cpuSeconds,
    cpuMsPerAuction: r.outcomes.fetched > 0 ? round((r.cpuSeconds / r.outcomes.fetched) * 1000, 2) : 0,
    coldStart: run.output.warmup ? { auctions: run.output.warmup.auctions, cpuMsPerAuction: round((run.output.warmup.cpuSeconds / run.output.warmup.auctions) * 1000, 2) } : null,
    systemShare: round(run.output.cpu.system / Math.max(1e-9, run.output.cpu.user + run.output.cpu.system), 2),
    serverCpuSeconds: run.serverCpuSeconds ?? null,
    ioShare: r.ioShare,
    requestsPerSecond: r.requestsPerSecond,
    mbPerSecond: r.wallSeconds > 0 ? Math.round((r.bytesReceived / 1e6 / r.wallSeconds) * 100) / 100 : 0,
    rowsPerSecond: perSecond(rows),
    itemRowsPerSecond: perSecond(r.rows.maxsold_items ?? 0),
    latencyMs: r.latencyMs,
    peakRssMb: Math.round(run.output.maxRssBytes / 1e6),
    coreBusy: run.cores.meanPerCore,
    otherCpuSeconds: run.serverCpuSeconds === undefined ? null : otherCpu(run.cores.meanPerCore, r.wallSeconds, r.cpuSeconds + run.serverCpuSeconds),
    throttled429: r.throttledHonoured,
    failures: Object.values(r.failureReasons).reduce((a, b) => a + b, 0),
  };
}

export function fetchStageFigures(run: JobRun, settings: { concurrency: number; auctions: number }): FetchStageFigures {
  const f = runFigures('fetch stage', run, { ...settings, workers: 0 });
  const fetched = run.output.report!.outcomes.fetched;
  return {
    ...f,
    cpuSecondsPer1000Fetches: fetched > 0 ? round((f.cpuSeconds / fetched) * 1000, 2) : 0,
    cpuSecondsPer1000Requests: f.requests > 0 ? round((f.cpuSeconds / f.requests) * 1000, 2) : 0,
  };
}

/**
 * The targets, judged on this run; only comparable with the default settings on
 * 2 cores. The duration target applies to a --quick run or to a run with the defaults.
 */
export function judgeTargets(r: Pick<BenchReport, 'modes' | 'fetchStage' | 'scaling' | 'totalSeconds'>, run: 'quick' | 'defaults' | 'other'): Target[] {
  const mode = (m: ModeName) => r.modes.find((x) => x.mode === m);
  const speed = (m: ModeName, times: number, c: string): Target => {
    const x = mode(m);
    const s = x?.speedup ?? null;
    return { name: `${m === 'async' ? 'async' : 'async + parallel'} (C=${x?.concurrency ?? c}) vs naive req/s`, target: `≥ ${times}×`, measured: s === null ? '—' : `${s.toFixed(1)}×`, met: s === null ? null : s >= times };
  };
  const best = r.scaling?.runs.reduce((a, b) => (b.itemRowsPerSecond > a.itemRowsPerSecond ? b : a));
  const targets: Target[] = [
    speed('async', 15, '20'),
    speed('parallel', 30, '50'),
    {
      name: 'client CPU per 1,000 fetches, fetch stage only',
      target: '≤ 2 CPU-s',
      measured: r.fetchStage ? `${r.fetchStage.cpuSecondsPer1000Fetches.toFixed(2)} CPU-s` : '—',
      met: r.fetchStage ? r.fetchStage.cpuSecondsPer1000Fetches <= 2 : null,
    },
    {
      name: `normalisation + Parquet, item rows/s on ${best?.workers ?? 'all'} workers`,
      target: '≥ 40,000',
      measured: best ? best.itemRowsPerSecond.toLocaleString('en-US') : '—',
      met: best ? best.itemRowsPerSecond >= 40_000 : null,
    },
    { name: 'parallel efficiency of the normaliser', target: '≥ 80%', measured: r.scaling ? `${Math.round(r.scaling.efficiency * 100)}%` : '—', met: r.scaling ? r.scaling.efficiency >= 0.8 : null },
  ];
  // The figures assume the defaults (500 auctions, 50 ms latency, 400 bodies); a --quick run is a smoke test.
  if (run !== 'defaults') for (const t of targets) if (t.met !== null) t.caveat = run === 'quick' ? '--quick run' : 'not the default settings';
  targets.push(
    run === 'quick'
      ? { name: 'bench --quick duration', target: '< 30 s', measured: `${r.totalSeconds.toFixed(0)} s`, met: r.totalSeconds < 30 }
      : { name: 'bench duration with defaults', target: '< 5 min', measured: `${r.totalSeconds.toFixed(0)} s`, met: run === 'defaults' ? r.totalSeconds < 300 : null },
  );
  return targets;
}

/** Machine-wide busy core-seconds over the run, less what the client and the simulator used. */
export function otherCpu(meanPerCore: number[], wallSeconds: number, ownCpuSeconds: number): number {
  const busy = meanPerCore.reduce((a, b) => a + b, 0) * wallSeconds;
  return round(Math.max(0, busy - ownCpuSeconds), 2);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
