import type { Clock } from './clock.js';
import { HostLimiter } from './limiter.js';
import { PaceController, type PaceOptions } from './pace.js';

/** Everything that paces requests to one origin, shared by all work in the process. */
export interface Host {
  origin: string;
  limiter: HostLimiter;
  pace: PaceController;
}

/** One Host per origin, created on first use: a Retry-After from one API never pauses the other. */
export function hostRegistry(options: PaceOptions, clock: Clock): { hostFor(url: string): Host; hosts(): Host[] } {
  const hosts = new Map<string, Host>();
  return {
    hostFor(url: string): Host {
      const origin = new URL(url).origin;
      let host = hosts.get(origin);
      if (!host) {
        const limiter = new HostLimiter({ concurrency: options.maxConcurrency, ratePerSecond: options.maxRatePerSecond }, clock);
        host = { origin, limiter, pace: new PaceController(limiter, options, clock) };
        hosts.set(origin, host);
      }
      return host;
    },
    hosts: () => [...hosts.values()],
  };
}
