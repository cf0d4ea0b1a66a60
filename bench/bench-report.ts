import type { ColdFigures } from './cold.js';
import type { CoreUsage } from './cpu-sampler.js';
import type { LambdaFigures } from './lambda.js';
import type { CompactRun } from './compact.js';
import type { LayoutResult } from './layout.js';
import type { MicroResult } from './micro.js';
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

export interface Target {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run (section skipped). */
  met: boolean | null;
  /** Set when the run's settings differ from the target's (--quick, other sizes): met is indicative only. */
  caveat?: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: Machine;
  settings: Record<string, string | number | boolean>;
  /** The headline: the real commands, each in a fresh process. */
  cold: ColdFigures[];
  /** CPU seconds of `scraper --help` in a fresh process (median of 3). */
  helpCpuSeconds: number | null;
  /** Warm, steady state: the processing pool on pre-generated bodies, after untimed passes. */
  scaling: (ScalingResult & { peakRssMb: number; cores: CoreUsage }) | null;
  /** The Lambda handlers' esbuild bundles, each in a fresh process: cold start, first and warm invocations. */
  lambda: LambdaFigures[] | null;
  micro: MicroResult[] | null;
  /** Parquet file layouts by normaliser trigger (`--only layout`). */
  layout: LayoutResult[] | null;
  /** `scraper compact` on partitions of two shapes at two sizes (`--only compact`). */
  compact?: CompactRun[] | null;
  targets: Target[];
  charts: string[];
  profiles: { run: string; files: string[]; main: ProfileSummary; workers: ProfileSummary | null }[];
  notes: string[];
}

/**
 * The performance targets, judged on this run. They are stated for the defaults
 * (500 and 3,000 auctions, 50 ms ± 5 ms, C = 50) on 2 cores; other settings make them
 * indicative only.
 */
export function judgeTargets(
  r: Pick<BenchReport, 'cold' | 'helpCpuSeconds' | 'scaling' | 'lambda' | 'totalSeconds'>,
  run: 'quick' | 'defaults' | 'other',
): Target[] {
  const at = (mode: ColdFigures['mode'], n: number) => r.cold.find((f) => f.mode === mode && f.auctions === n);
  const largest = Math.max(0, ...r.cold.filter((f) => f.mode !== 'naive').map((f) => f.auctions));
  const smallest = Math.min(...r.cold.filter((f) => f.mode !== 'naive').map((f) => f.auctions));
  const parallelBig = at('parallel', largest);
  const parallelSmall = at('parallel', smallest);
  const fetchBig = at('fetch', largest);
  const measured = (f: ColdFigures | undefined, show: (f: ColdFigures) => string) => (f ? show(f) : '—');
  const fraction = (f: ColdFigures | undefined, want: number): Target => ({
    name: `scraper run, ${f?.auctions ?? '?'} auctions, cold: req/s as a fraction of the bare baseline`,
    target: `≥ ${want}×`,
    measured: measured(f, (x) => `${x.ofBaseline?.toFixed(2)}× (${x.requestsPerSecond.toFixed(0)} req/s)`),
    met: f?.ofBaseline == null ? null : f.ofBaseline >= want,
  });
  const loopDelays = r.cold.filter((f) => f.mode !== 'baseline' && f.eventLoopDelayMs);
  const worstLoop = loopDelays.reduce<ColdFigures | undefined>(
    (a, b) => (!a || b.eventLoopDelayMs!.p99 > a.eventLoopDelayMs!.p99 ? b : a),
    undefined,
  );
  const firstRequest = Math.max(
    ...r.cold.filter((f) => f.mode !== 'baseline' && f.firstRequestSeconds !== null).map((f) => f.firstRequestSeconds!),
  );
  const targets: Target[] = [
    fraction(parallelBig, 0.8),
    ...(parallelSmall && parallelSmall !== parallelBig ? [fraction(parallelSmall, 0.6)] : []),
    {
      name: `client CPU per auction, full pipeline (raw + Parquet), ${largest} auctions, process start included`,
      target: '≤ 2.5 ms',
      measured: measured(parallelBig, (x) => `${x.cpuMsPerAuction.toFixed(2)} ms`),
      met: parallelBig ? parallelBig.cpuMsPerAuction <= 2.5 : null,
    },
    {
      name: `client CPU per auction, fetch stage (validated raw only), ${largest} auctions`,
      target: '≤ 1.5 ms',
      measured: measured(fetchBig, (x) => `${x.cpuMsPerAuction.toFixed(2)} ms`),
      met: fetchBig ? fetchBig.cpuMsPerAuction <= 1.5 : null,
    },
    {
      name: 'event-loop delay p99, every scraper run',
      target: '≤ 10 ms',
      measured: worstLoop ? `${worstLoop.eventLoopDelayMs!.p99} ms at worst (${worstLoop.mode}, ${worstLoop.auctions})` : '—',
      met: worstLoop ? worstLoop.eventLoopDelayMs!.p99 <= 10 : null,
    },
    {
      name: `both cores busy with the pool (${parallelBig?.auctions ?? '?'} auctions; machine-wide, simulator included)`,
      target: '≥ 80% each',
      measured: measured(parallelBig, (x) => x.coreBusy.map((b) => `${Math.round(b * 100)}%`).join(' / ')),
      met: parallelBig ? parallelBig.coreBusy.every((b) => b >= 0.8) : null,
    },
    {
      name: 'first request after process start, every scraper run',
      target: '≤ 0.3 s',
      measured: Number.isFinite(firstRequest) ? `${firstRequest.toFixed(2)} s at worst` : '—',
      met: Number.isFinite(firstRequest) ? firstRequest <= 0.3 : null,
    },
    {
      name: 'scraper --help, CPU',
      target: '≤ 0.2 CPU-s',
      measured: r.helpCpuSeconds === null ? '—' : `${r.helpCpuSeconds.toFixed(2)} CPU-s`,
      met: r.helpCpuSeconds === null ? null : r.helpCpuSeconds <= 0.2,
    },
  ];
  const normalise = r.lambda?.find((l) => l.fn === 'normalise');
  targets.push({
    name: 'normalise handler bundle, warm, per auction object (S3 on this machine)',
    target: '≤ 15 ms',
    measured: normalise
      ? `${normalise.warm.ms.toFixed(1)} ms (cold start ${normalise.init.ms.toFixed(0)} ms + first object ${normalise.first.ms.toFixed(0)} ms)`
      : '—',
    met: normalise ? normalise.warm.ms <= 15 : null,
  });
  const naiveSpeedups = r.cold.filter((f) => f.mode === 'async' || f.mode === 'parallel').filter((f) => f.overNaive !== null);
  for (const f of naiveSpeedups.filter((x) => x.auctions === largest)) {
    const want = f.mode === 'async' ? 15 : 30;
    targets.push({
      name: `${f.mode} (C=${f.concurrency}) vs the naive loop, req/s`,
      target: `≥ ${want}×`,
      measured: `${f.overNaive!.toFixed(1)}×`,
      met: f.overNaive! >= want,
    });
  }
  if (run !== 'defaults')
    for (const t of targets) if (t.met !== null) t.caveat = run === 'quick' ? '--quick run' : 'not the default settings';
  targets.push(
    run === 'quick'
      ? { name: 'bench --quick duration', target: '< 30 s', measured: `${r.totalSeconds.toFixed(0)} s`, met: r.totalSeconds < 30 }
      : {
          name: 'bench duration with defaults',
          target: '< 5 min',
          measured: `${r.totalSeconds.toFixed(0)} s`,
          met: run === 'defaults' ? r.totalSeconds < 300 : null,
        },
  );
  return targets;
}
