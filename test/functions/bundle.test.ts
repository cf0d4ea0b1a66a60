import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FILE, esbuildOptions, PARQUET_WASM_FILE, PROJECT_ROOT } from '../../cdk/bundling.js';
import { decodeParquet } from '../../adapters/parquet.js';
import { TABLES } from '../../core/tables.js';
import { fixtureBytes } from '../helpers/fixtures.js';
import { startAws } from '../helpers/aws.js';

// Inside the project, as in Lambda the runtime's AWS SDK sits outside the bundle; everything else is in it.
const dir = join(PROJECT_ROOT, '.tmp', `bundle-${process.pid}`);
let aws: Awaited<ReturnType<typeof startAws>>;

beforeAll(async () => {
  aws = await startAws();
  mkdirSync(dir, { recursive: true });
  await build({ ...esbuildOptions(join(PROJECT_ROOT, 'functions/normalise.ts'), join(dir, BUNDLE_FILE)), logLevel: 'error' });
  writeFileSync(
    join(dir, 'run.mjs'),
    "const { handler } = await import('./index.mjs');\n" +
      "const ctx = { getRemainingTimeInMillis: () => 60000, functionName: 'normalise', awsRequestId: 'bundle-test' };\n" +
      'process.stdout.write(JSON.stringify(await handler(JSON.parse(process.argv[2]), ctx)));\n',
  );
}, 120_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await aws?.stop();
});

function runBundle(event: unknown): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['run.mjs', JSON.stringify(event)], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        BUCKET_NAME: aws.bucket,
        AWS_ENDPOINT_URL_S3: aws.endpoint,
        QUEUE_URL: aws.queueUrl,
        BIDS_QUEUE_URL: aws.queueUrl,
        AWS_ENDPOINT_URL_SQS: aws.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const key = 'raw/source=maxsold/dt=2026-01-02/auction=104375.json.gz';
const s3Event = {
  Records: [
    {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'scraper-test' }, object: { key: encodeURIComponent(key).replaceAll('%2F', '/') } },
    },
  ],
};

describe('the normaliser as esbuild bundles it for Lambda', () => {
  it("fails to start without parquet-wasm's .wasm beside it (so it is not read from node_modules)", async () => {
    const r = await runBundle(s3Event);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/parquet_wasm_bg\.wasm/);
  });

  it('runs from its bundle directory with the .wasm copied in, and writes Parquet', async () => {
    copyFileSync(join(PROJECT_ROOT, PARQUET_WASM_FILE), join(dir, 'parquet_wasm_bg.wasm'));
    const { S3ObjectStore } = await import('../../adapters/s3-store.js');
    const store = new S3ObjectStore(aws.s3, aws.bucket);
    await store.put(key, gzipSync(fixtureBytes('maxsold/auction-104375.json')), {
      'fetched-at': '2026-01-02T18:19:14.000Z',
      url: 'https://maxsold.maxsold.com/msapi/auctions/items?auctionid=104375&limit=1000',
    });
    const r = await runBundle(s3Event);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ [key]: 'fetched' });
    const items = await aws.object('tables/maxsold_items/dt=2026-01-02/maxsold-104375.parquet');
    expect(decodeParquet(TABLES.maxsold_items, items.body)).toHaveLength(75);
  });
});
