import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory under the OS temp dir (`$TMPDIR`) for a run's bulk files, gigabytes after
 * hours: removed by `remove()` or, failing that, when the process exits (an uncaught error,
 * `process.exit` on Ctrl-C); only a kill -9 leaves it behind.
 */
export function scratchDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const removeNow = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeNow);
  return {
    dir,
    remove: () => {
      process.off('exit', removeNow);
      removeNow();
    },
  };
}
