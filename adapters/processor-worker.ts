import { parentPort, workerData } from 'node:worker_threads';
import { FatalError } from '../core/errors.js';
import type { ProcessInput } from '../core/ports.js';
import { FsObjectStore } from './fs-store.js';
import { transferable, type PoolReply, type PoolSetup } from './pool-processor.js';
import { storeResponse } from './response-processor.js';

// A pool worker: one body in, its files written here, a small summary out. Tasks run one after
// another, in the order they came (the pool matches answers to tasks by order).
const { config, out } = workerData as PoolSetup;
const store = new FsObjectStore(out);
// Only a worker that writes tables loads parquet-wasm (and compiles its WebAssembly).
const encode = config.normalise === false ? undefined : (await import('./parquet.js')).encodeTableFile;

let previous: Promise<void> = Promise.resolve();
parentPort!.on('message', (input: ProcessInput) => {
  previous = previous.then(async () => {
    const t0 = performance.now();
    let reply: PoolReply;
    try {
      const result = await storeResponse(input, { config, store, encode });
      reply = { ok: true, result, busyMs: performance.now() - t0 };
    } catch (e) {
      reply = { ok: false, fatal: e instanceof FatalError, message: (e as Error)?.message ?? String(e), busyMs: performance.now() - t0 };
    }
    parentPort!.postMessage(reply, transferable(reply.ok && reply.result.kind === 'failed' ? reply.result.rawGz : undefined));
  });
});
