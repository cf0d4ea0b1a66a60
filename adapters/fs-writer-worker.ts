import { parentPort } from 'node:worker_threads';
import { writeFilesAtomically, type FileWrite } from './atomic-files.js';

export type WriterReply = { ok: true } | { ok: false; code?: string; message: string; path?: string };

// The data directory's writer thread: one batch of files per message, written in order.
parentPort!.on('message', (writes: FileWrite[]) => {
  try {
    writeFilesAtomically(writes);
    parentPort!.postMessage({ ok: true } satisfies WriterReply);
  } catch (e) {
    parentPort!.postMessage({ ok: false, code: (e as NodeJS.ErrnoException).code, message: (e as Error).message, path: (e as { target?: string }).target } satisfies WriterReply);
  }
});
