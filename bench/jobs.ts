import type { RunReport } from '../core/report.js';
import type { ScalingResult } from './scaling.js';

/** One timed run, done in a child process of its own (its CPU time and peak RSS are its own). */
export type Job =
  | {
      /** The real pipeline, `scrape()`: fetch, process (inline or on the pool), raw + Parquet. */
      kind: 'scrape';
      baseUrl: string;
      firstId: number;
      auctions: number;
      concurrency: number;
      /** 0 = inline on the main thread. */
      workers: number;
      /** One auction from request to stored files before the next (the naive loop). */
      sequential?: boolean;
      out: string;
      /** Auctions run untimed first, in the same process and through the same processor (JIT, WebAssembly tier-up). */
      warmupAuctions?: number;
    }
  | {
      /** Request, validation and raw write only (see fetch-stage.ts). */
      kind: 'fetch-stage';
      baseUrl: string;
      firstId: number;
      auctions: number;
      concurrency: number;
      out: string;
      warmupAuctions?: number;
    }
  | {
      /** Pre-generated bodies through the worker pool with each worker count (see scaling.ts). */
      kind: 'scaling';
      firstId: number;
      bodies: number;
      workerCounts: number[];
      /** Timed batches per worker count; the fastest counts. */
      repeats: number;
    };

export interface JobRequest {
  job: Job;
  /** Write the main thread's CPU profile of the timed section here. */
  profilePath?: string;
}

export interface JobOutput {
  report?: RunReport;
  scaling?: ScalingResult;
  /** process.resourceUsage().maxRSS of the child, bytes: its whole life, start-up included. */
  maxRssBytes: number;
  /** The child's CPU over the timed section split into user and kernel time, seconds. */
  cpu: { user: number; system: number };
  /** The untimed pass before the timed section, when the job asked for one. */
  warmup?: { auctions: number; wallSeconds: number; cpuSeconds: number };
}

/** Child → parent: `started` when the timed section begins, then `done` or `failed`. */
export type JobMessage = { type: 'started' } | { type: 'done'; output: JobOutput } | { type: 'failed'; message: string };
