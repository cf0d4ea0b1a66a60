/**
 * The process's real clock and timers, captured when the emulator loads, before the virtual
 * clock replaces the globals (global-clock.ts): what must not run on virtual time (the virtual
 * clock's own idle loop, progress output) uses these.
 */
export const real = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  now: (): number => performance.timeOrigin + performance.now(),
  Date: globalThis.Date,
};
