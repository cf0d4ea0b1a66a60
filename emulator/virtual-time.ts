/**
 * One clock for the whole emulated world: schedules, SQS visibility (fauxqs reads
 * `Date.now`), S3/SQS latency, the API simulator's auctions, rate limit and latency, and
 * the handlers' own limiters and deadlines all read the same virtual time.
 *
 * Virtual time moves with the CPU time this process spends (so work takes as long as it
 * really computes), and when the world is idle (every request parked on a timer, nothing
 * computing) it jumps to the next timer instead of waiting for it. An hour of schedule
 * then costs the CPU work done in it, and a handler's duration is its CPU time plus the
 * latencies it waited for, as in Lambda. CPU time rather than wall time: on a shared
 * machine the process may wait seconds for a core, time no deployed function would lose
 * (with the wall clock, such a stall made fetches run past their timeout).
 *
 * `installClock()` (global-clock.ts) makes it the process's clock.
 */
import { AsyncResource } from 'node:async_hooks';
import { real } from './real-time.js';
import { TimerHeap } from './timer-heap.js';

/**
 * A counter that never runs backwards: when `read` starts over (a process restored from a
 * checkpoint, e.g. by CRIU, has its CPU counters reset), what it had counted is carried on.
 */
export function monotonic(read: () => number): () => number {
  let carried = 0;
  let last = 0;
  return () => {
    const raw = read();
    if (raw < last) carried += last;
    last = raw;
    return raw + carried;
  };
}

const cpuCounter = monotonic(() => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
});

/** Milliseconds of CPU this process has used (every thread, user and system), across a checkpoint restore. */
export function cpuNow(): number {
  return cpuCounter();
}

/**
 * cpuNow() read at most once per millisecond of wall time: the clock is read on every `Date`,
 * and a system call each time would cost more than the work it measures.
 */
function sampledCpuNow(): () => number {
  let sampledAt = -Infinity;
  let value = 0;
  return () => {
    const wall = performance.now();
    // The monotonic clock may also have moved back after a restore on another boot.
    if (wall - sampledAt >= 1 || wall < sampledAt) {
      sampledAt = wall;
      value = cpuNow();
    }
    return value;
  };
}

/** A queued firing of a timer: stale once the timer is cancelled or moved to another instant. */
interface Entry {
  due: number;
  id: number;
  timer: VirtualTimer;
}

/** What moves virtual time while nothing jumps it: CPU time (the emulation) or wall time. */
export type ClockSource = 'cpu' | 'wall';

/** Turns of the event loop (each with an I/O poll) that must pass unchanged before a jump. */
const CONFIRM_TURNS = 4;
/** Busy turns after which the idle loop polls every millisecond instead of every turn. */
const SPIN_TURNS = 200;

type Callback = (...args: unknown[]) => void;

/** A virtual timer with the parts of Node's Timeout that libraries use. */
export class VirtualTimer {
  cancelled = false;
  constructor(
    readonly owner: VirtualTime,
    readonly id: number,
    public due: number,
    readonly fn: Callback,
    readonly args: unknown[],
    readonly interval: number | undefined,
    public refed = true,
  ) {}

  ref(): this {
    this.refed = true;
    return this;
  }

  unref(): this {
    this.refed = false;
    return this;
  }

  hasRef(): boolean {
    return this.refed;
  }

  refresh(): this {
    this.owner.reschedule(this, this.owner.now() + (this.interval ?? this.delay));
    return this;
  }

  close(): this {
    this.owner.clear(this);
    return this;
  }

  delay = 0;

