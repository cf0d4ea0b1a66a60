import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { QUARANTINE_PREFIX, RAW_PREFIX, RAW_SUFFIX, TABLES_PREFIX } from '../core/raw-key.js';

export { QUARANTINE_PREFIX, RAW_PREFIX, RAW_SUFFIX, TABLES_PREFIX };

/**
 * Dispatcher state, AWS only: the MaxSold cursor (core/dispatch.ts CURSOR_KEY) and the
 * normaliser's per-auction markers (core/normalise-object.ts SEEN_PREFIX, `state/seen/`).
 */
export const STATE_PREFIX = 'state/';
/** Athena query results (the workgroup's output location). */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';

export interface DataBucketProps {
  /** Days objects under `raw/` are kept. */
  readonly rawRetentionDays: number;
  /** Days Athena results are kept; they are re-creatable by running the query again. @default 30 */
  readonly athenaResultsRetentionDays?: number;
  /** Days server access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
}

/**
 * The one bucket the app keeps everything in, by prefix: `raw/` (responses, gzipped),
 * `tables/` (Parquet), `quarantine/`, `state/`, `athena-results/`. Private, encrypted,
 * TLS only, retained when the stack goes; its access logs go to a second bucket.
 * Not versioned: a raw key is per work item and is meant to be overwritten by a retry,
 * and compaction replaces table files on purpose; old versions would only cost money.
 */
export class DataBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataBucketProps) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogRetentionDays ?? 90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would log its own log writes.',
    });

    this.bucket = new s3.Bucket(this, 'Data', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules: [
        { id: 'expire-raw', prefix: RAW_PREFIX, expiration: Duration.days(props.rawRetentionDays) },
        { id: 'expire-athena-results', prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(props.athenaResultsRetentionDays ?? 30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
