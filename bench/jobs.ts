import type { ScalingResult } from './scaling.js';

/** A warm, in-process measurement done in a child process of its own (its CPU time and peak RSS are its own). */
export interface ScalingJob {
  /** Pre-generated bodies through the worker pool with each worker count (see scaling.ts). */
  kind: 'scaling';
  firstId: number;
  bodies: number;
  workerCounts: number[];
  /** Timed batches per worker count; the fastest counts. */
  repeats: number;
}

export interface JobRequest {
  job: ScalingJob;
}

export interface JobOutput {
  scaling: ScalingResult;
  /** process.resourceUsage().maxRSS of the child, bytes: its whole life, start-up included. */
  maxRssBytes: number;
  /** The child's CPU over the timed section split into user and kernel time, seconds. */
  cpu: { user: number; system: number };
}

/** Child → parent: `started` when the timed section begins, then `done` or `failed`. */
export type JobMessage = { type: 'started' } | { type: 'done'; output: JobOutput } | { type: 'failed'; message: string };
