import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { S3Event, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCompactHandler } from '../../adapters/lambda/compact-handler.js';
import { createDispatchHandler } from '../../adapters/lambda/dispatch-handler.js';
import { lambdaFetchContext } from '../../adapters/lambda/fetch-deps.js';
import { createFetchHandler } from '../../adapters/lambda/fetch-handler.js';
import { createNormaliseHandler } from '../../adapters/lambda/normalise-handler.js';
import { parquetCodec } from '../../adapters/parquet-merge.js';
import { InlineProcessor } from '../../adapters/inline-processor.js';
import { loadTableEncoder } from '../../adapters/table-encoder.js';
import { S3ObjectStore } from '../../adapters/s3-store.js';
import { SqsVisibility, SqsWorkQueue } from '../../adapters/sqs-queue.js';
import { UndiciHttpClient } from '../../adapters/undici-http.js';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { CURSOR_KEY } from '../../core/dispatch.js';
import type { MessageVisibility } from '../../core/ports.js';
import { seenMarkerKey } from '../../core/normalise-object.js';
import { REAL_ORIGINS } from '../../core/sources/index.js';
import { lotCount, startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { lambdaContext, sqsEvent, startAws } from '../helpers/aws.js';
import { tempDir } from '../helpers/data-dir.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const quiet = () => ({ logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }) });
const event = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as T;

let aws: Awaited<ReturnType<typeof startAws>>;
let sim: RunningSimulator;
let store: S3ObjectStore;
let queue: SqsWorkQueue;
const http = new UndiciHttpClient({ connections: 4 });

beforeAll(async () => {
  aws = await startAws();
  sim = await startSimulator({
    forced: { 100001: 'notFound', 100002: 'serverError', 100003: 'schema' },
    forcedTimes: 1000,
  });
  store = new S3ObjectStore(aws.s3, aws.bucket);
  queue = new SqsWorkQueue(aws.sqs, aws.queueUrl);
});
afterAll(async () => {
  await http.close();
  await sim?.close();
  await aws?.stop();
});

const fetchHandler = (maxReceiveCount = 8, visibility: MessageVisibility = new SqsVisibility(aws.sqs, [aws.queueUrl]), deps = quiet()) =>
  createFetchHandler({
    fetch: lambdaFetchContext(http, store, { concurrency: 2, baseUrl: sim.url }),
    store,
    visibility,
    maxReceiveCount,
    ...deps,
  });
/** The metrics an invocation publishes, by name. */
const metricsOf = (deps: ReturnType<typeof quiet>) => {
  const added = vi.spyOn(deps.metrics, 'addMetric');
  return () => Object.fromEntries(added.mock.calls.map(([name, , n]) => [name, n]));
};

describe('dispatch handler (events/schedule-*.json)', () => {
  it('sends the next window of MaxSold ids in batches and records the cursor', async () => {
    const handler = createDispatchHandler({ store, queue, config: { startId: 100000, window: 25, maxGap: 25 }, ...quiet() });
    const summary = await handler(event<ScheduledEvent>('schedule-maxsold.json'), lambdaContext());
    expect(summary).toMatchObject({ plan: 'maxsold', sent: 25, newIds: { from: 100000, to: 100024 } });
    const bodies: string[] = [];
    for (let m = await aws.receive(); m.length > 0; m = await aws.receive()) bodies.push(...m.map((x) => x.Body!));
    expect(bodies).toHaveLength(25);
    expect(JSON.parse(bodies[0]!)).toEqual({ source: 'maxsold', id: '100000', dt: '2026-11-26' });
    expect(await aws.keys('state/')).toEqual([CURSOR_KEY]);
  });

  it('re-polls auctions still open and moves past the highest one seen', async () => {
    await store.put(seenMarkerKey('100010', Date.parse('2026-12-01T00:00:00Z')), new Uint8Array(0));
    await store.put(seenMarkerKey('100011', Date.parse('2026-11-01T00:00:00Z')), new Uint8Array(0));
    const handler = createDispatchHandler({ store, queue, config: { startId: 100000, window: 5, maxGap: 5 }, ...quiet() });
    const summary = await handler(event<ScheduledEvent>('schedule-maxsold.json'), lambdaContext());
    expect(summary).toMatchObject({ sent: 6, newIds: { from: 100012, to: 100016 }, repolled: 1, closedRemoved: 1 });
    const ids = (await aws.receive(10)).map((m) => JSON.parse(m.Body!).id).sort();
    expect(ids).toEqual(['100010', '100012', '100013', '100014', '100015', '100016']);
    expect(await aws.keys('state/seen/')).toEqual([seenMarkerKey('100010', Date.parse('2026-12-01T00:00:00Z'))]);
  });

  it('plans one VIA snapshot stamped with the schedule time', async () => {
    const handler = createDispatchHandler({ store, queue, config: { startId: 1, window: 1 }, ...quiet() });
    await handler(event<ScheduledEvent>('schedule-via.json'), lambdaContext());
    const [m] = await aws.receive();
    expect(JSON.parse(m!.Body!)).toEqual({ source: 'via', at: '2026-11-26T12:15:00Z' });
  });

  it('rejects an event without a plan', async () => {
    const handler = createDispatchHandler({ store, queue, config: { startId: 1, window: 1 }, ...quiet() });
    await expect(handler({ ...event<ScheduledEvent>('schedule-via.json'), detail: {} }, lambdaContext())).rejects.toThrow(/detail.plan/);
  });
});

describe('fetch handler (events/sqs-fetch-batch.json)', () => {
  it('writes raw objects with metadata and fails exactly the messages to retry', async () => {
    await queue.send([100000, 100001, 100002, 100003].map((id) => ({ source: 'maxsold', id: String(id), dt: '2026-11-26' })));
    const messages = await aws.receive();
    const byId = Object.fromEntries(messages.map((m) => [JSON.parse(m.Body!).id, m.MessageId!]));
    const visibility = { delay: vi.fn(async () => {}) };
    const res = await fetchHandler(8, visibility as never)(sqsEvent(messages), lambdaContext());
    // 100000 stored, 100001 is a 404 (done, not retried), 100002 a 500 and 100003 a schema failure: both retried.
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([byId['100002'], byId['100003']].sort());
    expect(visibility.delay).toHaveBeenCalledTimes(2);
    const raw = await aws.object('raw/source=maxsold/dt=2026-11-26/auction=100000.json.gz');
    expect(raw.metadata).toMatchObject({ status: '200', attempts: '1' });
    expect(raw.metadata.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await aws.keys('raw/source=maxsold/dt=2026-11-26/auction=10000')).toEqual([
      'raw/source=maxsold/dt=2026-11-26/auction=100000.json.gz',
    ]);
  });

  it("on the last delivery quarantines a poison body, keeping the day's raw object, and lets a transient one go to the DLQ", async () => {
    // An earlier poll today stored a good body for 100003 (an open auction re-polled).
    const rawKey = 'raw/source=maxsold/dt=2026-11-26/auction=100003.json.gz';
    await store.put(rawKey, gzipSync('{"earlier":"good"}'), { 'fetched-at': '2026-11-26T09:00:00Z' });
    const records = sqsEvent([
      {
        MessageId: 'm-500',
        ReceiptHandle: 'r1',
        Body: JSON.stringify({ source: 'maxsold', id: '100002', dt: '2026-11-26' }),
        Attributes: { ApproximateReceiveCount: '8' },
      },
      {
        MessageId: 'm-schema',
        ReceiptHandle: 'r2',
        Body: JSON.stringify({ source: 'maxsold', id: '100003', dt: '2026-11-26' }),
        Attributes: { ApproximateReceiveCount: '8' },
      },
    ]);
    const visibility = { delay: vi.fn(async () => {}) };
    const deps = quiet();
    const metrics = metricsOf(deps);
    const res = await fetchHandler(8, visibility as never, deps)(records, lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-500' }]);
    expect(visibility.delay).not.toHaveBeenCalled();
    const poison = await aws.object('quarantine/source=maxsold/dt=2026-11-26/auction=100003.json.gz');
    expect(poison.metadata).toMatchObject({ attempts: '8', reason: expect.stringMatching(/^schema: /) });
    expect(JSON.parse(gunzipSync(poison.body).toString()).auction.id).toBe('oops');
    expect(gunzipSync((await aws.object(rawKey)).body).toString()).toBe('{"earlier":"good"}');
    expect(metrics()).toMatchObject({ Quarantined: 1 });
  });

  it('a 429 sets the message visibility to Retry-After and fails it, without sleeping', async () => {
    // This server allows a burst of 3, then one request per 100 s: the rest of the batch is throttled
    // with Retry-After: 100, a wait that a handler sleeping it out would run into the test's timeout with.
    const limited = await startSimulator({ rateLimit: { perSecond: 0.01, burst: 3 } });
    const items = [100020, 100021, 100022, 100023, 100024, 100025].map((id) => ({
      source: 'maxsold' as const,
      id: String(id),
      dt: '2026-11-26',
    }));
    await queue.send(items);
    const messages = await aws.receive();
    const visibility = { delay: vi.fn(async () => {}) };
    const handler = createFetchHandler({
      fetch: lambdaFetchContext(http, store, { concurrency: 2, baseUrl: limited.url }),
      store,
      visibility: visibility as never,
      maxReceiveCount: 8,
      ...quiet(),
    });
    const res = await handler(sqsEvent(messages), lambdaContext());
    await limited.close();
    expect(res.batchItemFailures.length).toBe(3);
    expect(visibility.delay).toHaveBeenCalledTimes(3);
    // The server's wait (100 s, less the moments since it was sent), handed to the queue.
    for (const call of visibility.delay.mock.calls as unknown as [string, number][]) expect(call[1]).toBeGreaterThan(90);
    expect(limited.stats().throttled429).toBeGreaterThanOrEqual(1);
    // Once a 429 is back the host is paused: what is still queued is failed without a request.
    expect(limited.stats().requests).toBeLessThan(items.length);
  });

  it('a 429 without a Retry-After keeps the message away 30 s, not a moment (each return costs a delivery)', async () => {
    const server = createServer((_req, res) => res.writeHead(429).end('slow down'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const visibility = { delay: vi.fn(async () => {}) };
      const handler = createFetchHandler({
        fetch: lambdaFetchContext(http, store, { concurrency: 2, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
        store,
        visibility: visibility as never,
        maxReceiveCount: 8,
        ...quiet(),
      });
      const records = sqsEvent([
        { MessageId: 'm-429', ReceiptHandle: 'r', Body: JSON.stringify({ source: 'maxsold', id: '100030', dt: '2026-11-26' }) },
      ]);
      const res = await handler(records, lambdaContext());
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-429' }]);
      expect(visibility.delay).toHaveBeenCalledWith('r', 30, expect.anything());
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('takes the sample batch events/sqs-fetch-batch.json as it is', async () => {
    // 100000 and the VIA snapshot are stored, 100001 is a 404 (done), 100002 a 500 this server always sends (retried).
    const batch = event<SQSEvent>('sqs-fetch-batch.json');
    const visibility = { delay: vi.fn(async () => {}) };
    const res = await fetchHandler(8, visibility as never)(batch, lambdaContext());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[2]!.messageId }]);
    expect(visibility.delay).toHaveBeenCalledWith(batch.Records[2]!.receiptHandle, expect.any(Number), batch.Records[2]!.eventSourceARN);
    expect(await aws.keys('raw/source=via/')).toEqual(['raw/source=via/dt=2026-11-26/snapshot=20261126T121500Z.json.gz']);
  });

  it('really changes the visibility of a message in SQS, on the queue it came from', async () => {
    // Two queues, as deployed (polls and bid histories): the record's ARN picks the queue.
    const { QueueUrl: bidsUrl } = await aws.sqs.send(
      new CreateQueueCommand({ QueueName: 'bid-histories', Attributes: { VisibilityTimeout: '30' } }),
    );
    const visibility = new SqsVisibility(aws.sqs, [aws.queueUrl, bidsUrl!]);
    await new SqsWorkQueue(aws.sqs, bidsUrl!).send([{ source: 'maxsold', id: '100001', itemId: '7', dt: '2026-11-26' }]);
    const receive = () => aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: bidsUrl, MaxNumberOfMessages: 10 }));
    const [m] = (await receive()).Messages ?? [];
    await visibility.delay(m!.ReceiptHandle!, 0, 'arn:aws:sqs:us-east-1:000000000000:bid-histories');
    const [again] = (await receive()).Messages ?? [];
    expect(again!.MessageId).toBe(m!.MessageId);
    await expect(visibility.delay(again!.ReceiptHandle!, 0, 'arn:aws:sqs:us-east-1:000000000000:other')).rejects.toThrow(
      /no queue URL for arn:aws:sqs:us-east-1:000000000000:other/,
    );
  });
});

describe('normalise handler (events/s3-raw-created.json)', () => {
  const rawCreated = () => {
    const e = event<S3Event>('s3-raw-created.json');
    e.Records[0]!.s3.bucket.name = aws.bucket;
    return e;
  };
  const normaliser = (deps = quiet()) =>
    createNormaliseHandler({ store, processor: new InlineProcessor({ origins: REAL_ORIGINS }, store, loadTableEncoder), ...deps });

  it('writes Parquet that DuckDB reads back with the right rows, and a seen marker', async () => {
    const e = rawCreated();
    const deps = quiet();
    const metrics = metricsOf(deps);
    const handler = normaliser(deps);
    const outcomes = await handler(e, lambdaContext());
    expect(outcomes).toEqual({ 'raw/source=maxsold/dt=2026-11-26/auction=100000.json.gz': 'fetched' });
    // Its rows, not the item again: the fetch that stored the raw object counted it as fetched.
    expect(metrics()).toEqual({ RowsWritten: lotCount(100000) + 1 });
    const files = await aws.keys('tables/');
    expect(files).toEqual([
      'tables/maxsold_auctions/dt=2026-11-26/maxsold-100000.parquet',
      'tables/maxsold_items/dt=2026-11-26/maxsold-100000.parquet',
    ]);
    const { dir, cleanup } = tempDir('normalised-');
    try {
      for (const key of files) {
        mkdirSync(dirname(join(dir, key)), { recursive: true });
        writeFileSync(join(dir, key), (await aws.object(key)).body);
      }
      const db = await TableQuery.open(dir);
      expect(Number((await db.query('SELECT count(*) FROM maxsold_items')).rows[0]![0])).toBe(lotCount(100000));
      db.close();
    } finally {
      cleanup();
    }
    expect(await aws.keys('state/seen/auction=100000')).toHaveLength(1);
  });

  it('leaves the seen marker alone when a re-poll finds the closing time it was planned from, and writes a later one', async () => {
    const key = 'raw/source=maxsold/dt=2026-11-26/auction=100000.json.gz';
    const e = rawCreated();
    const handler = normaliser();
    const [marker] = await aws.keys('state/seen/auction=100000/');
    const closes = /closes=(\d{8}T\d{6}Z)$/.exec(marker!)![1]!;
    const raw = await aws.object(key);
    const repoll = async (plannedCloses: string) => {
      await store.delete(await aws.keys('state/seen/'));
      const item = { source: 'maxsold', id: '100000', dt: '2026-11-26', closes: plannedCloses };
      await store.put(key, raw.body, { ...raw.metadata, 'work-item': JSON.stringify(item) });
      expect(await handler(e, lambdaContext())).toEqual({ [key]: 'fetched' });
      return aws.keys('state/seen/');
    };
    // Planned from the marker it would write: that marker exists, nothing is written.
    expect(await repoll(closes)).toEqual([]);
    // Planned from an earlier closing time (the auction was extended since): the later marker.
    expect(await repoll('20261101T000000Z')).toEqual([marker]);
  });

  it('a same-day re-poll answered without items removes the table files the earlier version wrote', async () => {
    const key = 'raw/source=maxsold/dt=2026-11-26/auction=100000.json.gz';
    const tables = [
      'tables/maxsold_auctions/dt=2026-11-26/maxsold-100000.parquet',
      'tables/maxsold_items/dt=2026-11-26/maxsold-100000.parquet',
    ];
    expect(await aws.keys('tables/')).toEqual(tables);
    const raw = await aws.object(key);
    const body = JSON.parse(gunzipSync(raw.body).toString('utf8')) as { auction: { items: unknown[] } };
    body.auction.items = [];
    await store.put(key, gzipSync(JSON.stringify(body)), raw.metadata);
    // Nothing to count (the fetch counted the empty auction): no metrics, and no warning line about it either.
    const warn = vi.fn();
    const logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
    const deps = { ...quiet(), metrics: new Metrics({ namespace: 'Test', serviceName: 'test', logger }) };
    expect(await normaliser(deps)(rawCreated(), lambdaContext())).toEqual({ [key]: 'empty' });
    expect(warn).not.toHaveBeenCalled();
    expect(await aws.keys('tables/')).toEqual([]);
    await store.put(key, raw.body, raw.metadata);
    expect(await normaliser()(rawCreated(), lambdaContext())).toEqual({ [key]: 'fetched' });
    expect(await aws.keys('tables/')).toEqual(tables);
  });

  it('quarantines a body that fails validation, with the reason', async () => {
    const e = rawCreated();
    e.Records[0]!.s3.object.key = 'raw/source%3Dmaxsold/dt%3D2026-11-26/auction%3D100003.json.gz';
    const deps = quiet();
    const metrics = metricsOf(deps);
    const handler = normaliser(deps);
    expect(await handler(e, lambdaContext())).toEqual({ 'raw/source=maxsold/dt=2026-11-26/auction=100003.json.gz': 'quarantined' });
    expect(metrics()).toEqual({ Quarantined: 1 });
    const q = await aws.object('quarantine/source=maxsold/dt=2026-11-26/auction=100003.json.gz');
    expect(q.metadata.reason).toMatch(/^schema: /);
  });
});

describe('compact handler (events/schedule-compact.json)', () => {
  it('merges the closed partitions into one part per table', async () => {
    const handler = createCompactHandler({ store, codec: parquetCodec, ...quiet() });
    const r = await handler(event<ScheduledEvent>('schedule-compact.json'), lambdaContext());
    expect(r.partitions).toBe(2);
    expect(await aws.keys('tables/maxsold_items/')).toEqual(['tables/maxsold_items/dt=2026-11-26/compacted-000001.parquet']);
  });

  it('out of time, leaves the partitions for the next night and counts them in PartitionsLeftUncompacted (an alarm watches it)', async () => {
    // A per-object file beside each part: the partitions have something to merge again.
    for (const k of await aws.keys('tables/')) await store.put(k.replace(/compacted-\d+/, 'maxsold-100001'), (await aws.object(k)).body);
    const deps = quiet();
    const added = vi.spyOn(deps.metrics, 'addMetric');
    const handler = createCompactHandler({ store, codec: parquetCodec, ...deps });
    // Less than the margin a step needs.
    const r = await handler(event<ScheduledEvent>('schedule-compact.json'), lambdaContext(5_000));
    expect(r).toMatchObject({ partitions: 0, partitionsLeft: 2, filesMerged: 0 });
    expect(added).toHaveBeenCalledWith('PartitionsLeftUncompacted', 'Count', 2);
    expect(await aws.keys('tables/maxsold_items/')).toEqual([
      'tables/maxsold_items/dt=2026-11-26/compacted-000001.parquet',
      'tables/maxsold_items/dt=2026-11-26/maxsold-100001.parquet',
    ]);
  });
});
