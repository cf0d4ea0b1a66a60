import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_FILE,
  ESBUILD_TARGET,
  ESM_BANNER,
  EXTERNAL_MODULES,
  esbuildOptions,
  lambdaBundling,
  MAIN_FIELDS,
  PARQUET_WASM_FILE,
  PROJECT_ROOT,
} from '../../cdk/bundling.js';
import { handlerEntry } from '../../cdk/scraper-function.js';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { CDK_JSON_CONTEXT, TEST_USER_AGENT, testApp } from './cdk-app.js';

const temp = mkdtempSync(join(tmpdir(), 'cdk-bundling-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('bundling', () => {
  it('gives NodejsFunction and esbuildOptions() the same build', () => {
    const cdk = lambdaBundling({ parquetWasm: false });
    const api = esbuildOptions('functions/fetch.ts', 'out/index.mjs');
    expect(cdk).toMatchObject({
      format: OutputFormat.ESM,
      target: ESBUILD_TARGET,
      mainFields: MAIN_FIELDS,
      banner: ESM_BANNER,
      externalModules: EXTERNAL_MODULES,
      minify: true,
      sourceMap: true,
      forceDockerBundling: false,
    });
    expect(api).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: ESBUILD_TARGET,
      mainFields: MAIN_FIELDS,
      banner: { js: ESM_BANNER },
      external: EXTERNAL_MODULES,
      minify: true,
      sourcemap: true,
    });
    expect(ESBUILD_TARGET).toBe('node22');
    expect(EXTERNAL_MODULES).toEqual(['@aws-sdk/*']);
  });

  it("copies parquet-wasm's .wasm beside the bundles that write Parquet only, from a file that exists", () => {
    expect(existsSync(join(PROJECT_ROOT, PARQUET_WASM_FILE))).toBe(true);
    expect(lambdaBundling({ parquetWasm: true }).commandHooks!.afterBundling('/in', '/out')).toEqual([
      `cp '/in/${PARQUET_WASM_FILE}' '/out'/`,
    ]);
    expect(lambdaBundling({ parquetWasm: false }).commandHooks!.afterBundling('/in', '/out')).toEqual([]);
  });

  it('declares writesParquet exactly for the handlers whose bundle contains parquet-wasm (esbuild metafile)', async () => {
    const stack = new ScraperStack(testApp(), 'Declared');
    const declared = [stack.dispatchFunction, stack.fetchFunction, stack.normaliseFunction, stack.compactFunction];
    for (const f of declared) {
      const { metafile } = await build({
        ...esbuildOptions(handlerEntry(f.handlerName), join(temp, f.handlerName, BUNDLE_FILE)),
        write: false,
        metafile: true,
        sourcemap: false,
        logLevel: 'error',
      });
      const usesWasm = Object.keys(metafile.inputs).some((i) => i.startsWith('node_modules/parquet-wasm/'));
      expect(usesWasm, f.handlerName).toBe(f.writesParquet);
    }
    expect(
      declared
        .filter((f) => f.writesParquet)
        .map((f) => f.handlerName)
        .sort(),
    ).toEqual(['compact', 'normalise']);
  });

  it("banner gives ESM bundles require/__filename/__dirname without clashing with a module's own imports, even unminified", async () => {
    // A CommonJS module that needs the banner, and an ES module that declares the same names itself.
    writeFileSync(join(temp, 'legacy.cjs'), "module.exports = __dirname + ':' + typeof require('node:fs').readFileSync;\n");
    writeFileSync(
      join(temp, 'entry.mjs'),
      [
        "import { createRequire } from 'node:module';",
        "import { fileURLToPath } from 'node:url';",
        "import { dirname } from 'node:path';",
        "import legacy from './legacy.cjs';",
        'const require = createRequire(import.meta.url);',
        'const __dirname = dirname(fileURLToPath(import.meta.url));',
        "console.log(JSON.stringify([legacy, __dirname, typeof require('node:path').join]));",
      ].join('\n'),
    );
    for (const minify of [false, true]) {
      const outfile = join(temp, `out-${minify}`, BUNDLE_FILE);
      await build({ ...esbuildOptions(join(temp, 'entry.mjs'), outfile), minify, logLevel: 'error' });
      const dir = join(temp, `out-${minify}`);
      expect(JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' }))).toEqual([`${dir}:function`, dir, 'function']);
    }
  });

  it('cdk synth bundles each handler to index.mjs with its source map, and the .wasm where Parquet is written', () => {
    const outdir = join(temp, 'cdk.out');
    // CloudFormation's template validation is deployable.test.ts's subject, not this one's.
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { ...CDK_JSON_CONTEXT, 'scraper.userAgent': TEST_USER_AGENT, 'scraper.accountConcurrency': '1000' },
    });
    const stack = new ScraperStack(app, 'Bundled');
    const assembly = app.synth();
    const handlers = [stack.dispatchFunction, stack.fetchFunction, stack.normaliseFunction, stack.compactFunction];
    const template = assembly.getStackByName('Bundled').template as {
      Resources: Record<string, { Properties: { Code: { S3Key: string } } }>;
    };
    for (const f of handlers) {
      // The asset's directory is named for its hash, as is its key in the assets bucket.
      const hash = template.Resources[stack.getLogicalId(f.node.defaultChild as CfnResource)]!.Properties.Code.S3Key.replace(/\.zip$/, '');
      const files = readdirSync(join(assembly.directory, `asset.${hash}`)).sort();
      expect(files, f.handlerName).toEqual(
        f.writesParquet ? [BUNDLE_FILE, `${BUNDLE_FILE}.map`, 'parquet_wasm_bg.wasm'] : [BUNDLE_FILE, `${BUNDLE_FILE}.map`],
      );
    }
  });
});
