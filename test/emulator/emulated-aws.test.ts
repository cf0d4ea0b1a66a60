import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { interceptLocalhostDns } from 'fauxqs';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CREDENTIALS, EmulatedAws, REGION, type ObjectCreated } from '../../emulator/emulated-aws.js';
import { allows, type Grant } from '../../emulator/iam.js';
import { until } from '../simulator/http.js';

// The emulated region's books when a client goes away mid-request, as a Lambda killed at its
// timeout does: the request must end (or the virtual clock, which jumps only when nothing is in
// flight, never jumps again) and release its key's lock.
let aws: EmulatedAws;
let gate: Promise<void> = Promise.resolve();
let open: () => void = () => {};
const created: ObjectCreated[] = [];

beforeAll(async () => {
  aws = await EmulatedAws.start({
    sleep: () => gate,
    now: () => Date.now(),
    onObjectCreated: (e) => created.push(e),
    onMessageSent: () => {},
  });
  await aws.admin.s3.send(new CreateBucketCommand({ Bucket: 'b' }));
});
afterAll(async () => aws?.stop());

it('ends a request whose client went away after sending it, carrying it out', async () => {
  await aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'one' }));
  created.length = 0;
  gate = new Promise((r) => (open = r));
  const ac = new AbortController();
  const put = aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'two' }), { abortSignal: ac.signal });
  const get = aws.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { abortSignal: ac.signal });
  await until(() => aws.parked === 2);
  ac.abort();
  await expect(put).rejects.toThrow();
  await expect(get).rejects.toThrow();
  await new Promise((r) => setTimeout(r, 50)); // the server sees the sockets close
  open();
  gate = Promise.resolve();
  await until(() => aws.inProgress === 0);
  // The whole body arrived, so the object was written and its event sent, as S3 would.
  expect(created.map((e) => e.key)).toEqual(['k']);
  const body = await (await aws.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).Body!.transformToString();
  expect(body).toBe('two');
  // The key's lock was released: the next write goes through.
  await aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'three' }));
  expect(aws.inProgress).toBe(0);
});

it('ends a request whose client went away while its response was being sent', async () => {
  gate = Promise.resolve();
  await aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'large', Body: Buffer.alloc(64 * 1024 ** 2, 1) }));
  const res = await aws.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'large' }));
  expect(aws.inProgress).toBe(1); // the body is still on its way
  (res.Body as NodeJS.ReadableStream & { destroy(): void }).destroy();
  await until(() => aws.inProgress === 0);
});

it('names the request in flight the longest', async () => {
  expect(aws.oldestInFlight()).toBeUndefined();
  gate = new Promise((r) => (open = r));
  const first = aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'first', Body: '1' }));
  await until(() => aws.parked === 1);
  // It may read before or after the PUT.
  const second = aws.s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'first' })).catch(() => undefined);
  await until(() => aws.parked === 2);
  expect(aws.oldestInFlight()?.what).toBe('S3 PutObject first');
  open();
  gate = Promise.resolve();
  await first;
  await second;
  await until(() => aws.inProgress === 0);
  expect(aws.oldestInFlight()).toBeUndefined();
});

it('ends a request whose latency ends after its socket is destroyed but before the socket closes', async () => {
  // A virtual-clock jump fires from a setImmediate, between the poll phase that destroys a
  // socket and the close phase that emits its 'close': the response is then ended on a
  // destroyed socket, reads as finished, and never emits 'finish'.
  const sockets: Socket[] = [];
  const server = (aws as unknown as { app: { server: Server } }).app.server;
  const onConnection = (s: Socket) => sockets.push(s);
  server.on('connection', onConnection);
  // A client of its own, so its connection is new and seen.
  const s3 = new S3Client({ endpoint: aws.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
  try {
    created.length = 0;
    gate = new Promise((r) => (open = r));
    const ac = new AbortController();
    const put = s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'window', Body: 'x' }), { abortSignal: ac.signal });
    await until(() => aws.parked === 1);
    const socket = sockets.find((s) => (s as unknown as { _httpMessage?: unknown })._httpMessage);
    if (!socket) throw new Error('no server socket with a response in progress');
    let closed = false;
    socket.once('close', () => (closed = true));
    let window = false;
    const poll = () => {
      if (socket.destroyed || closed) {
        window = !closed;
        open();
        gate = Promise.resolve();
      } else setImmediate(poll);
    };
    setImmediate(poll);
    ac.abort();
    await expect(put).rejects.toThrow();
    await until(() => aws.inProgress === 0);
    expect(window).toBe(true); // the case under test happened
    expect(created.map((e) => e.key)).toEqual(['window']);
    await aws.s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'window', Body: 'y' })); // the lock is free
  } finally {
    server.off('connection', onConnection);
    s3.destroy();
  }
});

