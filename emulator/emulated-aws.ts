/**
 * S3 and SQS for the emulation: fauxqs (in-process, on 127.0.0.1) behind hooks that make
 * it behave like the region a deployment talks to:
 * - every request waits its in-region latency (S3 15-30 ms, SQS 5-10 ms by default) on the
 *   virtual clock, so handlers' durations include it;
 * - every request is counted by service and operation, for the bill;
 * - S3 conditional writes and deletes (`If-Match`, `If-None-Match`) are honoured, which
 *   fauxqs leaves out and compaction relies on;
 * - a PUT that creates an object is reported (S3 `ObjectCreated`), and a send to a queue
 *   wakes its pollers;
 * - a function's S3 or SQS request (or Lambda's for it) is checked against its role
 *   (`authorize`): what the role does not allow is answered 403 AccessDenied, and so is a GET
 *   of a missing key by a role that may not list the bucket, as S3 does (a DeleteObjects naming
 *   a key the role may not delete is refused whole, where S3 would delete the others and report
 *   that key);
 * - stored bytes are integrated over time (GB-months).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildApp } from 'fauxqs';
import { classify, keysToDelete, needsOf, type Op } from './aws-requests.js';
import { describeNeed, type Need } from './iam.js';
import { spillingStores } from './spilled-objects.js';
import { mulberry32 } from '../simulator/prng.js';
import { real } from './real-time.js';

export interface LatencyRange {
  min: number;
  max: number;
}

export interface AwsLatency {
  /** Any S3 request. @default 15-30 ms */
  s3: LatencyRange;
  /** Any SQS request. @default 5-10 ms */
  sqs: LatencyRange;
}

/** The largest S3 PUT body the emulation takes (S3's own limit is 5 GiB). */
const MAX_PUT_BYTES = 1024 ** 3;

export const DEFAULT_LATENCY: AwsLatency = { s3: { min: 15, max: 30 }, sqs: { min: 5, max: 10 } };

/** Requests with this header (the emulator setting things up) are neither delayed nor billed. */
export const INTERNAL_HEADER = 'x-emulator-internal';

export const CREDENTIALS = { accessKeyId: 'emulated', secretAccessKey: 'emulated' };
export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';

export interface ObjectCreated {
  bucket: string;
  key: string;
  size: number;
  etag: string;
}

export interface AwsHooks {
  sleep(ms: number): Promise<void>;
  now(): number;
  onObjectCreated(event: ObjectCreated): void;
  onMessageSent(queueUrl: string): void;
  seed?: number;
  latency?: AwsLatency;
  /**
   * The role of the function whose client sent a request, or for which Lambda sent it (known by
   * its connection: the client's port and the server's): whether it allows what the request needs
   * (the bucket by name, the queue by URL). Undefined for a request sent for no function, which is
   * not checked.
   */
  authorize?(clientPort: number | undefined, serverPort: number | undefined): Role | undefined;
}

/** The role a request is checked against: whether it allows a need, and whether Lambda sent the request (for the function). */
export interface Role {
  allows(need: Need): boolean;
  byLambda: boolean;
}

/** Marks a client's requests as the emulator's own. */
function internal<C extends S3Client | SQSClient>(client: C): C {
  type Args = { request: { headers: Record<string, string> } };
  const mark = (next: (a: Args) => Promise<unknown>) => async (args: Args) => {
    args.request.headers[INTERNAL_HEADER] = '1';
    return next(args);
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (client.middlewareStack as any).add(mark, { step: 'build', name: 'emulatorInternal' });
  return client;
}

const sqsAccessDenied = (what: string) =>
  JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message: `Access to the resource is denied (${what})` });

const accessDenied = (what: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied (${what})</Message></Error>`;

function preconditionFailed(reply: FastifyReply, status: 404 | 412): FastifyReply {
  const code = status === 412 ? 'PreconditionFailed' : 'NoSuchKey';
  return reply
    .status(status)
    .header('content-type', 'application/xml')
    .send(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`,
    );
}

