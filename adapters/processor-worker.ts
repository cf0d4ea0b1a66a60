import { getPriority, setPriority } from 'node:os';

// A pool worker's entry. First of all it steps below the main thread; then it loads the
// processing code (pool-task.ts: validators, normalisers, parquet-wasm), which takes a
// few hundred milliseconds of CPU that the main thread, sending its first requests,
// must not wait behind.

/**
 * Nice steps this thread stands below the main thread. The main thread only does I/O:
 * when a response (a 429 among them) arrives on a machine whose cores the pool keeps
 * busy, it runs first. Linux keeps a nice value per thread (setpriority on this thread,
 * `0`); elsewhere it would lower the whole process, so it is left alone there.
 */
const BELOW_MAIN = 5;
if (process.platform === 'linux') {
  try {
    setPriority(0, Math.min(19, getPriority(0) + BELOW_MAIN));
  } catch {
    // Not allowed to change it: the pool still works, at the main thread's priority.
  }
}
await import('./pool-task.js');
