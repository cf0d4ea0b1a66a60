import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimulatorStats } from '../../simulator/index.js';
import { cliArgv, type CliOptions } from './cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The simulator in its own process (`scraper simulate`), so that its CPU work never
 * delays the client's event loop or the other way round: timing-sensitive counters
 * such as Retry-After violations then measure the client alone.
 */
export async function startSimulatorProcess(
  args: string[],
  o: CliOptions = {},
): Promise<{ url: string; stats(): Promise<SimulatorStats>; close(): Promise<void> }> {
  const [command, ...rest] = cliArgv(['simulate', '--port', '0', ...args], o);
  const child: ChildProcess = spawn(command, rest, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (listening !== undefined) resolve(listening);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stats: async () => (await (await fetch(`${url}/__sim/stats`)).json()) as SimulatorStats,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}
