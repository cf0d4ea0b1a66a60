import type { CancelTimer, Clock } from './clock.js';

export interface LimiterOptions {
  /** Most requests open at once. */
  concurrency: number;
  /** Requests started per second; unlimited when absent. */
  ratePerSecond?: number;
  /** Requests that may start back to back before the rate applies. @default 1 */
  burst?: number;
}

export type Release = () => void;

interface Waiter {
  resolve: (release: Release | undefined) => void;
  /** Resolve with undefined instead of waiting out a pause. */
  failWhenPaused?: boolean;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The semaphore in front of one host: at most `concurrency` requests open, an
 * optional token bucket for a request rate, and a pause (Retry-After) that holds
 * every new request to the host until it expires. Waiters are served in order.
 */
export class HostLimiter {
  #concurrency: number;
  #rate: number | undefined;
  #burst: number;
  #tokens: number;
  #refilledAt: number;
  #pausedUntil = 0;
  #active = 0;
  #peak = 0;
  #cancelWake: CancelTimer | undefined;
  #timerAt = 0;
  #drainScheduled = false;
  readonly #queue: Waiter[] = [];

  constructor(
    options: LimiterOptions,
    private readonly clock: Clock,
  ) {
    validateLimiterOptions(options);
    this.#concurrency = options.concurrency;
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst ?? 1;
    this.#tokens = this.#burst;
    this.#refilledAt = clock.now();
  }

  get activeCount(): number {
    return this.#active;
  }
  get pendingCount(): number {
    return this.#queue.length;
  }
  /** Most requests ever open at once: what tests and reports assert on. */
  get peakActiveCount(): number {
    return this.#peak;
  }
  get concurrency(): number {
    return this.#concurrency;
  }
  get pausedUntil(): number {
    return this.#pausedUntil;
  }
  get ratePerSecond(): number | undefined {
    return this.#rate;
  }

  setConcurrency(n: number): void {
    validateLimiterOptions({ concurrency: n });
    this.#concurrency = n;
    this.#drainSoon();
  }

  /** A new request rate (undefined = unlimited); the bucket keeps no more than `burst` tokens. */
  setRate(ratePerSecond: number | undefined, burst = 1): void {
    validateLimiterOptions({ concurrency: this.#concurrency, ratePerSecond, burst });
    const now = this.clock.now();
    if (this.#rate !== undefined) this.#refill(now);
    else this.#tokens = burst;
    this.#refilledAt = now;
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = Math.min(this.#tokens, burst);
    this.#drainSoon();
  }

  /** Hold new requests until `untilMs` (epoch ms). A pause only ever grows. */
  pauseUntil(untilMs: number): void {
    if (untilMs > this.#pausedUntil) this.#pausedUntil = untilMs;
  }

  /** Waits for a slot (and for any pause and the rate) and returns its release. */
  acquire(signal?: AbortSignal): Promise<Release> {
    return this.#enqueue(signal, false) as Promise<Release>;
  }

  /** Like `acquire`, but resolves undefined at once if the host is, or becomes, paused first. */
  acquireUnlessPaused(signal?: AbortSignal): Promise<Release | undefined> {
    return this.#enqueue(signal, true);
  }

  #enqueue(signal: AbortSignal | undefined, failWhenPaused: boolean): Promise<Release | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Release | undefined>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, failWhenPaused };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          // Nobody left to wake: a pause of minutes must not keep an interrupted process alive.
          if (this.#queue.length === 0) this.#clearWake();
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#drainSoon();
    });
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#active < this.#concurrency) {
      const now = this.clock.now();
      if (this.#pausedUntil > now) {
        this.#releasePausedWaiters();
        return this.#queue.length > 0 ? this.#wake(this.#pausedUntil) : undefined;
      }
      if (this.#rate !== undefined) {
        this.#refill(now);
        if (this.#tokens < 1) return this.#wake(now + Math.ceil(((1 - this.#tokens) * 1000) / this.#rate));
        this.#tokens -= 1;
      }
      const waiter = this.#queue.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.#active++;
      if (this.#active > this.#peak) this.#peak = this.#active;
      let released = false;
      waiter.resolve(() => {
        if (released) return;
        released = true;
        this.#active--;
        this.#drainSoon();
      });
    }
  }

  #releasePausedWaiters(): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const w = this.#queue[i];
      if (w === undefined || !w.failWhenPaused) continue;
      this.#queue.splice(i, 1);
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(undefined);
    }
  }

  /**
   * Slots are handed out only after the I/O already waiting is read (a freed slot, a
   * new waiter, a pause or rate timer that expired): a 429 that has arrived but not yet
   * been parsed pauses the host before the next request goes out, even when the event
   * loop was busy for a while. Timers run before I/O in a turn of the loop, and a new
   * waiter can come from the callback of another socket read earlier in the same turn.
   */
  #drainSoon(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    this.clock.afterIo(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #refill(now: number): void {
    const elapsed = now - this.#refilledAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate!) / 1000);
      this.#refilledAt = now;
    }
  }

  #clearWake(): void {
    this.#cancelWake?.();
    this.#cancelWake = undefined;
  }

  #wake(at: number): void {
    if (this.#cancelWake !== undefined && this.#timerAt <= at) return;
    this.#cancelWake?.();
    this.#timerAt = at;
    this.#cancelWake = this.clock.timer(Math.max(1, at - this.clock.now()), () => {
      this.#cancelWake = undefined;
      this.#drainSoon();
    });
  }
}

function validateLimiterOptions(o: LimiterOptions): void {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    throw new TypeError(`concurrency: expected a whole number from 1 up, got ${o.concurrency}`);
  if (o.ratePerSecond !== undefined && !(o.ratePerSecond > 0 && Number.isFinite(o.ratePerSecond))) {
    throw new TypeError(`rate: expected a positive number of requests per second, got ${o.ratePerSecond}`);
  }
  if (o.burst !== undefined && (!Number.isInteger(o.burst) || o.burst < 1))
    throw new TypeError(`burst: expected a whole number from 1 up, got ${o.burst}`);
}
