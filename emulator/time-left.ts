/**
 * How long a run has left at its recent pace: from the last few (real, virtual) instants the
 * progress line was printed at. The recent pace, not the whole run's: a run's first hours
 * (the backlog of closed auctions' bid histories) cost several times what a later hour does.
 */
export class TimeLeft {
  readonly #samples: { real: number; virtual: number }[] = [];

  /** `window`: how many of the latest samples the pace is measured over. */
  constructor(private readonly window = 10) {}

  /** Records an instant; returns the real milliseconds left until `virtualEnd` at the pace since the oldest kept sample, if there is one. */
  sample(real: number, virtual: number, virtualEnd: number): number | undefined {
    this.#samples.push({ real, virtual });
    if (this.#samples.length > this.window) this.#samples.shift();
    const first = this.#samples[0]!;
    const moved = virtual - first.virtual;
    if (moved <= 0 || real <= first.real) return undefined;
    return Math.max(0, virtualEnd - virtual) * ((real - first.real) / moved);
  }
}

/** `~1 h 05 min`, `~12 min`, `under a minute`. */
export function formatTimeLeft(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `~${minutes} min`;
  return `~${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
