// A worker for WorkerPool's tests: echoes its input with the thread that handled it.
import { parentPort, threadId } from 'node:worker_threads';

parentPort.on('message', (task) => {
  if (task.crash) throw new Error(`crashed on ${task.value}`);
  const until = Date.now() + (task.busyMs ?? 0);
  while (Date.now() < until);
  parentPort.postMessage({ value: task.value, threadId });
});
