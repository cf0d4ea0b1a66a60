import { availableParallelism } from 'node:os';

/** The three ways of running the same job that the bench compares. */
export const MODES = ['naive', 'async', 'parallel'] as const;
export type ModeName = (typeof MODES)[number];

/** Sections of `scraper bench`; `micro` and `layout` run only when asked for. */
export const SECTIONS = ['modes', 'fetch', 'scaling', 'micro', 'layout'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** Auctions per mode (ids FIRST_ID…). @default 500 */
  auctions: number;
  /** Simulator latency, ms. @default 50 */
  latencyMs: number;
  /** Simulator jitter (±), ms. @default 10 */
  jitterMs: number;
  /** Concurrency of the async mode. @default 20 */
  concurrency: number;
  /** Concurrency of the async + parallel mode. @default 50 */
  parallelConcurrency: number;
  /** Worker threads of the parallel mode and of the scaling run. @default availableParallelism() */
  workers: number;
  modes: ModeName[];
  /** @default ['modes', 'fetch', 'scaling'] */
  sections: Section[];
  /** Gzipped auction bodies fed to the normaliser scaling run. @default 400 */
  scalingBodies: number;
  /** Results go to `<out>/<timestamp>/`. @default 'bench-results' */
  out: string;
  /** Bench a real endpoint: no simulator, concurrency capped. */
  baseUrl?: string;
  /** Write .cpuprofile files of every timed run and summarise them. @default false */
  profile: boolean;
  /** Keep the runs' data directories (listed in the report). @default false */
  keepData: boolean;
  /** First auction id of the plan. @default 100000 */
  firstId: number;
  quick: boolean;
}

export const FIRST_ID = 100_000;

/**
 * Concurrency never exceeds this against an origin other than 127.0.0.1/localhost:
 * the README's polite default for public APIs.
 */
export const POLITE_MAX_CONCURRENCY = 8;

export function benchDefaults(): BenchOptions {
  const workers = availableParallelism();
  return {
    auctions: 500,
    latencyMs: 50,
    jitterMs: 10,
    concurrency: 20,
    parallelConcurrency: 50,
    workers,
    modes: [...MODES],
    sections: ['modes', 'fetch', 'scaling'],
    scalingBodies: 400,
    out: 'bench-results',
    profile: false,
    keepData: false,
    firstId: FIRST_ID,
    quick: false,
  };
}

/** `--quick`: the same sections, small enough to finish in well under 30 s (and in a test). */
export const QUICK: Partial<BenchOptions> = { auctions: 60, latencyMs: 20, jitterMs: 5, scalingBodies: 60, quick: true };

/** True for origins on this machine, where no politeness cap applies. */
export function isLocalOrigin(origin: string): boolean {
  const host = new URL(origin).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** `YYYYMMDD-HHMMSS` in UTC, for a results directory name that sorts by time. */
export function timestampName(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