  [Symbol.toPrimitive](): number {
    return this.id;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export interface IdleProbe {
  /** Whether every request in flight is parked on a virtual timer. */
  idle(): boolean;
  /** Grows whenever anything happens that the probe can see (a request arrives, ends, parks). */
  activity(): number;
}

export class VirtualTime {
  #offset: number;
  #nextId = 1;
  readonly #timers = new Map<number, VirtualTimer>();
  readonly #queue = new TimerHeap<Entry>();
  #armed: { due: number; handle: ReturnType<typeof real.setTimeout> } | undefined;
  #ticks = 0;
  #looping = false;
  /** Virtual milliseconds skipped by jumps (the rest passed in real time). */
  skippedMs = 0;
  jumps = 0;

  readonly #source: () => number;

  /** @param options.source what moves the clock between jumps. @default 'cpu' */
  constructor(startMs: number, options: { source?: ClockSource } = {}) {
    this.#source = options.source === 'wall' ? real.now : sampledCpuNow();
    this.#offset = startMs - this.#source();
  }

  #pausedAt: number | undefined;
  #pauses = 0;

  now(): number {
    return this.#pausedAt ?? Math.floor(this.#source() + this.#offset);
  }

  /**
   * Stops the clock until `resume()`: for work that, deployed, happens beside the rest
   * rather than in front of it (a cold start loads its bundle in its own sandbox).
   */
  pause(): void {
    if (this.#pauses++ === 0) this.#pausedAt = this.now();
  }

  resume(): void {
    if (--this.#pauses > 0) return;
    const frozen = this.#pausedAt!;
    this.#pausedAt = undefined;
    this.#offset = frozen - this.#source();
    this.#arm();
  }

  setTimeout(fn: Callback, ms?: number, ...args: unknown[]): VirtualTimer {
    return this.#add(fn, ms, args, undefined);
  }

  setInterval(fn: Callback, ms?: number, ...args: unknown[]): VirtualTimer {
    return this.#add(fn, ms, args, Math.max(1, Number(ms) || 1));
  }

  /** Whether a timer (or its id, as `clearTimeout` may get it) is one of this clock's. */
  owns(timer: unknown): boolean {
    return timer instanceof VirtualTimer || this.#timers.has(Number(timer));
  }

  clear(timer: unknown): void {
    const t = timer instanceof VirtualTimer ? timer : this.#timers.get(Number(timer));
    if (!t || t.cancelled) return;
    t.cancelled = true;
    this.#timers.delete(t.id);
  }

  /** Promise that resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(() => resolve(), ms));
  }

  reschedule(t: VirtualTimer, due: number): void {
    if (t.cancelled) {
      t.cancelled = false;
      this.#timers.set(t.id, t);
    }
    t.due = due;
    this.#push(t);
  }

  #add(fn: Callback, ms: number | undefined, args: unknown[], interval: number | undefined): VirtualTimer {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    const delay = Math.max(1, Math.floor(Number(ms) || 1));
    // Run in the creator's async context, as Node's own timers do: due timers fire together, from
    // whichever real timer came first, so unbound one function's callback would run (and log, and
    // send requests) as another's.
    const t = new VirtualTimer(this, this.#nextId++, this.now() + delay, AsyncResource.bind(fn), args, interval);
    t.delay = delay;
    this.#timers.set(t.id, t);
    this.#push(t);
    return t;
  }

  #push(t: VirtualTimer): void {
    this.#queue.push({ due: t.due, id: t.id, timer: t });
    this.#arm();
  }

  #live(e: Entry): boolean {
    return !e.timer.cancelled && e.timer.due === e.due && this.#timers.get(e.id) === e.timer;
  }

  #head(): VirtualTimer | undefined {
    for (let e = this.#queue.peek(); e; e = this.#queue.peek()) {
      if (this.#live(e)) return e.timer;
      this.#queue.pop();
    }
    return undefined;
  }

  /**
   * One real timer for the earliest virtual one, for when the clock reaches it before a
   * jump does. Real time runs at least as fast as CPU time on one thread, so it fires on
   * time or early, and an early one arms again for what is left.
   */
  #arm(): void {
    const head = this.#head();
    if (!head) {
      // Nothing left to wait for: a real timer armed for a timer that a jump fired would hold the process.
      if (this.#armed) real.clearTimeout(this.#armed.handle);
      this.#armed = undefined;
      return;
    }
    if (this.#armed && this.#armed.due <= head.due) return;
    if (this.#armed) real.clearTimeout(this.#armed.handle);
    const handle = real.setTimeout(
      () => {
        this.#armed = undefined;
        this.#fireDue();
        this.#arm();
      },
      Math.max(0, head.due - this.now()),
    );
    if (!head.refed) handle.unref();
    this.#armed = { due: head.due, handle };
  }

  #fireDue(): void {
    const now = this.now();
    for (let t = this.#head(); t && t.due <= now; t = this.#head()) {
      this.#queue.pop();
      if (t.cancelled) continue;
      if (t.interval === undefined) this.#timers.delete(t.id);
      else {
        // A late interval fires once and starts again from now (as browsers do).
        t.due = Math.max(t.due + t.interval, now + 1);
        this.#push(t);
      }
      try {
        t.fn(...t.args);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  /** Jumps to the next timer that holds the process (`ref`), firing what falls due on the way. */
  #jump(): boolean {
    let target: number | undefined;
    for (const t of this.#timers.values()) if (t.refed && (target === undefined || t.due < target)) target = t.due;
    if (target === undefined) return false;
    const now = this.now();
    if (target > now) {
      this.#offset += target - now;
      this.skippedMs += target - now;
      this.jumps++;
    }
    this.#fireDue();
    this.#arm();
    return true;
  }

  /**
   * Starts skipping idle time: whenever `probe` reports every request parked and nothing
   * has happened for a few turns of the event loop (each polls for I/O), time jumps.
   * Keeps the process alive until `stopSkipping()`.
   */
  skipIdleTime(probe: IdleProbe): void {
    if (this.#looping) return;
    this.#looping = true;
    let seen = -1;
    let quiet = 0;
    let busy = 0;
    const turn = (): void => {
      if (!this.#looping) return;
      const activity = probe.activity() + this.#ticks;
      if (probe.idle() && activity === seen) quiet++;
      else {
        quiet = 0;
        busy++;
      }
      seen = activity;
      if (quiet >= CONFIRM_TURNS) {
        quiet = 0;
        busy = 0;
        this.#ticks++;
        this.#jump();
      }
      // Held (not unref'd) until stopSkipping(): an unref'd immediate lets the event loop
      // block in its I/O poll until the next real timer, and every jump would wait for one.
      if (busy > SPIN_TURNS) {
        busy = 0;
        real.setTimeout(turn, 1);
      } else real.setImmediate(turn);
    };
    real.setImmediate(turn);
  }

  stopSkipping(): void {
    this.#looping = false;
  }
}
