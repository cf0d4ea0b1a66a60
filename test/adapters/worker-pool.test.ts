import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../adapters/worker-pool.js';

interface Task {
  value: number;
  busyMs?: number;
  crash?: boolean;
}
interface Reply {
  value: number;
  threadId: number;
}

const ECHO = new URL('../helpers/echo-worker.mjs', import.meta.url);

describe('WorkerPool', () => {
  it('answers every task to its own caller, with two tasks at a time at each worker', async () => {
    const pool = new WorkerPool<Task, Reply>(ECHO, 2, undefined);
    try {
      const values = Array.from({ length: 40 }, (_, i) => i);
      const replies = await Promise.all(values.map((value) => pool.run({ value, busyMs: value % 3 })));
      expect(replies.map((r) => r.value)).toEqual(values);
      expect(new Set(replies.map((r) => r.threadId)).size).toBe(2);
      expect(pool.completed).toBe(40);
    } finally {
      await pool.close();
    }
  });

  it('gives idle workers a task before giving any worker a second', async () => {
    const pool = new WorkerPool<Task, Reply>(ECHO, 2, undefined);
    try {
      const replies = await Promise.all([pool.run({ value: 1, busyMs: 50 }), pool.run({ value: 2, busyMs: 50 })]);
      expect(replies[0].threadId).not.toBe(replies[1].threadId);
    } finally {
      await pool.close();
    }
  });

  it('close fails the tasks still in flight instead of leaving them pending', async () => {
    const pool = new WorkerPool<Task, Reply>(ECHO, 1, undefined);
    const outcomes = [pool.run({ value: 1, busyMs: 200 }), pool.run({ value: 2 }), pool.run({ value: 3 })].map((p) =>
      p.then(
        () => 'answered',
        (e: Error) => e.message,
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    await pool.close();
    // The running one, the one waiting at the worker, the one still in the pool's queue.
    expect(await Promise.all(outcomes)).toEqual(['worker pool closed', 'worker pool closed', 'worker pool closed']);
  });

  it('a worker that dies fails the tasks it held, is replaced, and the pool goes on', async () => {
    const pool = new WorkerPool<Task, Reply>(ECHO, 1, undefined);
    try {
      // One worker, two tasks sent at once: the crash takes both.
      const first = pool.run({ value: 1, crash: true });
      const second = pool.run({ value: 2 });
      const queued = pool.run({ value: 3 });
      await expect(first).rejects.toThrow(/crashed on 1/);
      await expect(second).rejects.toThrow(/died before this task started \(crashed on 1\)/);
      // The third was still in the pool's own queue: the replacement worker answers it.
      expect((await queued).value).toBe(3);
      expect((await pool.run({ value: 4 })).value).toBe(4);
    } finally {
      await pool.close();
    }
  });
});
