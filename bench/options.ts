import { availableParallelism } from 'node:os';
import { COLD_MODES, type ColdMode } from './cold.js';

/** Sections of `scraper bench`; `micro`, `layout` and `compact` run only when asked for. */
export const SECTIONS = ['cold', 'scaling', 'lambda', 'micro', 'layout', 'compact'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** Auction counts of the cold runs (ids from `firstId`). @default [500, 3000] */
  auctions: number[];
  /** Auctions of the naive loop, which fetches one at a time. @default 100 */
  naiveAuctions: number;
  /** Simulator latency, ms. @default 50 */
  latencyMs: number;
  /** Simulator jitter (±), ms. @default 5 */
  jitterMs: number;
  /** Requests open at once in every cold run but the naive loop. @default 50 */
  concurrency: number;
  /** Cold runs to make, of baseline, fetch, async, parallel, naive. @default all */
  modes: ColdMode[];
  /** Worker threads of the scaling run. @default availableParallelism() */
  workers: number;
  /** @default ['cold', 'scaling', 'lambda'] */
  sections: Section[];
  /** Gzipped auction bodies fed to the normaliser scaling run. @default 400 */
  scalingBodies: number;
  /** Results go to `<out>/<timestamp>/`. @default 'bench-results' */
  out: string;
  /** Write .cpuprofile files of every thread of every cold run and summarise them. @default false */
  profile: boolean;
  /** Keep the runs' data directories (listed in the report). @default false */
  keepData: boolean;
  /** First auction id of the plan. @default 100000 */
  firstId: number;
  quick: boolean;
}

export const FIRST_ID = 100_000;

export function benchDefaults(): BenchOptions {
  return {
    auctions: [500, 3000],
    naiveAuctions: 100,
    latencyMs: 50,
    jitterMs: 5,
    concurrency: 50,
    modes: [...COLD_MODES],
    workers: availableParallelism(),
    sections: ['cold', 'scaling', 'lambda'],
    scalingBodies: 400,
    out: 'bench-results',
    profile: false,
    keepData: false,
    firstId: FIRST_ID,
    quick: false,
  };
}

/** `--quick`: the same sections, small enough to finish in well under 30 s (and in a test). */
export const QUICK: Partial<BenchOptions> = {
  auctions: [60],
  naiveAuctions: 10,
  latencyMs: 20,
  jitterMs: 5,
  scalingBodies: 60,
  quick: true,
};

/** `YYYYMMDD-HHMMSS` in UTC, for a results directory name that sorts by time. */
export function timestampName(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