export class EmulatedAws {
  readonly requests = new Map<string, number>();
  /**
   * S3 and SQS requests checked against a function's role (`byLambda` of them sent by Lambda for
   * it); those it did not allow (the first few described), and how many.
   */
  checkedCount = 0;
  checkedByLambda = 0;
  readonly denied: string[] = [];
  deniedCount = 0;
  readonly etags = new Map<string, string>();
  readonly sizes = new Map<string, number>();
  /** Byte-milliseconds stored, by top-level prefix (`raw/`, `tables/`, …). */
  readonly storedByteMs = new Map<string, number>();
  inProgress = 0;
  parked = 0;
  activity = 0;
  #storedBytes = new Map<string, number>();
  #storedSince = 0;
  #locks = new Map<string, Promise<void>>();
  /** Requests in progress, with when they arrived (real time) and what they are. */
  readonly #open = new Map<FastifyRequest, { since: number; what: string }>();

  private constructor(
    /** S3's endpoint (path-style), and SQS's. */
    readonly endpoint: string,
    readonly sqsEndpoint: string,
    private readonly app: ReturnType<typeof buildApp>,
    /** Clients whose requests are the deployment's (Lambda's pollers): delayed and billed. */
    readonly s3: S3Client,
    readonly sqs: SQSClient,
    /** Clients for setting up and checking: neither delayed nor billed. */
    readonly admin: { s3: S3Client; sqs: SQSClient },
  ) {}

