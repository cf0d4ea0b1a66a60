import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SqsWorkQueue } from '../../adapters/sqs-queue.js';
import type { WorkItem } from '../../core/work-item.js';

/** A stand-in at the AWS edge: answers SendMessageBatch with the failures a test scripts. */
function fakeSqs(failures: Array<Array<{ Id: string; SenderFault: boolean; Code: string }>>) {
  const calls: string[][] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const ids = command.input.Entries!.map((e) => e.Id!);
      calls.push(ids.map((id) => JSON.parse(command.input.Entries!.find((e) => e.Id === id)!.MessageBody!).id));
      return { Successful: [], Failed: (failures.shift() ?? []).filter((f) => ids.includes(f.Id)) };
    },
  } as unknown as SQSClient;
  return { client, calls };
}

const items = (n: number): WorkItem[] =>
  Array.from({ length: n }, (_, i) => ({ source: 'maxsold', id: String(100000 + i), dt: '2026-11-26' }));

describe('SqsWorkQueue', () => {
  it('sends in batches of ten', async () => {
    const { client, calls } = fakeSqs([]);
    await new SqsWorkQueue(client, 'q', async () => {}).send(items(23));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
  });

  it('keeps at most ten batches in flight, and sends every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const sent: string[] = [];
    const client = {
      send: async (command: SendMessageBatchCommand) => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        for (const e of command.input.Entries!) sent.push(JSON.parse(e.MessageBody!).id);
        return { Successful: [], Failed: [] };
      },
    } as unknown as SQSClient;
    await new SqsWorkQueue(client, 'q', async () => {}).send(items(321));
    expect(peak).toBe(10);
    expect(sent.sort()).toEqual(items(321).map((i) => (i as { id: string }).id));
  });

  it('starts no further batch after one failed, and rejects with its reason', async () => {
    const { client, calls } = fakeSqs([[{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents' }]]);
    await expect(new SqsWorkQueue(client, 'q', async () => {}, 2).send(items(100))).rejects.toThrow(/InvalidMessageContents/);
    // The failing first batch and the one beside it; none of the other eight.
    expect(calls).toHaveLength(2);
  });

  it('resends exactly the entries a batch reports as failed', async () => {
    const { client, calls } = fakeSqs([
      [
        { Id: '2', SenderFault: false, Code: 'InternalError' },
        { Id: '7', SenderFault: false, Code: 'InternalError' },
      ],
    ]);
    await new SqsWorkQueue(client, 'q', async () => {}).send(items(10));
    expect(calls).toEqual([items(10).map((i) => (i as { id: string }).id), ['100002', '100007']]);
  });

  it("gives up on an entry SQS refuses as the sender's fault, saying why", async () => {
    const { client } = fakeSqs([[{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents' }]]);
    await expect(new SqsWorkQueue(client, 'q', async () => {}).send(items(1))).rejects.toThrow(
      /refused 1 message\(s\): InvalidMessageContents/,
    );
  });

  it('stops after five rounds of failures instead of looping', async () => {
    const always = Array.from({ length: 10 }, () => [{ Id: '0', SenderFault: false, Code: 'ServiceUnavailable' }]);
    const { client, calls } = fakeSqs(always);
    await expect(new SqsWorkQueue(client, 'q', async () => {}).send(items(1))).rejects.toThrow(/after 5 rounds/);
    expect(calls).toHaveLength(5);
  });
});
