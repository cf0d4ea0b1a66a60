// A worker's entry under the TypeScript sources (tests, tsx): registers tsx in this thread, then
// loads the worker script named by the first argument. A file rather than eval code, so that the
// process's --import preloads run in the worker as they do in every file worker.
import { argv } from 'node:process';

const { register } = await import('tsx/esm/api');
register();
await import(argv[2]);
