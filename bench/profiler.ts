import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';

/** Sampling interval of the main-thread profile, µs (V8's default is 1000). */
const SAMPLING_INTERVAL_US = 500;

export interface Profiling {
  /** Stops the profiler and writes the `.cpuprofile` (Chrome DevTools → Performance → Load profile). */
  stop(path: string): Promise<void>;
}

/**
 * A CPU profile of this thread through the inspector protocol, so exactly the timed
 * section is recorded (not process start-up). Worker threads are profiled apart,
 * with `--cpu-prof` on the process that runs them (see job-runner.ts).
 */
export async function startProfiling(): Promise<Profiling> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await session.post('Profiler.start');
  return {
    async stop(path: string) {
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      session.disconnect();
      await writeFile(path, JSON.stringify(profile));
    },
  };
}