/** An emulated region without latency that checks every request against `grants` (read when checked). */
function guardedAws(grants: Grant[], byLambda: boolean): Promise<EmulatedAws> {
  return EmulatedAws.start({
    sleep: async () => {},
    now: () => Date.now(),
    onObjectCreated: () => {},
    onMessageSent: () => {},
    authorize: () => ({ byLambda, allows: (need) => allows(grants, need) }),
  });
}

it("answers what a function's role does not allow with 403 AccessDenied, and a missing key with 403 unless the role may list", async () => {
  const grants: Grant[] = [
    { action: 's3:PutObject', resource: 'g', keys: /^raw\/.*$/s },
    { action: 's3:GetObject', resource: 'g', keys: /^raw\/.*$/s },
  ];
  const guarded = await guardedAws(grants, false);
  try {
    await guarded.admin.s3.send(new CreateBucketCommand({ Bucket: 'g' }));
    await guarded.s3.send(new PutObjectCommand({ Bucket: 'g', Key: 'raw/a', Body: 'a' }));
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
      );
    expect(await status(guarded.s3.send(new PutObjectCommand({ Bucket: 'g', Key: 'tables/a', Body: 'a' })))).toBe(403);
    expect(await status(guarded.s3.send(new ListObjectsV2Command({ Bucket: 'g', Prefix: 'raw/' })))).toBe(403);
    expect(await status(guarded.s3.send(new DeleteObjectsCommand({ Bucket: 'g', Delete: { Objects: [{ Key: 'raw/a' }] } })))).toBe(403);
    // A missing key: 403 to a role that may not list the bucket, as S3 answers; 404 once it may.
    expect(await status(guarded.s3.send(new GetObjectCommand({ Bucket: 'g', Key: 'raw/missing' })))).toBe(403);
    expect(await status(guarded.s3.send(new HeadObjectCommand({ Bucket: 'g', Key: 'raw/missing' })))).toBe(403);
    grants.push({ action: 's3:ListBucket', resource: 'g' });
    expect(await status(guarded.s3.send(new GetObjectCommand({ Bucket: 'g', Key: 'raw/missing' })))).toBe(404);
    expect(await status(guarded.s3.send(new HeadObjectCommand({ Bucket: 'g', Key: 'raw/missing' })))).toBe(404);
    expect(await status(guarded.s3.send(new GetObjectCommand({ Bucket: 'g', Key: 'raw/a' })))).toBe(200);
    expect(await status(guarded.s3.send(new ListObjectsV2Command({ Bucket: 'g', Prefix: 'raw/' })))).toBe(200);
    expect(guarded.deniedCount).toBe(5);
    expect(guarded.checkedByLambda).toBe(0);
    expect(guarded.denied).toEqual([
      's3:PutObject on g/tables/a',
      's3:ListBucket on g/(list raw/)',
      's3:DeleteObject on g/raw/a',
      'GetObject of missing g/raw/missing without s3:ListBucket',
      'HeadObject of missing g/raw/missing without s3:ListBucket',
    ]);
  } finally {
    await guarded.stop();
  }
});

it("answers an SQS action the role does not allow on that queue with 403 AccessDenied (a batch needs its single form's action)", async () => {
  // As Lambda's requests for a function (its event source's); the queue by its URL here
  // (`scraper cloud` reads its name from it, the template's logical id).
  const grants: Grant[] = [];
  const guarded = await guardedAws(grants, true);
  // fauxqs names queues http://sqs.<region>.localhost:<port>/…, and the SDK sends to that host.
  const restoreDns = interceptLocalhostDns();
  try {
    const url = (await guarded.admin.sqs.send(new CreateQueueCommand({ QueueName: 'q' }))).QueueUrl!;
    const other = (await guarded.admin.sqs.send(new CreateQueueCommand({ QueueName: 'other' }))).QueueUrl!;
    grants.push({ action: 'sqs:SendMessage', resource: url }, { action: 'sqs:ReceiveMessage', resource: other });
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${e.$metadata?.httpStatusCode} ${e.name}`,
      );
    expect(await outcome(guarded.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', MessageBody: 'a' }] })))).toBe(
      'ok',
    );
    expect(await outcome(guarded.sqs.send(new ReceiveMessageCommand({ QueueUrl: url })))).toBe('403 AccessDenied');
    expect(await outcome(guarded.sqs.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'a' })))).toBe('403 AccessDenied');
    expect(await outcome(guarded.sqs.send(new ReceiveMessageCommand({ QueueUrl: other })))).toBe('ok');
    expect(guarded.checkedCount).toBe(4);
    expect(guarded.checkedByLambda).toBe(4);
    expect(guarded.denied).toEqual(['sqs:ReceiveMessage on q', 'sqs:SendMessage on other']);
  } finally {
    restoreDns();
    await guarded.stop();
  }
});
