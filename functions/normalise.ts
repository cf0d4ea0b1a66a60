import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { encodeTableFile } from '../adapters/parquet.js';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { SqsWorkQueue } from '../adapters/sqs-queue.js';
import { InlineProcessor } from '../adapters/inline-processor.js';
import { EnvReader } from '../adapters/lambda/env.js';
import { createNormaliseHandler } from '../adapters/lambda/normalise-handler.js';
import { createObservability } from '../adapters/lambda/observability.js';
import { REAL_ORIGINS } from '../core/sources/index.js';

// Built once per container; parquet-wasm loads its .wasm from beside the bundle.
const env = new EnvReader(process.env);

const store = new S3ObjectStore(new S3Client({}), env.string('BUCKET_NAME'));

export const handler = createNormaliseHandler({
  store,
  processor: new InlineProcessor({ origins: REAL_ORIGINS }, store, async () => encodeTableFile),
  bids: { queue: new SqsWorkQueue(new SQSClient({}), env.string('QUEUE_URL')), everyPoll: env.flag('BIDS_EVERY_POLL') },
  ...createObservability(),
});
