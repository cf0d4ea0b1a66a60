/**
 * The virtual clock made the process's clock: the global `Date`, `setTimeout`, `setInterval`
 * and their `clear*`, and the same functions of `node:timers` (middy's early-timeout timer
 * comes from there), for the process (the emulator runs in its own); `setImmediate` stays real.
 */
import timers from 'node:timers';
import { syncBuiltinESMExports } from 'node:module';
import { real } from './real-time.js';
import type { VirtualTime } from './virtual-time.js';

type Callback = (...args: unknown[]) => void;

function setGlobals(fns: {
  Date: unknown;
  setTimeout: unknown;
  setInterval: unknown;
  clearTimeout: unknown;
  clearInterval: unknown;
}): void {
  const g = globalThis as Record<string, unknown>;
  g.Date = fns.Date;
  g.setTimeout = fns.setTimeout;
  g.setInterval = fns.setInterval;
  g.clearTimeout = fns.clearTimeout;
  g.clearInterval = fns.clearInterval;
  Object.assign(timers, {
    setTimeout: fns.setTimeout,
    setInterval: fns.setInterval,
    clearTimeout: fns.clearTimeout,
    clearInterval: fns.clearInterval,
  });
  syncBuiltinESMExports();
}

/** Replaces the global clock and timers with `vt`; returns what puts the real ones back (and stops its idle loop). */
export function installClock(vt: VirtualTime): () => void {
  const now = () => vt.now();
  const RealDate = real.Date;
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length > 0 ? args : [now()], new.target);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = now;
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  const clear = (t: unknown) => (vt.owns(t) ? vt.clear(t) : real.clearTimeout(t as never));
  setGlobals({
    Date: VirtualDate,
    setTimeout: (fn: Callback, ms?: number, ...args: unknown[]) => vt.setTimeout(fn, ms, ...args),
    setInterval: (fn: Callback, ms?: number, ...args: unknown[]) => vt.setInterval(fn, ms, ...args),
    clearTimeout: clear,
    clearInterval: clear,
  });
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    setGlobals(real);
    vt.stopSkipping();
  };
}
