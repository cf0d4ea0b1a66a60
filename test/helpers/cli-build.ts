import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the spawned `scraper` command loads (test/ is not among them). */
const SOURCES = ['core', 'adapters', 'cli', 'simulator', 'emulator', 'bench', 'functions', 'cdk'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's transpiled sources are: `<dir>/cli/main.js` is the `scraper` command. */
    cliBuild: string;
  }
}

interface CliBuild {
  dir: string;
  ready: Promise<unknown>;
  /** Projects using it; the last one to finish removes it. */
  users: number;
}

/** One build per run, whichever project's global setup asks first (every project runs this file). */
const SHARED = Symbol.for('api-scraper.test.cli-build');
const shared = globalThis as { [SHARED]?: CliBuild };

function transpile(dir: string) {
  return build({
    entryPoints: SOURCES.flatMap((d) =>
      (readdirSync(join(ROOT, d), { recursive: true }) as string[])
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
        .map((f) => join(ROOT, d, f)),
    ),
    outdir: dir,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
  });
}

/**
 * Global setup: the sources transpiled once for the run, as tsx would transpile them in every
 * process (esbuild, types stripped, one file each), so that each `scraper` a test starts, and
 * each of its worker threads, skips loading tsx and transpiling (most of a short command's
 * CPU). Rebuilt before each rerun in watch mode; removed at the end.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  let cli = shared[SHARED];
  if (!cli) {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.tmp', 'cli-build-'));
    cli = shared[SHARED] = { dir, ready: transpile(dir), users: 0 };
    project.onTestsRerun(async () => void (await transpile(dir)));
  }
  cli.users++;
  await cli.ready;
  project.provide('cliBuild', cli.dir);
  // Worker threads that tests start from the sources load this copy instead of registering tsx
  // (adapters/ts-worker-entry.mjs); test files' processes inherit the variable.
  process.env.SCRAPER_TRANSPILED = JSON.stringify({ root: ROOT, copy: cli.dir });
  return () => {
    if (--cli.users > 0) return;
    rmSync(cli.dir, { recursive: true, force: true });
    delete shared[SHARED];
  };
}
