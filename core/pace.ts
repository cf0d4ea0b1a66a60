import type { Clock } from './clock.js';
import type { HostLimiter } from './limiter.js';

export interface PaceOptions {
  /** Adapt the concurrency between 1 and `maxConcurrency`; otherwise it stays at `maxConcurrency`. */
  adaptive: boolean;
  /** Ceiling on requests open at once (the fixed value when not adaptive). */
  maxConcurrency: number;
  /** Where adaptive concurrency starts. @default 2 */
  initialConcurrency?: number;
  /** The user's rate cap (requests/s); a learned rate never exceeds it. */
  maxRatePerSecond?: number;
}

/** Multiplicative decrease of concurrency on congestion. */
const DECREASE = 0.5;
/** After a 429 the rate is set this far below what the server accepted lately. */
const RATE_MARGIN = 0.9;
/** "Lately": long enough that a burst the server allowed does not pass for its rate. */
const ACCEPTED_WINDOW_MS = 3000;
/**
 * Increase of a learned rate per second of successes without a 429: 5% of it, at least
 * 0.5 requests/s, but never more than 10% of it (against a server limited to 1 request/s,
 * 0.5/s more each second drew a 429 for every other request).
 */
const RATE_GROWTH = 0.05;
const RATE_MIN_STEP = 0.5;
const RATE_MAX_GROWTH = 0.1;
/** Latency counts as risen (queueing, not distance) above max(2 × the best seen, best + 50 ms). */
const LATENCY_FACTOR = 2;
const LATENCY_SLACK_MS = 50;
/** One decrease per congestion event: signals within this window after a decrease are the same event. */
const HOLD_MS = 1000;

/**
 * Finds a host's pace from its answers, in the spirit of TCP congestion control.
 *
 * Concurrency (when adaptive): slow start (+1 per success, doubling per round trip)
 * until latency rises or the server pushes back, then additive increase
 * (+1 per round trip) and multiplicative decrease (×0.5) on 429, 503 or a timeout.
 *
 * Rate (always): a server that answers 429 is limiting a rate, which concurrency
 * alone cannot match. The pace is then set to 90% of the rate it accepted over the
 * last 3 seconds, and raised by 5% (at least 0.5 requests/s, at most 10%) for each
 * second of successes without a 429, counted from the first success after it (a
 * Retry-After pause earns nothing); a user's `--rate` stays the ceiling. Retry-After itself is honoured by the
 * limiter's pause.
 */
export class PaceController {
  #limit: number;
  #slowStart: boolean;
  #rate: number | undefined;
  /** When the rate was last raised or learned; undefined after a 429 until the next success. */
  #rateRaisedAt: number | undefined = 0;
  #decreasedAt = -Infinity;
  #bestLatency = Infinity;
  #latency = 0;
  /** Completion times of recent successes (ring), for the rate the server accepted lately. */
  readonly #successes = new Float64Array(8192);
  #successCount = 0;
  #firstSuccessAt = 0;

  constructor(
    private readonly limiter: HostLimiter,
    private readonly options: PaceOptions,
    private readonly clock: Clock,
  ) {
    this.#limit = options.adaptive ? Math.min(options.maxConcurrency, options.initialConcurrency ?? 2) : options.maxConcurrency;
    this.#slowStart = options.adaptive;
    this.#rate = options.maxRatePerSecond;
    limiter.setConcurrency(Math.floor(this.#limit));
    if (this.#rate !== undefined) limiter.setRate(this.#rate);
  }

  get concurrency(): number {
    return Math.floor(this.#limit);
  }
  get ratePerSecond(): number | undefined {
    return this.#rate;
  }

  succeeded(latencyMs: number): void {
    const now = this.clock.now();
    if (this.#successCount === 0) this.#firstSuccessAt = now;
    this.#successes[this.#successCount++ % this.#successes.length] = now;
    this.#bestLatency = Math.min(this.#bestLatency, latencyMs);
    this.#latency = this.#latency === 0 ? latencyMs : this.#latency * 0.9 + latencyMs * 0.1;
    if (this.options.adaptive) this.#grow();
    // The time since a 429 counts from its first success: a Retry-After pause is no proof of a faster pace.
    if (this.#rateRaisedAt === undefined) this.#rateRaisedAt = now;
    else if (this.#rate !== undefined && this.#rate < (this.options.maxRatePerSecond ?? Infinity)) {
      const elapsed = (now - this.#rateRaisedAt) / 1000;
      if (elapsed >= 0.25) {
        const step = Math.min(Math.max(RATE_MIN_STEP, this.#rate * RATE_GROWTH), this.#rate * RATE_MAX_GROWTH);
        this.#rate = Math.min(this.options.maxRatePerSecond ?? Infinity, this.#rate + elapsed * step);
        this.#rateRaisedAt = now;
        this.limiter.setRate(this.#rate);
      }
    }
  }

  /** A 429 or 503: the server says slow down. */
  throttled(status: number): void {
    const now = this.clock.now();
    if (now - this.#decreasedAt < HOLD_MS) return;
    this.#decreasedAt = now;
    if (status === 429) {
      const accepted = this.#acceptedRate(now);
      const learned = accepted > 0 ? accepted * RATE_MARGIN : (this.#rate ?? 2) * DECREASE;
      this.#rate = Math.max(0.1, Math.min(learned, this.options.maxRatePerSecond ?? Infinity, this.#rate ?? Infinity));
      this.#rateRaisedAt = undefined;
      this.limiter.setRate(this.#rate);
    }
    this.#decrease();
  }

  /** A timeout: the path or the server is overloaded. */
  timedOut(): void {
    const now = this.clock.now();
    if (now - this.#decreasedAt < HOLD_MS) return;
    this.#decreasedAt = now;
    this.#decrease();
  }

  #grow(): void {
    // Growing only helps while the limit is what holds requests back.
    if (this.limiter.activeCount + 1 < Math.floor(this.#limit) && this.limiter.pendingCount === 0) return;
    if (this.#latency > Math.max(this.#bestLatency * LATENCY_FACTOR, this.#bestLatency + LATENCY_SLACK_MS)) {
      this.#slowStart = false;
      return;
    }
    this.#limit = Math.min(this.options.maxConcurrency, this.#limit + (this.#slowStart ? 1 : 1 / this.#limit));
    this.limiter.setConcurrency(Math.floor(this.#limit));
  }

  #decrease(): void {
    if (!this.options.adaptive) return;
    this.#slowStart = false;
    this.#limit = Math.max(1, this.#limit * DECREASE);
    this.limiter.setConcurrency(Math.floor(this.#limit));
  }

  /** Successes per second over the last few seconds (at least one second, however young the run). */
  #acceptedRate(now: number): number {
    const n = Math.min(this.#successCount, this.#successes.length);
    let count = 0;
    for (let i = 0; i < n; i++) if (now - this.#successes[i]! <= ACCEPTED_WINDOW_MS) count++;
    const span = Math.min(ACCEPTED_WINDOW_MS, Math.max(1000, now - this.#firstSuccessAt));
    return (count * 1000) / span;
  }
}
