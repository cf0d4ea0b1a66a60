import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LambdaService } from '../../emulator/lambda-service.js';
import type { FunctionSpec } from '../../emulator/template.js';
import { VirtualTime } from '../../emulator/virtual-time.js';
import { tempDir } from '../helpers/data-dir.js';

// A bundle whose handler always fails, as an asset directory of cdk.out holds one.
const { dir, cleanup } = tempDir('lambda-async-');
writeFileSync(join(dir, 'index.mjs'), "export const handler = async () => { throw new Error('boom'); };\n");
afterAll(cleanup);

const spec = (over: Partial<FunctionSpec> = {}): FunctionSpec => ({
  id: 'Normalise',
  assetDir: dir,
  handler: 'index.handler',
  timeoutSeconds: 60,
  memoryMb: 1024,
  environment: {},
  maxRetryAttempts: 2,
  onFailureQueue: 'NormaliseFailures',
  maxEventAgeSeconds: 21_600,
  ...over,
});

/** One async event to a function as `spec` declares it, run until Lambda has given up on it (time jumps over the retries' waits). */
async function giveUpOn(s: FunctionSpec, send: (record: unknown) => Promise<void>, accountConcurrency = 1000) {
  const vt = new VirtualTime(Date.parse('2026-11-23T00:00:00Z'));
  const records: unknown[] = [];
  const lambda = new LambdaService(new Map([[s.id, s]]), {
    vt,
    accountConcurrency,
    resolveEnv: () => ({}),
    sendToDestination: async (_fn, _queue, record) => {
      await send(record);
      records.push(record);
    },
  });
  vt.skipIdleTime({ idle: () => lambda.active === 0 && lambda.importing === 0, activity: () => lambda.activity });
  try {
    lambda.invokeAsync(s.id, { Records: [] });
    const stats = lambda.stats.get(s.id)!;
    // Until Lambda has dealt with the event (given up on it and tried its destination), or 3 s of real time.
    const dealtWith = () =>
      stats.asyncEventsDropped > 0 && (stats.destinationSends + stats.destinationDeliveryFailures > 0 || !s.onFailureQueue);
    for (const end = performance.now() + 3_000; !dealtWith() && performance.now() < end;) await new Promise((r) => setImmediate(r));
    return { stats, records };
  } finally {
    vt.stopSkipping();
  }
}

const refused = () => Object.assign(new Error('not allowed'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

describe('an async event Lambda gives up on', () => {
  it('after its retries, is dropped (as AWS counts AsyncEventsDropped) and recorded in the failure queue', async () => {
    const { stats, records } = await giveUpOn(spec(), async () => {});
    expect(stats).toMatchObject({ invocations: 3, errors: 3, asyncEventsDropped: 1, destinationSends: 1, destinationDeliveryFailures: 0 });
    expect(records).toEqual([
      expect.objectContaining({ requestContext: expect.objectContaining({ condition: 'RetriesExhausted', approximateInvokeCount: 3 }) }),
    ]);
  });

  it('throttled until it is too old, is recorded in the failure queue too', async () => {
    // An account with no concurrency left: every attempt is throttled, until the event is older than its maximum age.
    const { stats, records } = await giveUpOn(spec({ maxEventAgeSeconds: 60 }), async () => {}, 0);
    expect(stats).toMatchObject({ invocations: 0, asyncEventsDropped: 1, destinationSends: 1 });
    expect(records).toEqual([expect.objectContaining({ requestContext: expect.objectContaining({ condition: 'EventAgeExceeded' }) })]);
  });

  it('too old for its next retry, is recorded as such', async () => {
    // Failed at once; the first retry would come a minute later, past the event's maximum age of 30 s.
    const { stats, records } = await giveUpOn(spec({ maxEventAgeSeconds: 30 }), async () => {});
    expect(stats).toMatchObject({ invocations: 1, errors: 1, asyncEventsDropped: 1, destinationSends: 1 });
    expect(records).toEqual([expect.objectContaining({ requestContext: expect.objectContaining({ condition: 'EventAgeExceeded' }) })]);
  });

  it('is lost when its record cannot be delivered, and counted as AWS counts DestinationDeliveryFailures', async () => {
    const { stats, records } = await giveUpOn(spec(), async () => {
      throw refused();
    });
    expect(stats).toMatchObject({ asyncEventsDropped: 1, destinationSends: 0, destinationDeliveryFailures: 1 });
    expect(records).toEqual([]);
  });
});
