import { cpus } from 'node:os';

/** One core's busy share over one sampling interval, machine-wide (every process). */
export interface CoreSample {
  /** Seconds since sampling started (end of the interval). */
  t: number;
  core: number;
  /** 0..1: 1 − idle / total ticks of the interval. */
  busy: number;
}

export interface CoreUsage {
  intervalMs: number;
  /** Mean busy share per core over the run. */
  meanPerCore: number[];
  samples: CoreSample[];
}

export interface Ticks {
  idle: number;
  total: number;
}

export function coreTicks(): Ticks[] {
  return cpus().map(({ times: t }) => ({ idle: t.idle, total: t.user + t.nice + t.sys + t.idle + t.irq }));
}

/**
 * Samples `os.cpus()` every `intervalMs` and turns the tick deltas into per-core
 * utilisation. The OS counts in 10 ms ticks, so ~200 ms gives 5% resolution.
 */
export class CpuSampler {
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #startedAt = 0;
  #first: Ticks[] = [];
  #last: Ticks[] = [];
  readonly #samples: CoreSample[] = [];

  constructor(intervalMs = 200) {
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#first = this.#last = coreTicks();
    this.#timer = setInterval(() => this.#sample(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): CoreUsage {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sample();
    const meanPerCore = this.#last.map((end, i) => busyShare(this.#first[i], end));
    return { intervalMs: this.#intervalMs, meanPerCore, samples: [...this.#samples] };
  }

  #sample(): void {
    const now = coreTicks();
    const t = Math.round(performance.now() - this.#startedAt) / 1000;
    now.forEach((end, core) => {
      const start = this.#last[core];
      if (start && end.total > start.total) this.#samples.push({ t, core, busy: busyShare(start, end) });
    });
    this.#last = now;
  }
}

function busyShare(a: Ticks | undefined, b: Ticks): number {
  if (!a) return 0;
  const total = b.total - a.total;
  return total > 0 ? Math.round((1 - (b.idle - a.idle) / total) * 1000) / 1000 : 0;
}

/** Busy share of the whole machine (all cores) over the next `ms`: how much else is running. */
export async function machineBusy(ms = 1000): Promise<number> {
  const a = coreTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = coreTicks();
  // A core that came online in between counts from zero.
  const idle = b.reduce((n, t, i) => n + t.idle - (a[i]?.idle ?? 0), 0);
  const total = b.reduce((n, t, i) => n + t.total - (a[i]?.total ?? 0), 0);
  return total > 0 ? Math.round((1 - idle / total) * 100) / 100 : 0;
}

/** Core-seconds the whole machine was busy between two readings (os.cpus() counts in ms). */
export function busyCoreSeconds(a: Ticks[], b: Ticks[]): number {
  return b.reduce((n, t, i) => n + (t.total - (a[i]?.total ?? 0)) - (t.idle - (a[i]?.idle ?? 0)), 0) / 1000;
}
