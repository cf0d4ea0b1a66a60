import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaFetchContext } from '../../adapters/lambda/fetch-deps.js';
import { createFetchHandler } from '../../adapters/lambda/fetch-handler.js';
import { S3ObjectStore } from '../../adapters/s3-store.js';
import { UndiciHttpClient } from '../../adapters/undici-http.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { lambdaContext, sqsEvent, startAws } from '../helpers/aws.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let aws: Awaited<ReturnType<typeof startAws>>;
let sim: RunningSimulator;
let store: S3ObjectStore;
const http = new UndiciHttpClient({ connections: 4 });

beforeAll(async () => {
  aws = await startAws();
  // 100001 and 100003 are 404s; 100002 answers only after 20 s.
  sim = await startSimulator({ forced: { 100001: 'notFound', 100003: 'notFound', 100002: 'slow' }, forcedTimes: 1000, slowMs: 20_000 });
  store = new S3ObjectStore(aws.s3, aws.bucket);
});
afterAll(async () => {
  await http.close();
  await sim?.close();
  await aws?.stop();
});

const record = (id: number) => ({
  MessageId: `m-${id}`,
  ReceiptHandle: `r-${id}`,
  Body: JSON.stringify({ source: 'maxsold', id: String(id), dt: '2026-11-26' }),
});
const handlerWith = (logger: Logger, deadlineMarginMs?: number) =>
  createFetchHandler({
    fetch: lambdaFetchContext(http, store, { concurrency: 4, baseUrl: sim.url }),
    store,
    visibility: { delay: vi.fn(async () => {}) },
    maxReceiveCount: 8,
    deadlineMarginMs,
    logger,
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
  });

describe('fetch handler, a batch at a time', () => {
  it('at the deadline reports only the unfinished messages as failed; what finished is done', async () => {
    const handler = handlerWith(new Logger({ logLevel: 'SILENT' }), 1_000);
    // The deadline signal fires 3 s in (4 s left, 1 s margin): 100000 and the 404 are done by then, 100002 is not.
    const res = await handler(sqsEvent([record(100000), record(100001), record(100002)]), lambdaContext(4_000));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-100002' }]);
    expect(await aws.keys('raw/source=maxsold/dt=2026-11-26/auction=100000')).toHaveLength(1);
  });

  it('logs each record with its own keys, though records run concurrently', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = new Logger({ logLevel: 'INFO' });
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
    try {
      await handlerWith(logger)(sqsEvent([record(100001), record(100004), record(100003), record(100005)]), lambdaContext());
    } finally {
      write.mockRestore();
    }
    const permanent = lines.filter((l) => l.message === 'permanent outcome, not retried');
    expect(permanent.map((l) => [l.item, l.messageId]).sort()).toEqual([
      ['maxsold 100001', 'm-100001'],
      ['maxsold 100003', 'm-100003'],
    ]);
    // Nothing per record leaks into the batch's own line.
    expect(lines.find((l) => l.message === 'batch done')).not.toHaveProperty('item');
  });

  it('a message that is no work item fails on its own, and a log line says why', async () => {
    const lines: Record<string, unknown>[] = [];
    // An error goes to stderr, the rest to stdout.
    const writes = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
        return true;
      }),
    );
    let res;
    try {
      const bad = { MessageId: 'm-bad', ReceiptHandle: 'r-bad', Body: '{"source":"ebay"}' };
      res = await handlerWith(new Logger({ logLevel: 'INFO' }))(sqsEvent([record(100004), bad]), lambdaContext());
    } finally {
      for (const write of writes) write.mockRestore();
    }
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(lines.find((l) => l.message === 'not a work item')).toMatchObject({
      messageId: 'm-bad',
      body: '{"source":"ebay"}',
      level: 'ERROR',
    });
  });
});
