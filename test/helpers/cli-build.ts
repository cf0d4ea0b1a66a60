import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the spawned `scraper` command loads (cloud/ and test/ are not among them). */
const SOURCES = ['core', 'adapters', 'cli', 'simulator', 'emulator', 'bench', 'functions', 'cdk'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's transpiled sources are: `<dir>/cli/main.js` is the `scraper` command. */
    cliBuild: string;
  }
}

/**
 * Global setup: the sources transpiled once for the run, as tsx would transpile them in every
 * process (esbuild, types stripped, one file each), so that each `scraper` a test starts, and
 * each of its worker threads, skips loading tsx and transpiling (most of a short command's
 * CPU). Rebuilt before each rerun in watch mode; removed at the end.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', 'cli-build-'));
  const transpile = () =>
    build({
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
  await transpile();
  project.provide('cliBuild', dir);
  project.onTestsRerun(async () => void (await transpile()));
  return () => rmSync(dir, { recursive: true, force: true });
}
