import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { highPriority } from './priority.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** node's arguments for the `scraper` command: the run's transpiled sources (test/helpers/cli-build.ts). */
export function cliCommand(args: string[]): string[] {
  return ['--enable-source-maps', join(inject('cliBuild'), 'cli/main.js'), ...args];
}

export interface CliOptions {
  /** Run at high scheduling priority (test/helpers/priority.ts; only where canRaisePriority()). */
  highPriority?: boolean;
  /** Environment variables added to this process's. */
  env?: Record<string, string>;
}

/** node and its arguments for the `scraper` command, at high priority if asked. */
export function cliArgv(args: string[], o: CliOptions = {}): [string, ...string[]] {
  const argv: [string, ...string[]] = [process.execPath, ...cliCommand(args)];
  return o.highPriority ? (highPriority(argv) as [string, ...string[]]) : argv;
}

/** Starts the real `scraper` command as a child process in the project's directory. */
export function startCli(
  args: string[],
  o: CliOptions = {},
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
} {
  const [command, ...rest] = cliArgv(args, o);
  const child = spawn(command, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: o.env && { ...process.env, ...o.env } });
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
