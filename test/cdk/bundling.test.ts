import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_FILE, ESBUILD_TARGET, ESM_BANNER, EXTERNAL_MODULES, esbuildOptions, lambdaBundling, MAIN_FIELDS, PARQUET_WASM_FILE, PROJECT_ROOT,
} from '../../cdk/bundling.js';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { CDK_JSON_CONTEXT } from './cdk-app.js';

const temp = mkdtempSync(join(tmpdir(), 'cdk-bundling-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('bundling', () => {
  it('gives NodejsFunction and esbuildOptions() the same build', () => {
    const cdk = lambdaBundling();
    const api = esbuildOptions('functions/fetch.ts', 'out/index.mjs');
    expect(cdk).toMatchObject({ format: OutputFormat.ESM, target: ESBUILD_TARGET, mainFields: MAIN_FIELDS, banner: ESM_BANNER, externalModules: EXTERNAL_MODULES, minify: true, sourceMap: true, forceDockerBundling: false });
    expect(api).toMatchObject({ bundle: true, platform: 'node', format: 'esm', target: ESBUILD_TARGET, mainFields: MAIN_FIELDS, banner: { js: ESM_BANNER }, external: EXTERNAL_MODULES, minify: true, sourcemap: true });
    expect(ESBUILD_TARGET).toBe('node22');
    expect(EXTERNAL_MODULES).toEqual(['@aws-sdk/*']);
  });

  it('copies parquet-wasm\'s .wasm beside every bundle, from a file that exists', () => {
    expect(existsSync(join(PROJECT_ROOT, PARQUET_WASM_FILE))).toBe(true);
    expect(lambdaBundling().commandHooks!.afterBundling('/in', '/out')).toEqual([`cp '/in/${PARQUET_WASM_FILE}' '/out'/`]);
  });

  it('banner gives ESM bundles require/__filename/__dirname without clashing with a module\'s own imports, even unminified', async () => {
    // A CommonJS module that needs the banner, and an ES module that declares the same names itself.
    writeFileSync(join(temp, 'legacy.cjs'), "module.exports = __dirname + ':' + typeof require('node:fs').readFileSync;\n");
    writeFileSync(join(temp, 'entry.mjs'), [
      "import { createRequire } from 'node:module';",
      "import { fileURLToPath } from 'node:url';",
      "import { dirname } from 'node:path';",
      "import legacy from './legacy.cjs';",
      'const require = createRequire(import.meta.url);',
      'const __dirname = dirname(fileURLToPath(import.meta.url));',
      "console.log(JSON.stringify([legacy, __dirname, typeof require('node:path').join]));",
    ].join('\n'));
    for (const minify of [false, true]) {
      const outfile = join(temp, `out-${minify}`, BUNDLE_FILE);
      await build({ ...esbuildOptions(join(temp, 'entry.mjs'), outfile), minify, logLevel: 'error' });
      const dir = join(temp, `out-${minify}`);
      expect(JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' }))).toEqual([`${dir}:function`, dir, 'function']);
    }
  });

  it('cdk synth bundles each handler to index.mjs with its source map and the .wasm', () => {
    const outdir = join(temp, 'cdk.out');
    const app = new App({ outdir, context: CDK_JSON_CONTEXT });
    const stack = new ScraperStack(app, 'Bundled');
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((f) => f.startsWith('asset.'));
    const handlers = [stack.dispatchFunction, stack.fetchFunction, stack.normaliseFunction, stack.compactFunction];
    expect(assets).toHaveLength(handlers.length);
    for (const asset of assets) expect(readdirSync(join(assembly.directory, asset)).sort()).toEqual([BUNDLE_FILE, `${BUNDLE_FILE}.map`, 'parquet_wasm_bg.wasm']);
  });
});
