import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda is bundled: one ESM file per handler, built locally by esbuild.
 * `NodejsFunction` gets `lambdaBundling()`; `esbuildOptions()` states the same build
 * for esbuild's API, so a test can build a handler exactly as a deploy would.
 */

/** The repository root: package-lock.json, node_modules and functions/ live here. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export const ESBUILD_TARGET = 'node22';

/** The Node.js 22 Lambda runtime ships AWS SDK v3; bundling it would only add cold-start weight. */
export const EXTERNAL_MODULES = ['@aws-sdk/*'];

/** Prefer packages' ESM builds. */
export const MAIN_FIELDS = ['module', 'main'];

/**
 * ESM has no `require`, `__filename` or `__dirname`, but CommonJS packages in the bundle
 * use them (parquet-wasm's node build does `require('fs')` and reads
 * `${__dirname}/parquet_wasm_bg.wasm`). The imports are aliased so that they cannot
 * clash with a bundled module's own top-level `createRequire`/`dirname` imports, which
 * esbuild would emit unrenamed; esbuild itself reserves the free names `require`,
 * `__filename` and `__dirname` and renames bundle symbols away from them.
 */
export const ESM_BANNER = [
  "import { createRequire as __bannerCreateRequire } from 'node:module';",
  "import { fileURLToPath as __bannerFileURLToPath } from 'node:url';",
  "import { dirname as __bannerDirname } from 'node:path';",
  'const require = __bannerCreateRequire(import.meta.url);',
  'const __filename = __bannerFileURLToPath(import.meta.url);',
  'const __dirname = __bannerDirname(__filename);',
].join(' ');

/** parquet-wasm's node build loads this file from beside the bundle at import time. */
export const PARQUET_WASM_FILE = 'node_modules/parquet-wasm/node/parquet_wasm_bg.wasm';

/** The file name NodejsFunction gives an ESM bundle (the handler is `index.handler`). */
export const BUNDLE_FILE = 'index.mjs';

/** Shell-quote one argument for the afterBundling hook (bash runs it). */
function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Bundling options for NodejsFunction: local esbuild only, never Docker. `parquetWasm`:
 * the handler writes Parquet, so parquet-wasm's 5 MB .wasm ships beside its bundle
 * (the others leave it out; a test checks each bundle's inputs against this).
 */
export function lambdaBundling(options: { parquetWasm: boolean }): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: ESBUILD_TARGET,
    mainFields: MAIN_FIELDS,
    banner: ESM_BANNER,
    externalModules: EXTERNAL_MODULES,
    minify: true,
    sourceMap: true,
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) =>
        options.parquetWasm ? [`cp ${quote(join(inputDir, PARQUET_WASM_FILE))} ${quote(outputDir)}/`] : [],
    },
  };
}

/** The same build as `lambdaBundling()` for esbuild's JS API (NodejsFunction runs the esbuild CLI). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_BANNER },
    external: EXTERNAL_MODULES,
    minify: true,
    sourcemap: true,
  };
}
