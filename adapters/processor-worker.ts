import { parentPort, workerData } from 'node:worker_threads';
import type { ProcessResult } from '../core/ports.js';
import { transferable, type PoolTask } from './pool-processor.js';
import { encodeTableFile, processResponse, type ProcessorConfig } from './response-processor.js';

// One task in, one result out; buffers move both ways by transfer, not copy.
const config = workerData as ProcessorConfig;
parentPort!.on('message', (task: PoolTask) => {
  if (task.op === 'encode') {
    const file = encodeTableFile(task.table, task.batches);
    parentPort!.postMessage(file, transferable(file));
    return;
  }
  const result: ProcessResult = processResponse(task.input, config);
  const buffers = result.kind === 'accepted' ? [result.rawGz, ...result.chunks.map((c) => c.batch)] : result.kind === 'failed' ? [result.rawGz] : [];
  parentPort!.postMessage(result, transferable(...buffers));
});
