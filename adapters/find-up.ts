import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest directory at or above a module's own that holds `marker` (a file or a path
 * like `fixtures/SHAPES.md`). The same code runs as `*.ts` sources, as `dist/*.js` and as a
 * test run's transpiled copy, each at its own depth: walking up finds the project from all three.
 */
export function findUp(moduleUrl: string, marker: string): string {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, marker))) return dir;
    if (dirname(dir) === dir) throw new Error(`no ${marker} in ${start} or above`);
  }
}