  static async start(hooks: AwsHooks): Promise<EmulatedAws> {
    const stores = await spillingStores();
    // buildApp's option is typed with fauxqs's store classes, which it does not export.
    const app = buildApp({ logger: false, stores: stores as unknown as NonNullable<Parameters<typeof buildApp>[0]>['stores'] });
    // fauxqs takes S3 bodies up to 11 MiB (its multipart part size) and answers a larger PUT
    // with fastify's 413 in JSON; S3 takes 5 GiB in one PUT (a day's compacted VIA stops is
    // past 11 MiB). Up to 1 GiB here, with fauxqs's own parser otherwise.
    app.removeContentTypeParser('*');
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_PUT_BYTES }, (_req, body, done) => done(null, body));
    const latency = hooks.latency ?? DEFAULT_LATENCY;
    const rng = mulberry32(hooks.seed ?? 7);
    const draw = (r: LatencyRange) => r.min + rng() * (r.max - r.min);
    const self: { aws?: EmulatedAws } = {};
    const ops = new WeakMap<FastifyRequest, Op>();
    const roles = new WeakMap<FastifyRequest, Role>();
    /** Counts a refusal (the first few described) and returns what was refused. */
    const deny = (what: string) => {
      if (self.aws!.deniedCount++ < 10) self.aws!.denied.push(what);
      return what;
    };
    const unlocks = new WeakMap<FastifyRequest, () => void>();
    // A client can go away after sending the whole request (a handler killed at its timeout):
    // fastify's onRequestAbort fires only for an incomplete body and onResponse only when the
    // response is written, so neither ends such a request. The request is carried out (S3
    // keeps a PUT whose body arrived) and ends when its response is ready or, if that came
    // first, when the client goes.
    const replied = new WeakSet<FastifyRequest>();
    const gone = new WeakSet<FastifyRequest>();

    app.addHook('onRequest', async (req, reply) => {
      if (req.headers[INTERNAL_HEADER]) return;
      self.aws!.inProgress++;
      self.aws!.activity++;
      const op = classify(req);
      ops.set(req, op);
      // Whose request it is, read as it arrives (the caller's port may be another's after the latency).
      const role =
        (op.service === 'S3' && op.bucket) || op.service === 'SQS'
          ? hooks.authorize?.(req.socket.remotePort, req.socket.localPort)
          : undefined;
      if (role) roles.set(req, role);
      self.aws!.#open.set(req, { since: real.now(), what: `${op.service} ${op.name}${op.key ? ` ${op.key}` : ''}` });
      // Not `writableFinished`: a response ended on a socket already destroyed (its 'close' not
      // yet emitted) reads as finished but never emits 'finish'. After a real 'finish' this
      // does nothing (finish() is idempotent).
      reply.raw.once('close', () => {
        if (replied.has(req)) finish(req, reply);
        else gone.add(req);
      });
    });
    app.addHook('preHandler', async (req, reply) => {
      const op = ops.get(req);
      if (!op) return;
      const name = `${op.service} ${op.name}`;
      self.aws!.requests.set(name, (self.aws!.requests.get(name) ?? 0) + 1);
      self.aws!.parked++;
      self.aws!.activity++;
      try {
        await hooks.sleep(draw(op.service === 'SQS' ? latency.sqs : latency.s3));
      } finally {
        self.aws!.parked--;
        self.aws!.activity++;
      }
      const role = roles.get(req);
      if (role) {
        self.aws!.checkedCount++;
        if (role.byLambda) self.aws!.checkedByLambda++;
        const refused = needsOf(op, req).find((need) => !role.allows(need));
        if (refused) {
          const what = deny(describeNeed(refused));
          if (op.service === 'SQS')
            return reply
              .status(403)
              .header('content-type', 'application/x-amz-json-1.0')
              .header('x-amzn-query-error', 'AccessDenied;Sender')
              .send(sqsAccessDenied(what));
          return reply.status(403).header('content-type', 'application/xml').send(accessDenied(what));
        }
      }
      if (op.service === 'S3' && op.key && (op.name === 'PutObject' || op.name === 'DeleteObject')) {
        const id = `${op.bucket}/${op.key}`;
        unlocks.set(req, await self.aws!.#lock(id));
        const current = self.aws!.etags.get(id);
        const ifMatch = req.headers['if-match'];
        const ifNoneMatch = req.headers['if-none-match'];
        if (typeof ifMatch === 'string' && ifMatch !== '*' && current !== ifMatch)
          return preconditionFailed(reply, current === undefined ? 404 : 412);
        if (ifMatch === '*' && current === undefined) return preconditionFailed(reply, 404);
        if (ifNoneMatch === '*' && current !== undefined) return preconditionFailed(reply, 412);
      }
    });
    app.addHook('onSend', async (req, reply, payload) => {
      // S3 tells a missing key (404) only to a caller that may list the bucket.
      const op = ops.get(req);
      const role = roles.get(req);
      if (role && reply.statusCode === 404 && (op?.name === 'GetObject' || op?.name === 'HeadObject')) {
        if (!role.allows({ action: 's3:ListBucket', bucket: op.bucket! })) {
          const what = deny(`${op.name} of missing ${op.bucket}/${op.key} without s3:ListBucket`);
          reply.status(403);
          payload = req.method === 'HEAD' ? '' : accessDenied(what);
        }
      }
      record(req, reply);
      replied.add(req);
      if (gone.has(req)) finish(req, reply);
      return payload;
    });
    /** What a response about to be sent changes in the emulation's own books (ETags, sizes). */
    const record = (req: FastifyRequest, reply: FastifyReply) => {
      const op = ops.get(req);
      if (!op || op.service !== 'S3' || reply.statusCode >= 300) return;
      const id = `${op.bucket}/${op.key}`;
      if (op.name === 'PutObject') {
        const decoded = req.headers['x-amz-decoded-content-length'];
        const size = decoded
          ? Number(decoded)
          : Buffer.isBuffer(req.body)
            ? req.body.byteLength
            : Number(req.headers['content-length'] ?? 0);
        self.aws!.etags.set(id, String(reply.getHeader('etag')));
        self.aws!.#resize(id, size);
      } else if (op.name === 'DeleteObject') {
        self.aws!.etags.delete(id);
        self.aws!.#resize(id, 0);
      } else if (op.name === 'DeleteObjects') {
        for (const key of keysToDelete(req)) {
          const k = `${op.bucket}/${key}`;
          self.aws!.etags.delete(k);
          self.aws!.#resize(k, 0);
        }
      }
    };
    const finish = (req: FastifyRequest, reply: FastifyReply | undefined) => {
      if (!self.aws!.#open.has(req)) return;
      self.aws!.#open.delete(req);
      self.aws!.inProgress--;
      self.aws!.activity++;
      unlocks.get(req)?.();
      const op = ops.get(req);
      if (!op || !reply || reply.statusCode >= 300) return;
      if (op.name === 'PutObject')
        hooks.onObjectCreated({
          bucket: op.bucket!,
          key: op.key!,
          size: self.aws!.sizes.get(`${op.bucket}/${op.key}`) ?? 0,
          etag: String(reply.getHeader('etag')),
        });
      if (op.name === 'SendMessage' || op.name === 'SendMessageBatch')
        hooks.onMessageSent(String((req.body as { QueueUrl?: string })?.QueueUrl ?? ''));
    };
    app.addHook('onResponse', async (req, reply) => finish(req, reply));
    app.addHook('onRequestAbort', async (req) => finish(req, undefined));

    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    // fauxqs names queues http://sqs.<region>.localhost:<port>/…: SQS clients use that host
    // (resolved by fauxqs's interceptLocalhostDns), as the SDK expects a queue URL's host to match.
    const sqsEndpoint = address.replace('127.0.0.1', `sqs.${REGION}.localhost`);
    const s3 = new S3Client({ endpoint: address, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
    const sqs = new SQSClient({ endpoint: sqsEndpoint, region: REGION, credentials: CREDENTIALS });
    const admin = {
      s3: internal(new S3Client({ endpoint: address, region: REGION, credentials: CREDENTIALS, forcePathStyle: true })),
      sqs: internal(new SQSClient({ endpoint: sqsEndpoint, region: REGION, credentials: CREDENTIALS })),
    };
    const aws = new EmulatedAws(address, sqsEndpoint, app, s3, sqs, admin);
    aws.#closeStores = stores.close;
    aws.#storedSince = hooks.now();
    aws.#now = hooks.now;
    self.aws = aws;
    return aws;
  }

  #now: () => number = () => 0;
  #closeStores: () => void = () => {};

  /** Serialises conditional writes and deletes of one key; resolves to the unlock. */
  async #lock(id: string): Promise<() => void> {
    const before = this.#locks.get(id) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((resolve) => (unlock = resolve));
    const chained = before.then(() => mine);
    this.#locks.set(id, chained);
    await before;
    return () => {
      unlock();
      if (this.#locks.get(id) === chained) this.#locks.delete(id);
    };
  }

  #resize(id: string, size: number): void {
    this.#accrue();
    const prefix = id.slice(id.indexOf('/') + 1).split('/')[0] + '/';
    const old = this.sizes.get(id) ?? 0;
    if (size > 0) this.sizes.set(id, size);
    else this.sizes.delete(id);
    this.#storedBytes.set(prefix, (this.#storedBytes.get(prefix) ?? 0) + size - old);
  }

  #accrue(): void {
    const now = this.#now();
    const dt = now - this.#storedSince;
    if (dt > 0)
      for (const [prefix, bytes] of this.#storedBytes) this.storedByteMs.set(prefix, (this.storedByteMs.get(prefix) ?? 0) + bytes * dt);
    this.#storedSince = now;
  }

  /**
   * The request in progress the longest, and for how long in real time: a request takes
   * milliseconds, and the virtual clock does not jump while one is in flight.
   */
  oldestInFlight(): { realMs: number; what: string } | undefined {
    const first = this.#open.values().next();
    return first.done ? undefined : { realMs: real.now() - first.value.since, what: first.value.what };
  }

  /** Bytes stored now, by top-level prefix. */
  storedBytes(): Map<string, number> {
    this.#accrue();
    return new Map(this.#storedBytes);
  }

  /** fauxqs's view of a queue: messages ready, delayed (with their release time) and in flight (with their deadline). */
  async inspectQueue(name: string): Promise<{ ready: number; delayed: number[]; inflight: number[] }> {
    const res = await this.app.inject({
      method: 'GET',
      url: `/_fauxqs/queues/${encodeURIComponent(name)}`,
      headers: { [INTERNAL_HEADER]: '1' },
    });
    const body = res.json() as {
      messages: { ready: unknown[]; delayed: { delayUntil?: number }[]; inflight: { visibilityDeadline: number }[] };
    };
    return {
      ready: body.messages.ready.length,
      delayed: body.messages.delayed.map((m) => m.delayUntil ?? 0),
      inflight: body.messages.inflight.map((m) => m.visibilityDeadline),
    };
  }

  async stop(): Promise<void> {
    for (const c of [this.s3, this.sqs, this.admin.s3, this.admin.sqs]) c.destroy();
    await this.app.close();
    this.#closeStores();
  }
}
