import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './command-run.js';
import { cliProgram } from './programs.js';
import { timestampName } from './options.js';
import { startSimulatorProcess } from './sim-process.js';
import { renderTuneMarkdown, tuneCharts } from './tune-report.js';
import type { TuneReport, TuneStep } from './tune-result.js';

export interface TuneOptions {
  /** Concurrency levels, tried in increasing order. @default [1, 5, 10, 20, 50, 100, 200] */
  levels: number[];
  /** Auctions per step (the same ids each step). @default 200 */
  auctions: number;
  latencyMs: number;
  jitterMs: number;
  /** Rate limit of the simulator (e.g. `100/s`), to see the sweep stop at the first 429. */
  simRate?: string;
  baseUrl?: string;
  /** Worker threads processing (`--workers`); undefined: the run's default (auto). */
  workers?: number;
  firstId: number;
  out: string;
}

export const DEFAULT_LEVELS = [1, 5, 10, 20, 50, 100, 200];

/**
 * Concurrency never exceeds this against an origin other than 127.0.0.1/localhost:
 * a polite ceiling for public APIs.
 */
export const POLITE_MAX_CONCURRENCY = 8;

/** True for origins on this machine, where no politeness cap applies. */
export function isLocalOrigin(origin: string): boolean {
  const host = new URL(origin).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** The knee: the smallest C reaching this share of the best clean step's req/s. */
export const KNEE_SHARE = 0.9;

/**
 * Raises concurrency step by step over the same auctions, each step the real
 * `scraper run` in a fresh process, politely: the sweep stops at the first step that
 * saw a 429 or any failure, and recommends the knee.
 */
export async function runTune(o: TuneOptions, log: (line: string) => void): Promise<{ report: TuneReport; dir: string }> {
  const started = Date.now();
  const dir = join(o.out, `tune-${timestampName(started)}`);
  await mkdir(dir, { recursive: true });
  const notes: string[] = [];
  let levels = [...new Set(o.levels)].sort((a, b) => a - b);
  if (o.baseUrl && !isLocalOrigin(o.baseUrl)) {
    const note = `${o.baseUrl} is not this machine: levels above ${POLITE_MAX_CONCURRENCY} are dropped, and each step sends ${o.auctions} real requests.`;
    log(`note: ${note}`);
    notes.push(note);
    levels = levels.filter((c) => c <= POLITE_MAX_CONCURRENCY);
    if (levels.length === 0) levels = [1];
  }
  const sim = o.baseUrl
    ? undefined
    : await startSimulatorProcess({
        latencyMs: o.latencyMs,
        jitterMs: o.jitterMs,
        rate: o.simRate,
        pregenerate: { from: o.firstId, to: o.firstId + o.auctions - 1 },
      });
  const baseUrl = o.baseUrl ?? sim!.url;
  if (sim)
    log(
      `simulator on ${sim.url} (${o.latencyMs} ms ± ${o.jitterMs} ms${o.simRate ? `, rate limit ${o.simRate}` : ''}; bodies made before it listens)`,
    );
  const steps: TuneStep[] = [];
  let stopped: string | null = null;
  try {
    for (const c of levels) {
      const out = await mkdtemp(join(tmpdir(), 'tune-data-'));
      const args = [
        'run',
        'maxsold',
        '--ids',
        `${o.firstId}-${o.firstId + o.auctions - 1}`,
        '--concurrency',
        String(c),
        '--base-url',
        baseUrl,
        '--out',
        out,
        '--quiet',
      ];
      if (o.workers !== undefined) args.push('--workers', String(o.workers));
      let run: Awaited<ReturnType<typeof runCommand>>;
      try {
        run = await runCommand(cliProgram(), args, { sim, facts: { reportOf: out } });
      } finally {
        await rm(out, { recursive: true, force: true });
      }
      const r = run.facts;
      const step: TuneStep = {
        concurrency: c,
        requests: r.requests,
        wallSeconds: Math.round(run.wallSeconds * 100) / 100,
        cpuSeconds: r.process?.cpuSeconds ?? 0,
        requestsPerSecond: Math.round((r.requests / run.wallSeconds) * 10) / 10,
        latencyMs: r.latencyMs ?? { p50: 0, p95: 0 },
        throttled429: r.throttledHonoured ?? 0,
        failures: Object.values(r.failureReasons ?? {}).reduce((a, b) => a + b, 0),
        complete: r.complete ?? false,
      };
      steps.push(step);
      log(
        `C=${String(c).padStart(3)}: ${step.requestsPerSecond.toFixed(1)} req/s, p95 ${step.latencyMs.p95} ms, ${step.throttled429} × 429, ${step.failures} failures`,
      );
      if (step.throttled429 > 0 || step.failures > 0) {
        stopped = `stopped raising C at ${c}: the server answered ${step.throttled429} × 429 and ${step.failures} other failures`;
        log(stopped);
        break;
      }
    }
  } finally {
    await sim?.stop();
  }
  const report: TuneReport = {
    startedAt: new Date(started).toISOString(),
    totalSeconds: 0,
    machine: { cores: availableParallelism(), node: process.version, loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    settings: {
      origin: sim
        ? `simulator (own process), ${o.latencyMs} ms ± ${o.jitterMs} ms${o.simRate ? `, rate limit ${o.simRate}` : ''}`
        : baseUrl,
      'auctions per step': o.auctions,
      levels: levels.join(', '),
      workers: o.workers ?? 'auto (the default)',
      steps: 'each step is `scraper run` in a fresh process, timed from spawn to exit',
    },
    steps,
    stopped,
    recommended: recommend(steps, o.auctions, availableParallelism()),
    charts: [],
    notes,
  };
  report.charts = await tuneCharts(dir, report);
  report.totalSeconds = Math.round((Date.now() - started) / 100) / 10;
  await writeFile(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(dir, 'report.md'), renderTuneMarkdown(report));
  return { report, dir };
}

/** The smallest clean C (no 429, no failure) within KNEE_SHARE of the best clean req/s. */
export function recommend(steps: TuneStep[], auctionsPerStep?: number, cores?: number): TuneReport['recommended'] {
  const rule = `smallest C without 429s or failures whose req/s is at least ${KNEE_SHARE * 100}% of the best such step`;
  const clean = steps.filter((s) => s.throttled429 === 0 && s.failures === 0 && s.complete);
  const first = steps[0];
  if (clean.length === 0)
    return first === undefined
      ? null
      : { concurrency: first.concurrency, rule, reason: 'every step was throttled or failed: stay at the lowest C and set --rate' };
  const best = clean.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const knee = clean.find((s) => s.requestsPerSecond >= KNEE_SHARE * best.requestsPerSecond)!;
  const last = steps[steps.length - 1];
  const limited =
    last && last.throttled429 > 0
      ? `; C=${last.concurrency} drew 429s at ${last.requestsPerSecond.toFixed(1)} req/s: the server limits the rate, so more concurrency also needs --rate below that`
      : '';
  return {
    concurrency: knee.concurrency,
    rule,
    ...fixedCostCaveat(knee, best, auctionsPerStep, cores),
    reason:
      (knee === best
        ? `${knee.requestsPerSecond.toFixed(1)} req/s, the best step without 429s or failures`
        : `${knee.requestsPerSecond.toFixed(1)} req/s at C=${knee.concurrency} vs the best ${best.requestsPerSecond.toFixed(1)} at C=${best.concurrency}: more concurrency adds load on the server for little gain`) +
      limited,
  };
}

/** Past this share of the best step's wall time spent on anything but its requests, a lower C can look as good as it. */
export const FIXED_SHARE = 0.5;
/** Past this share of the client's cores kept busy through the best step, its processing limits the rate. */
export const CPU_BOUND_SHARE = 0.8;

/**
 * Every step pays the same fixed cost whatever its C (process start-up, processing the
 * last responses, writing, exit); the best step's requests need about requests × p50 / C.
 * That cost brings every step's req/s closer to the best, so a knee below the best may be
 * the fixed cost's doing: said, when it is most of the best step's time, with the auctions
 * that would make the requests four times as long as it. Unless the client's CPU was the
 * limit (its cores busy through the best step): processing grows with the auctions as the
 * requests do, so more auctions would not tell the levels apart, and that is said instead.
 */
function fixedCostCaveat(knee: TuneStep, best: TuneStep, auctionsPerStep = best.requests, cores?: number): { caveat?: string } {
  if (knee === best) return {};
  const requesting = (best.requests * best.latencyMs.p50) / 1000 / best.concurrency;
  const fixed = best.wallSeconds - requesting;
  if (fixed <= FIXED_SHARE * best.wallSeconds) return {};
  const busy = cores ? best.cpuSeconds / (cores * best.wallSeconds) : 0;
  if (busy >= CPU_BOUND_SHARE) {
    return {
      caveat: `the best step kept the client's ${cores} cores ${Math.round(busy * 100)}% busy (${best.cpuSeconds.toFixed(2)} CPU-s in ${best.wallSeconds.toFixed(2)} s): from about C=${knee.concurrency} the client's processing, not the server's latency, limits the rate, and it grows with the auctions as the requests do (more cores would let a higher C pay)`,
    };
  }
  // Requests enough, as auctions: a step asks more than one request of some (a page asked again, a retry).
  const requestsNeeded = (4 * fixed * best.concurrency) / (Math.max(1, best.latencyMs.p50) / 1000);
  const enough = Math.ceil((requestsNeeded * auctionsPerStep) / Math.max(1, best.requests) / 100) * 100;
  return {
    caveat: `the requests needed about ${requesting.toFixed(2)} s of the best step's ${best.wallSeconds.toFixed(2)} s (${best.requests} × p50 ${best.latencyMs.p50} ms at C=${best.concurrency}); the rest (start-up, processing, writing) is paid at every C and makes C=${knee.concurrency} look as good: try --auctions ${enough} or more`,
  };
}
