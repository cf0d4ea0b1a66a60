import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { cpuNow, monotonic, VirtualTime } from '../../emulator/virtual-time.js';

describe('virtual time', () => {
  it('starts at the given instant and, on the wall clock, moves with real time', async () => {
    const vt = new VirtualTime(Date.parse('2026-11-23T00:00:00Z'), { source: 'wall' });
    const t0 = vt.now();
    expect(t0).toBeGreaterThanOrEqual(Date.parse('2026-11-23T00:00:00Z'));
    await new Promise((r) => setTimeout(r, 20));
    expect(vt.now() - t0).toBeGreaterThanOrEqual(15);
  });

  it('on the CPU clock, moves with computing and not with waiting for a core or a real timer', async () => {
    const vt = new VirtualTime(0);
    const t0 = vt.now();
    const cpu0 = cpuNow();
    await new Promise((r) => setTimeout(r, 50));
    const waited = vt.now() - t0;
    // Over the 50 ms wait it moved by the CPU the process used then (the clock samples it once a
    // millisecond), however much that was on a loaded machine, and not by the 50 ms.
    const usedWhileWaiting = cpuNow() - cpu0;
    while (cpuNow() - cpu0 < 60) Math.sqrt(Math.random());
    const computed = vt.now() - t0;
    expect(waited).toBeLessThanOrEqual(Math.ceil(usedWhileWaiting) + 1);
    expect(computed).toBeGreaterThanOrEqual(60);
  });

  it('keeps counting when the CPU counters start over (a process restored from a checkpoint)', () => {
    const readings = [0, 40, 115, 8, 20, 3, 3];
    const read = monotonic(() => readings.shift()!);
    expect(Array.from({ length: 7 }, read)).toEqual([0, 40, 115, 123, 135, 138, 138]);
  });

  it('skips idle time: an hour-long timer fires at once when nothing is busy, at its virtual instant', async () => {
    const vt = new VirtualTime(Date.parse('2026-11-23T00:00:00Z'));
    const due = vt.now() + 3_600_000;
    let firedAt = 0;
    const fired = new Promise<void>((resolve) =>
      vt.setTimeout(() => {
        firedAt = vt.now();
        resolve();
      }, 3_600_000),
    );
    vt.skipIdleTime({ idle: () => true, activity: () => 0 });
    await fired;
    vt.stopSkipping();
    expect(firedAt).toBeGreaterThanOrEqual(due);
    expect(firedAt - due).toBeLessThan(1000);
    expect(vt.jumps).toBe(1);
  });

  it("runs each timer's callback in the async context it was created in, as Node's timers do", async () => {
    const vt = new VirtualTime(0);
    const als = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    // Both due at once: they fire from the one real timer the first of them armed.
    als.run('fetch', () => vt.setTimeout(() => seen.push(als.getStore()), 5));
    als.run('normalise', () => vt.setTimeout(() => seen.push(als.getStore()), 5));
    vt.setTimeout(() => seen.push(als.getStore()), 5);
    vt.skipIdleTime({ idle: () => true, activity: () => 0 });
    while (seen.length < 3) await new Promise((r) => setImmediate(r));
    vt.stopSkipping();
    expect(seen).toEqual(['fetch', 'normalise', undefined]);
  });

  it('never skips while the probe reports work in flight', async () => {
    const vt = new VirtualTime(0);
    let fired = false;
    vt.setTimeout(() => (fired = true), 60_000);
    vt.skipIdleTime({ idle: () => false, activity: () => 0 });
    await new Promise((r) => setTimeout(r, 30));
    vt.stopSkipping();
    expect(fired).toBe(false);
    expect(vt.jumps).toBe(0);
  });

  it('a paused clock stands still and then goes on from where it stopped', async () => {
    const vt = new VirtualTime(1_000_000, { source: 'wall' });
    vt.pause();
    const frozen = vt.now();
    await new Promise((r) => setTimeout(r, 20));
    expect(vt.now()).toBe(frozen);
    // After resume it has moved only by the real time since (however long a loaded machine
    // takes between these lines), not by the 20 ms it stood still.
    const before = Date.now();
    vt.resume();
    const moved = vt.now() - frozen;
    expect(moved).toBeGreaterThanOrEqual(0);
    expect(moved).toBeLessThanOrEqual(Date.now() - before + 1);
  });

  it('fires timers in order of their virtual instants', async () => {
    const vt = new VirtualTime(0);
    const order: number[] = [];
    const done = new Promise<void>((resolve) => {
      vt.setTimeout(() => order.push(3), 3000);
      vt.setTimeout(() => order.push(1), 1000);
      vt.setTimeout(() => {
        order.push(2);
      }, 2000);
      vt.setTimeout(() => resolve(), 4000);
    });
    vt.skipIdleTime({ idle: () => true, activity: () => 0 });
    await done;
    vt.stopSkipping();
    expect(order).toEqual([1, 2, 3]);
  });
});
