// A worker's entry under the TypeScript sources (tests, tsx): loads the worker script named by the
// first argument. A test run transpiles the sources once (test/helpers/cli-build.ts) and names
// the copy in SCRAPER_TRANSPILED (JSON: `{ root, copy }`): a script under the source root is then
// loaded from the copy, with no loader to start; otherwise tsx is registered in this thread first.
// A file rather than eval code, so that the process's --import preloads run in the worker as
// they do in every file worker.
import { relative, join, isAbsolute } from 'node:path';
import { argv, env } from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const script = argv[2];
const { root, copy } = JSON.parse(env.SCRAPER_TRANSPILED ?? '{}');
const within = root && copy ? relative(root, fileURLToPath(script)) : '..';
if (!within.startsWith('..') && !isAbsolute(within)) {
  await import(pathToFileURL(join(copy, within.replace(/\.ts$/, '.js'))).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(script);
}
