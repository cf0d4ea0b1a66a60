import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CREDENTIALS, EmulatedAws, REGION } from '../../emulator/emulated-aws.js';
import { runningAs } from '../../emulator/lambda-service.js';
import { FunctionRoles } from '../../emulator/roles.js';
import type { Topology } from '../../emulator/template.js';
import { until } from '../simulator/http.js';

// Whose request a request is: the emulated S3 and SQS know it by the client socket it came on.
// The S3 client sends a body of 2 MB or more with `Expect: 100-continue`, on a socket of its own,
// and S3 sees its headers before the body is written, so the socket must be known as the
// function's from the moment it connects, and not as anyone's once it has closed (its port is
// then free for another function's socket).
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objects = (bucket: string, keys: string) => ({ 'Fn::Join': ['', [arnOf(bucket), keys]] });
const fn = (role: string) => ({ Type: 'AWS::Lambda::Function', Properties: { Role: arnOf(role) } });
const policy = (role: string, action: string, keys: string) => ({
  Type: 'AWS::IAM::Policy',
  Properties: {
    Roles: [{ Ref: role }],
    PolicyDocument: { Statement: [{ Effect: 'Allow', Action: action, Resource: objects('Bucket', keys) }] },
  },
});
const topology = {
  buckets: ['Bucket'],
  functions: new Map([
    ['Fetch', {}],
    ['Compact', {}],
  ]),
  eventSources: [],
  resources: {
    Fetch: fn('FetchRole'),
    FetchPolicy: policy('FetchRole', 's3:PutObject', '/raw/*'),
    Compact: fn('CompactRole'),
    CompactPolicy: policy('CompactRole', 's3:PutObject', '/tables/*'),
  },
} as unknown as Topology;

let roles: FunctionRoles;
let aws: EmulatedAws;
const large = new Uint8Array(3 * 1024 * 1024);

beforeAll(async () => {
  roles = new FunctionRoles(topology);
  aws = await EmulatedAws.start({
    sleep: async () => {},
    now: () => Date.now(),
    onObjectCreated: () => {},
    onMessageSent: () => {},
    authorize: (clientPort, serverPort) => roles.authorize(clientPort, serverPort),
  });
  await aws.admin.s3.send(new CreateBucketCommand({ Bucket: 'bucket' }));
});
afterAll(async () => {
  roles?.stop();
  await aws?.stop();
});

/** A function's S3 client, as its handler makes one. */
const clientOf = () => new S3Client({ endpoint: aws.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
const status = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
  );
const put = (as: string, client: S3Client, key: string, body: Uint8Array | string) =>
  runningAs.run({ fn: as }, () => status(client.send(new PutObjectCommand({ Bucket: 'bucket', Key: key, Body: body }))));

it('checks a PUT that waits for 100 Continue against the role of the function that sent it', async () => {
  const fetch = clientOf();
  const compact = clientOf();
  try {
    const denied = aws.deniedCount;
    expect(await put('Compact', compact, 'tables/part-1.parquet', large)).toBe(200);
    expect(await put('Fetch', fetch, 'tables/part-2.parquet', large)).toBe(403);
    expect(await put('Fetch', fetch, 'raw/big.json.gz', large)).toBe(200);
    expect(aws.deniedCount - denied).toBe(1);
    expect(aws.denied.at(-1)).toBe('s3:PutObject on bucket/tables/part-2.parquet');
  } finally {
    fetch.destroy();
    compact.destroy();
  }
});

it("forgets a function's socket once it has closed: its port may be another function's next", async () => {
  const ports: number[] = [];
  const onRequest = (message: unknown) => {
    const port = (message as { request: { socket?: { localPort?: number } } }).request.socket?.localPort;
    if (port !== undefined) ports.push(port);
  };
  diagnostics.subscribe('http.client.request.start', onRequest);
  const fetch = clientOf();
  const serverPort = Number(new URL(aws.endpoint).port);
  try {
    expect(await put('Fetch', fetch, 'raw/small.json.gz', 'x')).toBe(200);
  } finally {
    diagnostics.unsubscribe('http.client.request.start', onRequest);
  }
  const port = ports[0]!;
  expect(roles.authorize(port, serverPort)).toBeDefined();
  fetch.destroy();
  await until(() => roles.authorize(port, serverPort) === undefined);
});
