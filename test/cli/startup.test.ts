import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cliCommand } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRACE_HOOK = fileURLToPath(new URL('../helpers/module-trace.mjs', import.meta.url));

/** The packages each thread of a `scraper` command loaded. */
async function packagesLoaded(args: string[]): Promise<Record<string, Set<string>>> {
  const { dir, cleanup } = tempDir('trace-');
  try {
    const trace = join(dir, 'modules.txt');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', TRACE_HOOK, ...cliCommand(args)], {
        cwd: ROOT,
        stdio: 'ignore',
        env: { ...process.env, MODULE_TRACE: trace },
      });
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    const byThread: Record<string, Set<string>> = {};
    for (const line of readFileSync(trace, 'utf8').trim().split('\n')) {
      const [thread = '', url = ''] = line.split(' ');
      const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
      if (pkg) (byThread[thread] ??= new Set()).add(pkg);
    }
    return byThread;
  } finally {
    cleanup();
  }
}

const HEAVY = [
  'undici',
  'parquet-wasm',
  'apache-arrow',
  '@duckdb/node-api',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-sqs',
  'vega',
  'vega-lite',
];
const loaded = (pkgs: Set<string> | undefined, among: string[]) => among.filter((p) => pkgs?.has(p));

describe('each command loads what it uses, and nothing else', () => {
  let sim: RunningSimulator;
  const cleanups: (() => void)[] = [];
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
    cleanups.forEach((c) => c());
  });

  it('--help loads none of the heavy packages', async () => {
    const threads = await packagesLoaded(['--help']);
    expect(loaded(threads.main, HEAVY)).toEqual([]);
  }, 60_000);

  it('query loads DuckDB, and neither undici, parquet-wasm nor the AWS SDK', async () => {
    const threads = await packagesLoaded(['query', 'SELECT 1', '--out', ROOT]);
    expect(loaded(threads.main, HEAVY)).toEqual(['@duckdb/node-api']);
  }, 60_000);

  it("run: the main thread loads undici only; the pool's threads load parquet-wasm, each once; nobody loads DuckDB or vega", async () => {
    const { dir, cleanup } = tempDir('trace-run-');
    cleanups.push(cleanup);
    const threads = await packagesLoaded([
      'run',
      'maxsold',
      '--ids',
      '100000-100039',
      '--base-url',
      sim.url,
      '--out',
      dir,
      '--workers',
      '2',
      '--quiet',
    ]);
    expect(loaded(threads.main, HEAVY)).toEqual(['undici']);
    const workers = Object.keys(threads).filter((t) => t.startsWith('worker'));
    const pool = workers.filter((t) => threads[t]!.has('parquet-wasm'));
    expect(pool).toHaveLength(2);
    for (const t of workers)
      expect(loaded(threads[t], ['undici', '@duckdb/node-api', 'vega', 'vega-lite', '@aws-sdk/client-s3'])).toEqual([]);
  }, 120_000);
});
