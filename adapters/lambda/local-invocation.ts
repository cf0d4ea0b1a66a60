import type { Context, SQSRecord } from 'aws-lambda';

/** The queue a record says it came from. */
export interface RecordSource {
  queueArn: string;
  region: string;
}

export interface RecordFields {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** @default '1' */
  receiveCount?: string;
  /** @default '' */
  md5OfBody?: string;
}

/**
 * One SQS record as an event source mapping delivers it, for invoking a handler
 * outside AWS (`scraper invoke`, the handler tests).
 */
export function sqsRecord(fields: RecordFields, source: RecordSource): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: fields.messageId,
    receiptHandle: fields.receiptHandle,
    body: fields.body,
    attributes: {
      ApproximateReceiveCount: fields.receiveCount ?? '1',
      SentTimestamp: now,
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: fields.md5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

/** A Lambda context with a deadline `remainingMs` from now, as middy needs it. */
export function localContext(functionName: string, remainingMs: number, region = 'local'): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `local-${Date.now()}`,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
