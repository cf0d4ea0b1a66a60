import type { CancelTimer, Clock } from '../../core/clock.js';

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** One turn of the real event loop: every promise callback queued so far has run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A Clock whose time moves only when the test says so. Timers fire in order of due
 * time; `afterIo` callbacks wait for `settle()`, so a test can put "I/O" (a 429 being
 * read) between a release and the slot it frees, as the event loop does.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<PendingTimer>();
  #deferred: (() => void)[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  timer(ms: number, fn: () => void): CancelTimer {
    const t: PendingTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(t);
    return () => void this.#timers.delete(t);
  }

  afterIo(fn: () => void): void {
    this.#deferred.push(fn);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        cancel();
        reject(signal?.reason);
      };
      const cancel = this.timer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs promise callbacks and `afterIo` callbacks until none are left, without moving time. */
  async settle(): Promise<void> {
    await turn();
    while (this.#deferred.length > 0) {
      const due = this.#deferred;
      this.#deferred = [];
      for (const fn of due) fn();
      await turn();
    }
  }

  /** Moves time forward by `ms`, firing each timer due on the way at its own instant. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await this.settle();
    for (let t = this.#next(end); t; t = this.#next(end)) {
      this.#timers.delete(t);
      this.#now = t.at;
      t.fn();
      await this.settle();
    }
    this.#now = end;
    await this.settle();
  }

  #next(until: number): PendingTimer | undefined {
    let first: PendingTimer | undefined;
    for (const t of this.#timers) if (t.at <= until && (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq))) first = t;
    return first;
  }
}
