import { S3Client, CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { localContext, sqsRecord } from '../../adapters/lambda/local-invocation.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** An in-process S3 + SQS emulator on 127.0.0.1 with one bucket and one queue. */
export async function startAws() {
  const server = await startFauxqs({ port: 0, logger: false });
  const endpoint = server.address;
  const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials });
  const bucket = 'scraper-test';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '30' } }));
  return {
    endpoint,
    s3,
    sqs,
    bucket,
    queueUrl: QueueUrl!,
    async keys(prefix: string): Promise<string[]> {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    },
    async object(key: string) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { body: await res.Body!.transformToByteArray(), metadata: res.Metadata ?? {} };
    },
    async receive(max = 10, waitSeconds = 0): Promise<Message[]> {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: QueueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      return res.Messages ?? [];
    },
    async stop() {
      s3.destroy();
      sqs.destroy();
      await server.stop();
    },
  };
}

/** Received SQS messages as the event a Lambda event source mapping delivers. */
export function sqsEvent(messages: Message[], queueArn = 'arn:aws:sqs:us-east-1:000000000000:work'): SQSEvent {
  return {
    Records: messages.map((m) =>
      sqsRecord(
        {
          messageId: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: m.Body!,
          receiveCount: m.Attributes?.ApproximateReceiveCount,
          md5OfBody: m.MD5OfBody,
        },
        { queueArn, region: 'us-east-1' },
      ),
    ),
  };
}

/** A Lambda context with a deadline, as middy needs it. */
export function lambdaContext(remainingMs = 60_000): Context {
  return localContext('test', remainingMs, 'us-east-1');
}
