// Preloaded with --import: records every module each thread resolves, tagged "main" or "worker<id>",
// into the file named by MODULE_TRACE (one line per module: "<thread> <url>").
import { register } from 'node:module';
import { env } from 'node:process';
import { URL } from 'node:url';
import { isMainThread, threadId } from 'node:worker_threads';

register(new URL('./module-trace-hooks.mjs', import.meta.url), {
  data: { thread: isMainThread ? 'main' : `worker${threadId}`, file: env.MODULE_TRACE },
});
