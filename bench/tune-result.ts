/** What a concurrency sweep found: written by runTune (tune.ts), rendered by tune-report.ts. */

export interface TuneStep {
  concurrency: number;
  requests: number;
  wallSeconds: number;
  cpuSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number };
  throttled429: number;
  failures: number;
  complete: boolean;
}

export interface TuneReport {
  startedAt: string;
  totalSeconds: number;
  machine: { cores: number; node: string; loadAverage: number };
  settings: Record<string, string | number>;
  steps: TuneStep[];
  /** Why the sweep stopped before the last level, if it did. */
  stopped: string | null;
  recommended: {
    concurrency: number;
    rule: string;
    reason: string;
    /** Said when the steps' fixed cost is most of the best step's time: the sample was too small to tell the levels apart. */
    caveat?: string;
  } | null;
  charts: string[];
  notes: string[];
}
