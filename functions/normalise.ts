import { S3Client } from '@aws-sdk/client-s3';
import { encodeTableFile } from '../adapters/parquet.js';
import { S3ObjectStore } from '../adapters/s3-store.js';
import { InlineProcessor } from '../adapters/response-processor.js';
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
  ...createObservability(),
});
