import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliOptions {
  /**
   * Run `cli/main.ts` under tsx instead of the run's transpiled copy (test/helpers/cli-build.ts):
   * for a command that reads the project's sources beside its own module (`cloud` bundles functions/*.ts).
   * @default false
   */
  sources?: boolean;
}

/** node's arguments for the `scraper` command: the run's transpiled sources, or the TypeScript sources under tsx. */
export function cliCommand(args: string[], o: CliOptions = {}): string[] {
  return o.sources
    ? ['--import', 'tsx', 'cli/main.ts', ...args]
    : ['--enable-source-maps', join(inject('cliBuild'), 'cli/main.js'), ...args];
}

/** Starts the real `scraper` command as a child process in the project's directory. */
export function startCli(
  args: string[],
  o: CliOptions = {},
): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, cliCommand(args, o), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export async function runCli(args: string[], o: CliOptions = {}) {
  return startCli(args, o).done;
}
