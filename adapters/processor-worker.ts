import { parentPort, workerData } from 'node:worker_threads';
import type { ProcessInput } from '../core/ports.js';
import { transferable } from './pool-processor.js';
import { processResponse, type ProcessorConfig } from './response-processor.js';

// One body in, one result out; buffers move back by transfer, not copy.
const config = workerData as ProcessorConfig;
parentPort!.on('message', (input: ProcessInput) => {
  const result = processResponse(input, config);
  const buffers = result.kind === 'accepted' ? [result.rawGz, ...result.files.map((f) => f.bytes)] : result.kind === 'failed' ? [result.rawGz] : [];
  parentPort!.postMessage(result, transferable(...buffers));
});
