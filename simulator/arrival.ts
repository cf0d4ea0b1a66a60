/**
 * When did a request arrive? Only when this event loop gets to it. When the loop was busy
 * (building a large body, collecting garbage, waiting for a core), the request may have
 * arrived any time since the loop last ran: the Retry-After check gives the client the
 * benefit of that doubt, both ways (the earliest it may have come against a window's start,
 * now against its end).
 *
 * A heartbeat every `beatMs` measures it. A late beat marks a stall that began when the beat
 * was due; libuv runs timers before I/O in a turn of the loop, so the requests handled in that
 * same turn (until the next setImmediate) queued up during it. A turn that is itself slow
 * (the beat ran, then the I/O callbacks before this request took long) is a stall too, from when
 * the next beat was due; right after a late beat both hold, and the earlier start counts. A stall is measured on the monotonic
 * clock: the wall clock may jump (a virtual clock skipping idle time, or NTP) without the loop
 * having been busy.
 */
export class ArrivalClock {
  #lastBeat: number;
  #lastBeatMono: number;
  #stallStart: number | undefined;

  constructor(
    private readonly beatMs: number,
    wall: number,
    mono: number,
  ) {
    this.#lastBeat = wall;
    this.#lastBeatMono = mono;
  }

  /** The heartbeat ran (a timer every `beatMs`). Returns whether it was late: call `turnEnded` after this turn's I/O. */
  beat(wall: number, mono: number): boolean {
    const late = mono - this.#lastBeatMono > 2 * this.beatMs;
    if (late) this.#stallStart ??= this.#lastBeat + this.beatMs;
    this.#lastBeat = wall;
    this.#lastBeatMono = mono;
    return late;
  }

  /** The turn of the loop that saw a late beat is over: what arrives from now on was not held up by it. */
  turnEnded(): void {
    this.#stallStart = undefined;
  }

  /** The earliest wall time a request the loop sees at `wall` (monotonic `mono`) may have arrived. */
  earliest(wall: number, mono: number): number {
    const sinceBeat = mono - this.#lastBeatMono;
    const slowTurn = sinceBeat > 2 * this.beatMs ? wall - (sinceBeat - this.beatMs) : wall;
    return Math.min(slowTurn, this.#stallStart ?? wall);
  }
}
