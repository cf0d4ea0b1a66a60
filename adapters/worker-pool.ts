import { Worker, type TransferListItem } from 'node:worker_threads';

interface Task<I, O> {
  input: I;
  transfer: TransferListItem[];
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

interface Slot<I, O> {
  worker: Worker;
  /** Sent and not yet answered, oldest first (a worker answers in order). */
  tasks: Task<I, O>[];
}

/**
 * Tasks sent to a worker ahead of its answers: with two, a worker that finishes one finds
 * the next already in its queue instead of idling until the main thread (busy, or not
 * scheduled on a full machine) hands it one.
 */
const DEPTH = 2;

const TS_ENTRY = new URL('./ts-worker-entry.mjs', import.meta.url);

/**
 * A fixed pool of worker threads, each working on one task at a time (the work is CPU
 * bound) with the next one waiting at its door. Tasks wait in FIFO order; a worker that
 * dies fails its tasks and is replaced.
 */
export class WorkerPool<I, O> {
  readonly #slots: Slot<I, O>[] = [];
  readonly #queue: Task<I, O>[] = [];
  #closed = false;
  #completed = 0;

  constructor(
    private readonly script: URL,
    readonly size: number,
    private readonly workerData: unknown,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`workers: expected a whole number from 1 up, got ${size}`);
  }

  get queued(): number {
    return this.#queue.length;
  }
  get completed(): number {
    return this.#completed;
  }

  /**
   * The threads start with the first task, not with the pool: a run's first requests go
   * out before the workers load (and compile) their code beside them.
   */
  run(input: I, transfer: TransferListItem[] = []): Promise<O> {
    if (this.#closed) return Promise.reject(new Error('worker pool is closed'));
    while (this.#slots.length < this.size) this.#slots.push(this.#spawn());
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ input, transfer, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#queue.splice(0)) t.reject(new Error('worker pool closed'));
    for (const slot of this.#slots) for (const t of slot.tasks.splice(0)) t.reject(new Error('worker pool closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #spawn(): Slot<I, O> {
    const worker = this.script.pathname.endsWith('.ts')
      ? // Under the TypeScript sources (tests), a small entry registers tsx before loading the script.
        new Worker(TS_ENTRY, { workerData: this.workerData, argv: [this.script.href] })
      : new Worker(this.script, { workerData: this.workerData });
    const slot: Slot<I, O> = { worker, tasks: [] };
    worker.on('message', (output: O) => {
      const task = slot.tasks.shift();
      this.#completed++;
      task?.resolve(output);
      this.#dispatch();
    });
    worker.on('error', (err) => this.#replace(slot, err));
    // A reply that cannot be read would leave the replies after it answering the wrong tasks.
    worker.on('messageerror', (err) => this.#replace(slot, err));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#replace(slot, new Error(`worker exited with code ${code}`));
    });
    worker.unref();
    return slot;
  }

  #replace(slot: Slot<I, O>, err: unknown): void {
    const i = this.#slots.indexOf(slot);
    if (i < 0 || this.#closed) return;
    // The oldest task was running; the one behind it never started, and says so.
    slot.tasks
      .splice(0)
      .forEach((t, i) =>
        t.reject(i === 0 ? err : new Error(`worker died before this task started (${(err as Error)?.message ?? String(err)})`)),
      );
    void slot.worker.terminate();
    this.#slots[i] = this.#spawn();
    this.#dispatch();
  }

  #dispatch(): void {
    // Idle workers first, then a second task each: spread before stacking.
    for (let depth = 1; depth <= DEPTH; depth++) {
      for (const slot of this.#slots) {
        if (slot.tasks.length >= depth || this.#queue.length === 0) continue;
        const task = this.#queue.shift()!;
        slot.tasks.push(task);
        slot.worker.ref();
        slot.worker.postMessage(task.input, task.transfer);
      }
    }
    // Idle workers must not keep the process alive.
    for (const slot of this.#slots) if (slot.tasks.length === 0) slot.worker.unref();
  }
}
