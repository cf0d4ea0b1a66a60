import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { UndiciHttpClient } from '../adapters/undici-http.js';
import type { SimulatorStats } from '../simulator/index.js';
import { cliProgram } from './programs.js';

export interface SimulatorProcessOptions {
  latencyMs: number;
  jitterMs: number;
  /** Server-side rate limit, e.g. `100/s` (429 + Retry-After over it). */
  rate?: string;
  /** Auction ids whose bodies are made before it listens (the server then costs little CPU). */
  pregenerate?: { from: number; to: number };
}

export interface SimulatorProcess {
  url: string;
  pid: number;
  /** CPU seconds (user+sys) the simulator process has used so far; undefined where /proc is missing. */
  cpuSeconds(): number | undefined;
  stats(): Promise<SimulatorStats>;
  stop(): Promise<void>;
}

/**
 * `scraper simulate` in its own process, so the client's CPU time is measured apart
 * from the server's (they still share the machine's cores).
 */
export async function startSimulatorProcess(o: SimulatorProcessOptions): Promise<SimulatorProcess> {
  const { script, execArgv } = cliProgram();
  const args = [
    'simulate',
    '--port',
    '0',
    '--latency',
    String(o.latencyMs),
    '--jitter',
    String(o.jitterMs),
    ...(o.rate ? ['--rate', o.rate] : []),
    ...(o.pregenerate ? ['--pregenerate', `${o.pregenerate.from}-${o.pregenerate.to}`] : []),
  ];
  const child = spawn(process.execPath, [...execArgv, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const onData = (d: Buffer) => {
      stdout += d;
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (listening !== undefined) {
        child.stdout.off('data', onData);
        child.stdout.resume(); // the exit summary is not needed
        resolve(listening);
      }
    };
    child.stdout.on('data', onData);
    child.once('close', (code) => reject(new Error(`simulator exited (${code}) before listening: ${stderr.trim()}`)));
  });
  const http = new UndiciHttpClient({ connections: 1 });
  return {
    url,
    pid: child.pid!,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stats: async () => JSON.parse(Buffer.from((await http.get(`${url}/__sim/stats`)).body).toString('utf8')) as SimulatorStats,
    stop: async () => {
      await http.close();
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** Linux clock ticks per second (USER_HZ), fixed at 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process from /proc, all threads. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
